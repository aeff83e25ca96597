"""
Capture one lane's API traffic as sanitized JSON lines, without changing that traffic.

Each lane of the differential capture is a plain `mitmdump -s addons/mitm_capture.py`. This addon decides what
reaches disk: one line per finished HTTP exchange (schema/capture-record.v1.schema.json) with headers, sizes,
hashes, the request JSON, the status, Anthropic token usage, timings and failures, so that two lanes can be
compared request by request.

Why it is written the way it is:
- Secrets are redacted here, at the source: they never reach the file, so no later step has to remember to.
- Server-sent event streams are passed through chunk by chunk (a tee in `responseheaders`), so capturing does
  not hold back the first token; the tee hashes, counts and parses usage as the bytes go by.
- A capture problem (bad disk, odd body) is logged and swallowed: proxying always goes on.

Configuration is read from the environment at start; see addons/README.md.
"""

import base64
import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import stat
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus

from mitmproxy import http
from mitmproxy.addonmanager import Loader

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
REDACTED = "<redacted>"
PROXY_TOKEN_HEADER = "X-Headroom-Proxy-Token"
SEQUENCE_KEY = "capture.sequence"  # in flow.metadata

SENSITIVE_HEADER_PARTS = ("authorization", "api-key", "apikey", "token", "secret", "cookie")
SENSITIVE_QUERY_PARTS = ("key", "token", "secret", "signature", "code")
# Token *counts* name "token" but hold numbers: Headroom's x-headroom-tokens-before/after/saved (the proxy's own
# account, which the proxy report checks against the wire) and Anthropic's anthropic-ratelimit-*-tokens-*. They are
# kept when the value is a plain number or time; anything else under such a name stays redacted.
TOKEN_COUNT_HEADER = re.compile(r"(?:^|-)tokens-(?:before|after|saved|limit|remaining|reset)$")
TOKEN_COUNT_VALUE = re.compile(r"[0-9][0-9:.TZ+-]{0,39}")
USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)

DEFAULT_INCLUDE_HOSTS = "api.anthropic.com"
DEFAULT_BODY_BYTES = 262144
DEFAULT_PROXY_TOKEN_HOSTS = "headroom-proxy"
# A secret shorter than this is only removed where it is a redacted value, not searched for elsewhere.
MIN_SCRUB_LENGTH = 8
# Largest single SSE event the usage parser keeps in memory; bigger events are skipped (never usage events).
MAX_SSE_EVENT_BYTES = 1 << 20
# When continuing a file, stop reading backwards after this many records: a record written later than the
# highest-numbered one started earlier, so it was in flight at the same time; no lane has this many at once.
SEQUENCE_SCAN_RECORDS = 10_000
MAX_ERROR_MESSAGE = 500


# --- configuration ---------------------------------------------------------------------------------------------


class ConfigError(ValueError):
    """A configuration value that cannot work; the message names the variable and says what is wrong."""


@dataclass(frozen=True)
class Config:
    lane: str
    output: Path
    include_hosts: frozenset[str] | None  # None: every host
    body_bytes: int
    proxy_token: str  # "" when no token is added
    proxy_token_hosts: frozenset[str]


LANE_FOR_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: safe as one header value


def config_from_env(env: Mapping[str, str]) -> Config:
    """Read and check the CAPTURE_* variables; raise ConfigError with one clear sentence when one is wrong."""
    lane = env.get("CAPTURE_LANE", "").strip()
    if not lane:
        raise ConfigError("CAPTURE_LANE is not set: name the lane this proxy captures (e.g. direct, headroom-client)")
    output_value = env.get("CAPTURE_OUTPUT", "").strip()
    if output_value:
        output = Path(output_value)
    elif LANE_FOR_PATH.fullmatch(lane):
        output = Path("/captures") / f"{lane}.jsonl"
    else:
        raise ConfigError(
            f"CAPTURE_LANE={lane!r} cannot name a file (letters, digits, '.', '_', '-'): "
            "choose another lane name or set CAPTURE_OUTPUT"
        )
    if output.is_dir():
        raise ConfigError(f"CAPTURE_OUTPUT={str(output)!r} is a directory; give the path of a .jsonl file")
    return Config(
        lane=lane,
        output=output,
        include_hosts=parse_hosts("CAPTURE_INCLUDE_HOSTS", env, DEFAULT_INCLUDE_HOSTS, allow_all=True),
        body_bytes=parse_body_bytes(env.get("CAPTURE_BODY_BYTES", "").strip()),
        proxy_token=parse_proxy_token(env.get("CAPTURE_PROXY_TOKEN", "")),
        proxy_token_hosts=parse_hosts("CAPTURE_PROXY_TOKEN_HOSTS", env, DEFAULT_PROXY_TOKEN_HOSTS) or frozenset(),
    )


def parse_body_bytes(value: str) -> int:
    if not value:
        return DEFAULT_BODY_BYTES
    if not value.isascii() or not value.isdigit():
        raise ConfigError(
            f"CAPTURE_BODY_BYTES={value!r} is not a whole number of bytes (e.g. 262144; 0 stores no body copy)"
        )
    return int(value)


def parse_proxy_token(value: str) -> str:
    token = value.strip()
    if token and not TOKEN_CHARS.fullmatch(token):
        # Never echo the value: it is a secret.
        raise ConfigError("CAPTURE_PROXY_TOKEN holds characters that cannot go in a header (only visible ASCII)")
    return token


def parse_hosts(name: str, env: Mapping[str, str], default: str, allow_all: bool = False) -> frozenset[str] | None:
    """A comma list of host names, lower-cased; None means every host (`*`, where allowed)."""
    value = env.get(name, "").strip() or default
    hosts = [h.strip().lower() for h in value.split(",") if h.strip()]
    if not hosts:
        raise ConfigError(f"{name}={value!r} lists no host")
    if "*" in hosts:
        if not allow_all:
            raise ConfigError(f"{name} does not accept '*': list the host names")
        return None
    for host in hosts:
        has_port = host.count(":") == 1 or (host.startswith("[") and "]:" in host)
        if "/" in host or has_port or any(c.isspace() for c in host):
            raise ConfigError(f"{name}: {host!r} is not a host name (no scheme, port or path, e.g. api.anthropic.com)")
    return frozenset(h.strip("[]").rstrip(".") for h in hosts)


# --- redaction -------------------------------------------------------------------------------------------------


def is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SENSITIVE_HEADER_PARTS)


def is_token_count(name: str, value: str) -> bool:
    return bool(TOKEN_COUNT_HEADER.search(name.lower())) and TOKEN_COUNT_VALUE.fullmatch(value.strip()) is not None


def is_sensitive_query_key(key: str) -> bool:
    lowered = unquote_plus(key).lower()
    return any(part in lowered for part in SENSITIVE_QUERY_PARTS)


def secret_parts(value: str) -> Iterator[str]:
    """The value itself plus the pieces a secret hides in: `Bearer <t>`, `Basic <b64>`, `a=<v>; b=<v>` cookies."""
    yield value
    scheme, _, credentials = value.partition(" ")
    if credentials and scheme.isalpha():
        yield credentials.strip()
    for cookie in value.split(";"):
        _, eq, cookie_value = cookie.partition("=")
        if eq:
            yield cookie_value.strip().strip('"')


def redact_headers(headers: http.Headers, secrets: set[str]) -> dict[str, str]:
    """Header name (first spelling seen) to value; repeats joined with ", "; sensitive values replaced."""
    joined: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    redacted: set[str] = set()
    for raw_name, raw_value in headers.fields:
        name, value = raw_name.decode("utf-8", "surrogateescape"), raw_value.decode("utf-8", "surrogateescape")
        key = name.lower()
        spelling.setdefault(key, name)
        joined.setdefault(key, []).append(value)
        if is_sensitive_header(name) and not is_token_count(name, value):
            redacted.add(key)
            secrets.update(secret_parts(value))
    return {spelling[key]: REDACTED if key in redacted else ", ".join(values) for key, values in joined.items()}


def redact_url(url: str, secrets: set[str]) -> str:
    """The URL with the value of every sensitive query key replaced; the rest kept byte for byte."""
    base, question, rest = url.partition("?")
    if not question:
        return url
    query, hash_mark, fragment = rest.partition("#")
    parts = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        if eq and is_sensitive_query_key(key):
            secrets.update(secret_parts(unquote_plus(value)))
            secrets.add(value)
            part = f"{key}={REDACTED}"
        parts.append(part)
    return f"{base}?{'&'.join(parts)}{hash_mark}{fragment}"


def scrub_bytes(data: bytes, secrets: set[str]) -> bytes:
    for form in secret_forms(secrets):
        data = data.replace(form.encode("utf-8", "surrogateescape"), REDACTED.encode())
    return data


def secret_forms(secrets: set[str]) -> list[str]:
    """Each secret long enough to search for, as written and percent-encoded; longest first."""
    forms = {form for s in long_secrets(secrets) for form in (s, quote(s, safe=""))}
    return sorted(forms, key=len, reverse=True)


def scrub_value(value: Any, forms: list[str]) -> Any:
    """The record with every known secret removed from every string in it (keys too)."""
    if isinstance(value, str):
        for form in forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value
    if isinstance(value, dict):
        return {scrub_value(k, forms): scrub_value(v, forms) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_value(item, forms) for item in value]
    return value


def dump_scrubbed(record: dict[str, Any], secrets: set[str]) -> str:
    """
    The record as one JSON line. Last line of defence: a known secret that turned up anywhere else (e.g. echoed in
    the request JSON) is removed. The line is only searched; the record is walked only when something was found.
    """
    line = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    forms = secret_forms(secrets)
    if any(json.dumps(form, ensure_ascii=False)[1:-1] in line for form in forms):
        line = json.dumps(scrub_value(record, forms), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return line


def long_secrets(secrets: set[str]) -> list[str]:
    # Longest first, so that a secret containing another is removed whole.
    return sorted((s for s in secrets if len(s) >= MIN_SCRUB_LENGTH), key=len, reverse=True)


# --- bodies and usage ------------------------------------------------------------------------------------------


def reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


def parse_json(data: bytes) -> Any:
    """Strict JSON (no NaN/Infinity, which other readers reject); raises ValueError."""
    return json.loads(data, parse_constant=reject_constant)


def normalize_usage(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Anthropic usage with the four token counts always present (a whole number >= 0, or None)."""
    usage = dict(raw)
    for name in USAGE_FIELDS:
        value = raw.get(name)
        usage[name] = value if type(value) is int and value >= 0 else None
    return usage


def usage_from_json_body(data: bytes) -> dict[str, Any] | None:
    try:
        body = parse_json(data)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("usage"), dict):
        return normalize_usage(body["usage"])
    return None


class SseUsage:
    """
    Reads Anthropic usage from a server-sent event stream fed in arbitrary chunks:
    `message_start.message.usage`, then each `message_delta.usage` merged over it.
    Keeps at most one event in memory.
    """

    def __init__(self, content_encoding: str | None) -> None:
        self.usage: dict[str, Any] | None = None
        self.pending = b""
        self.data_lines: list[bytes] = []
        self.event_bytes = 0
        self.skipping_line = False
        self.decoder: Any = None
        encoding = (content_encoding or "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.decoder = zlib.decompressobj()
        self.enabled = encoding in ("", "identity") or self.decoder is not None

    def feed(self, chunk: bytes) -> None:
        if not self.enabled:
            return
        if self.decoder is None:
            self.feed_text(chunk)
            return
        # Decompress in bounded pieces, so that a small chunk that inflates hugely never sits in memory whole.
        self.feed_text(self.decoder.decompress(chunk, MAX_SSE_EVENT_BYTES))
        while self.decoder.unconsumed_tail:
            self.feed_text(self.decoder.decompress(self.decoder.unconsumed_tail, MAX_SSE_EVENT_BYTES))

    def feed_text(self, data: bytes) -> None:
        lines = (self.pending + data).split(b"\n")
        self.pending = lines.pop()
        for line in lines:
            if self.skipping_line:
                self.skipping_line = False
                continue
            self.line(line.rstrip(b"\r"))
        if len(self.pending) > MAX_SSE_EVENT_BYTES:  # an endless line: drop it, resync at the next newline
            self.pending = b""
            self.skipping_line = True

    def line(self, line: bytes) -> None:
        if not line:
            self.dispatch()
        elif line.startswith(b"data:"):
            value = line[5:]
            value = value[1:] if value.startswith(b" ") else value
            self.event_bytes += len(value)
            if self.event_bytes <= MAX_SSE_EVENT_BYTES:
                self.data_lines.append(value)

    def dispatch(self) -> None:
        data, too_big = b"\n".join(self.data_lines), self.event_bytes > MAX_SSE_EVENT_BYTES
        self.data_lines, self.event_bytes = [], 0
        if not data or too_big:
            return
        try:
            event = parse_json(data)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        if event.get("type") == "message_start":
            message = event.get("message")
            usage = message.get("usage") if isinstance(message, dict) else None
            if isinstance(usage, dict):
                self.usage = normalize_usage({**(self.usage or {}), **usage})
        elif event.get("type") == "message_delta" and isinstance(event.get("usage"), dict):
            update = {k: v for k, v in event["usage"].items() if v is not None}
            self.usage = normalize_usage({**(self.usage or {}), **update})


class StreamTee:
    """
    `flow.response.stream` for event streams: hands every chunk on unchanged at once, and on the way counts,
    hashes and parses it. It must never raise: a capture problem must not break the stream.
    """

    def __init__(self, content_encoding: str | None) -> None:
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.first_chunk_at: float | None = None
        self.usage = SseUsage(content_encoding)

    def __call__(self, chunk: bytes) -> bytes:
        if chunk:
            try:
                if self.first_chunk_at is None:
                    self.first_chunk_at = time.time()
                self.size += len(chunk)
                self.sha256.update(chunk)
                if self.usage.enabled:
                    self.usage.feed(chunk)
            except Exception as e:  # noqa: BLE001 - the stream goes on whatever happens here
                self.usage.enabled = False
                logger.warning("capture: stopped reading usage from an event stream: %s", e)
        return chunk


def header(message: http.Message, name: str) -> str | None:
    value: str | None = message.headers.get(name)
    return value


def is_event_stream(message: http.Message) -> bool:
    return (header(message, "content-type") or "").split(";")[0].strip().lower() == "text/event-stream"


# --- errors ----------------------------------------------------------------------------------------------------

ERROR_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("client_disconnected", ("client disconnected", "client closed", "client_closed")),
    ("tls", ("tls", "ssl", "certificate", "handshake")),
    ("timeout", ("timed out", "timeout")),
    (
        "upstream_connect",
        (
            "connect call failed",
            "connection refused",
            "error establishing server connection",
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "no route to host",
            "network is unreachable",
            "connection killed:",
            "temporary failure in name resolution",
        ),
    ),
    (
        "protocol",
        (
            "protocol error",
            "cannot parse",
            "unexpected server response",
            "server closed connection",
            "refusing",
            "malformed",
            "invalid",
            "stream reset",
            "eof",
        ),
    ),
)


def classify_error(message: str) -> str:
    """Map mitmproxy's error text to one of: upstream_connect, tls, client_disconnected, timeout, protocol, other."""
    lowered = message.lower()
    for kind, needles in ERROR_KINDS:
        if any(needle in lowered for needle in needles):
            return kind
    return "other"


# --- the capture file ------------------------------------------------------------------------------------------

RECORD_PREFIX = re.compile(rb'\{"schema_version":\d+,"lane":"(?:[^"\\]|\\.)*","sequence":(\d+),')


def highest_sequence(path: Path) -> int:
    """
    The highest `sequence` in an existing capture, reading backwards from the end and only as far as needed.
    A truncated or unreadable line is skipped; a line cut after its sequence number still counts as used.
    """
    highest, seen = 0, 0
    block = 1 << 20
    with path.open("rb") as file:
        position = file.seek(0, os.SEEK_END)
        carry = b""
        while position > 0 and seen < SEQUENCE_SCAN_RECORDS:
            step = min(block, position)
            position -= step
            file.seek(position)
            lines = (file.read(step) + carry).split(b"\n")
            carry = lines.pop(0) if position > 0 else b""
            for line in reversed(lines):
                sequence = sequence_of(line)
                if sequence is not None:
                    highest, seen = max(highest, sequence), seen + 1
            block = min(block * 2, 1 << 26)
    return highest


def sequence_of(line: bytes) -> int | None:
    match = RECORD_PREFIX.match(line)
    if match:
        return int(match.group(1))
    if not line.strip():
        return None
    try:  # a line written by something else, in another key order
        record = json.loads(line)
    except ValueError:
        return None
    sequence = record.get("sequence") if isinstance(record, dict) else None
    return sequence if type(sequence) is int else None


@dataclass
class CaptureFile:
    """
    Appends whole lines to the capture with one unbuffered write each. Creates the folder 0700 and the file
    0600 on first use. A failure is logged once per kind and the record dropped; the next record tries again.
    """

    path: Path
    fd: int | None = None
    needs_newline: bool = False  # the file ends in a cut line: start ours on a fresh one
    reported: set[tuple[str, int]] = field(default_factory=set)
    lost: int = 0

    def append(self, line: bytes) -> bool:
        stage = "open"
        try:
            if self.fd is None:
                self.fd = self.open()
            stage = "write"
            data = b"\n" + line if self.needs_newline else line
            written = os.write(self.fd, data)
            if written != len(data):
                self.needs_newline = True
                raise OSError(errno.ENOSPC, "short write (disk full?)")
            self.needs_newline = False
            return True
        except OSError as e:
            self.lost += 1
            self.report(stage, e)
            if stage == "write" and self.fd is not None and e.errno not in (errno.ENOSPC, errno.EDQUOT):
                self.close()
            return False

    def open(self) -> int:
        folder = self.path.parent
        try:
            folder.mkdir(mode=0o700, parents=True)
        except FileExistsError:
            pass  # an existing folder keeps its mode: it is the user's
        else:
            folder.chmod(0o700)  # exactly 0700, whatever the umask
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            status = os.fstat(fd)
            if stat.S_ISREG(status.st_mode) and status.st_mode & 0o077:
                os.fchmod(fd, 0o600)
            if stat.S_ISREG(status.st_mode) and status.st_size > 0:
                with self.path.open("rb") as file:
                    file.seek(-1, os.SEEK_END)
                    self.needs_newline = file.read(1) != b"\n"
        except OSError:
            pass  # not ours to fix: the file is still appendable
        return fd

    def report(self, stage: str, e: OSError) -> None:
        key = (stage, e.errno or 0)
        if key in self.reported:
            return
        self.reported.add(key)
        action = "open" if stage == "open" else "write to"
        logger.error(
            "capture: cannot %s %s: %s; traffic keeps flowing, but records are lost until this is fixed",
            action,
            self.path,
            e.strerror or e,
        )

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


# --- records ---------------------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """What the addon keeps for one exchange between its start and its record."""

    flow: http.HTTPFlow
    sequence: int
    tee: StreamTee | None = None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ms_since(start: float, moment: float | None) -> float | None:
    return None if moment is None else round(max(0.0, moment - start) * 1000, 1)


def request_body_fields(request: http.Request, body_bytes: int, secrets: set[str]) -> dict[str, Any]:
    raw = request.raw_content or b""
    fields: dict[str, Any] = {
        "request_body_size": len(raw),
        "request_body_sha256": sha256_hex(raw),
        "request_content_encoding": header(request, "content-encoding"),
    }
    if not raw:
        return fields
    try:
        fields["request_json"] = parse_json(request.get_content(strict=True) or b"")
        return fields
    except (ValueError, RecursionError):
        pass  # not JSON (or an encoding that does not decode): keep a capped copy of the raw bytes
    copy = scrub_bytes(raw[:body_bytes], secrets)
    fields["request_body_b64"] = base64.b64encode(copy).decode("ascii")
    fields["request_body_truncated"] = len(raw) > body_bytes
    return fields


def response_fields(response: http.Response | None, tee: StreamTee | None, secrets: set[str]) -> dict[str, Any]:
    if response is None:
        return {
            "response_status": None,
            "response_headers": None,
            "response_body_size": None,
            "response_body_sha256": None,
            "response_stream": False,
            "usage": None,
        }
    fields: dict[str, Any] = {
        "response_status": response.status_code,
        "response_headers": redact_headers(response.headers, secrets),
    }
    raw = response.raw_content
    if tee is not None:
        fields["response_body_size"] = tee.size
        fields["response_body_sha256"] = tee.sha256.hexdigest()
        usage = tee.usage.usage
    elif raw is not None:
        fields["response_body_size"] = len(raw)
        fields["response_body_sha256"] = sha256_hex(raw)
        usage = buffered_usage(response)
    else:  # the body never arrived (or someone else streamed it past us)
        fields["response_body_size"] = None
        fields["response_body_sha256"] = None
        usage = None
    fields["response_stream"] = is_event_stream(response)
    fields["usage"] = usage
    return fields


def buffered_usage(response: http.Response) -> dict[str, Any] | None:
    try:
        content = response.get_content(strict=False) or b""
    except ValueError:
        return None
    if is_event_stream(response):
        parser = SseUsage(None)
        parser.feed(content + b"\n\n")
        return parser.usage
    if "json" in (header(response, "content-type") or "").lower():
        return usage_from_json_body(content)
    return None


def timings(flow: http.HTTPFlow, tee: StreamTee | None, ended_at: float) -> dict[str, float | None]:
    """
    Milliseconds from request start. first_byte_ms is when the first response body byte went on to the client:
    for streamed responses the first chunk through the tee; for buffered ones the moment the complete body
    was received, since mitmproxy only then passes the body on.
    """
    start = flow.request.timestamp_start
    response = flow.response
    if tee is not None:
        first_byte = tee.first_chunk_at
    elif response is not None and response.raw_content and response.timestamp_end is not None:
        first_byte = response.timestamp_end
    else:
        first_byte = None
    return {
        "response_headers_ms": ms_since(start, response.timestamp_start if response else None),
        "first_byte_ms": ms_since(start, first_byte),
        "end_ms": ms_since(start, ended_at),
    }


def build_record(config: Config, exchange: Exchange, flow: http.HTTPFlow, error: dict[str, str] | None) -> str:
    """One capture record as a JSON line (text, newline-terminated), secrets removed."""
    request = flow.request
    secrets: set[str] = {config.proxy_token} if config.proxy_token else set()
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "lane": config.lane,
        "sequence": exchange.sequence,
        "timestamp": request.timestamp_start,
        "method": request.method,
        "url": redact_url(request.url, secrets),
        "host": request.pretty_host,
        "http_version": request.http_version,
        "request_headers": redact_headers(request.headers, secrets),
    }
    record.update(request_body_fields(request, config.body_bytes, secrets))
    record.update(response_fields(flow.response, exchange.tee, secrets))
    ended_at = time.time()
    if error is None and flow.response is not None and flow.response.timestamp_end is not None:
        ended_at = flow.response.timestamp_end
    record["timings"] = timings(flow, exchange.tee, ended_at)
    if error is not None:
        record["error"] = error
    return dump_scrubbed(record, secrets) + "\n"


# --- the addon -------------------------------------------------------------------------------------------------


class Capture:
    """Writes one sanitized JSON line per finished HTTP exchange of the lane's included hosts."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = env
        self.config: Config | None = None
        self.file: CaptureFile | None = None
        self.next_sequence = 1
        self.exchanges: dict[str, Exchange] = {}  # started and not yet recorded, by flow id

    def load(self, loader: Loader) -> None:
        try:
            self.config = config_from_env(os.environ if self.env is None else self.env)
        except ConfigError as e:
            # An error logged during start-up makes mitmdump print it and exit (status 1) before proxying.
            logger.error("capture: %s", e)
            return
        self.file = CaptureFile(self.config.output)
        try:
            if self.config.output.exists():
                self.next_sequence = highest_sequence(self.config.output) + 1
        except OSError as e:
            logger.warning("capture: cannot read %s to continue its numbering: %s", self.config.output, e)

    def running(self) -> None:
        if self.config is not None:
            hosts = "every host" if self.config.include_hosts is None else ", ".join(sorted(self.config.include_hosts))
            logger.info(
                "capture: lane %s -> %s (from sequence %d; hosts: %s)",
                self.config.lane,
                self.config.output,
                self.next_sequence,
                hosts,
            )

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        config = self.config
        if config is None or flow.request.method == "CONNECT":
            return
        if config.proxy_token and flow.request.host.lower() in config.proxy_token_hosts:
            flow.request.headers[PROXY_TOKEN_HEADER] = config.proxy_token
        if self.included(flow):
            self.start(flow)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if response is None or response.stream or not is_event_stream(response):
            return
        exchange = self.exchanges.get(flow.id)
        if exchange is None:  # not captured, but still not held back
            response.stream = True
        else:
            exchange.tee = StreamTee(header(response, "content-encoding"))
            response.stream = exchange.tee

    def response(self, flow: http.HTTPFlow) -> None:
        self.finish(flow, None)

    def error(self, flow: http.HTTPFlow) -> None:
        if SEQUENCE_KEY not in flow.metadata and flow.request.method != "CONNECT" and self.included(flow):
            self.start(flow)  # failed before mitmproxy announced the request
        message = flow.error.msg if flow.error else "unknown error"
        # mitmproxy may quote peer bytes in its message: keep it short.
        self.finish(flow, {"kind": classify_error(message), "message": message[:MAX_ERROR_MESSAGE]})

    def done(self) -> None:
        for exchange in list(self.exchanges.values()):
            self.finish(exchange.flow, {"kind": "other", "message": "mitmproxy stopped before the exchange finished"})
        if self.file is not None:
            if self.file.lost:
                logger.warning("capture: %d record(s) could not be written to %s", self.file.lost, self.file.path)
            self.file.close()

    # -- helpers

    def included(self, flow: http.HTTPFlow) -> bool:
        config = self.config
        if config is None:
            return False
        if config.include_hosts is None:
            return True
        hosts = {flow.request.host.lower().rstrip("."), flow.request.pretty_host.lower().rstrip(".")}
        return not hosts.isdisjoint(config.include_hosts)

    def start(self, flow: http.HTTPFlow) -> None:
        self.exchanges[flow.id] = Exchange(flow=flow, sequence=self.next_sequence)
        flow.metadata[SEQUENCE_KEY] = self.next_sequence  # marks the flow as taken, even once its record is written
        self.next_sequence += 1

    def finish(self, flow: http.HTTPFlow, error: dict[str, str] | None) -> None:
        """Write the exchange's record, once: whichever of response/error comes first takes it."""
        exchange = self.exchanges.pop(flow.id, None)
        if exchange is None or self.config is None or self.file is None:
            return
        try:
            line = build_record(self.config, exchange, flow, error)
        except Exception as e:  # noqa: BLE001 - a capture problem never breaks traffic
            logger.error("capture: could not build the record for sequence %d: %s", exchange.sequence, e)
            return
        self.file.append(line.encode("utf-8", "backslashreplace"))


addons = [Capture()]
