"""
What a hook keeps of an exchange (a snapshot: plain values in named tuples, cheap to take on mitmproxy's event loop
and to pickle) and the capture record built from it on the writer (schema/capture-record.v1.schema.json).

Nothing here imports mitmproxy: records are built in the writer process, which starts fast and owns the file.
"""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .bodies import DecodeError, RawJson, decode_content, parse_json, request_body_fields
from .options import Config
from .redact import json_escaped, redact_header_fields, redact_url, scrub_value, secret_forms
from .usage import SseUsage, usage_from_json_body

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_ERROR_MESSAGE = 500

HeaderList = tuple[tuple[bytes, bytes], ...]


class ResponseSnapshot(NamedTuple):
    status: int
    headers: HeaderList
    raw: bytes | None  # None: the body was streamed past (see ExchangeSnapshot.streamed) or never arrived
    timestamp_start: float | None
    timestamp_end: float | None


class ExchangeSnapshot(NamedTuple):
    sequence: int
    timestamp: float
    method: str
    url: str
    host: str  # the host the client named
    http_version: str
    request_headers: HeaderList
    request_raw: bytes | None  # None: sent ahead in a ("request", sequence, body) message (addon.py `request`)
    response: ResponseSnapshot | None
    streamed: bool  # the response body went through a StreamTee, whose figures the writer holds
    first_chunk_at: float | None
    ended_at: float
    error: dict[str, str] | None = None


def header(headers: HeaderList, name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in headers:
        if key.lower() == wanted:
            return value.decode("utf-8", "surrogateescape")
    return None


def is_event_stream(headers: HeaderList) -> bool:
    return (header(headers, "content-type") or "").split(";")[0].strip().lower() == "text/event-stream"


@dataclass
class StreamState:
    """An event stream's size, hash and usage, fed chunk by chunk as the tee passes them on. Never raises."""

    content_encoding: str | None
    size: int = 0
    sha256: Any = field(default_factory=hashlib.sha256)
    usage: SseUsage | None = None

    def __post_init__(self) -> None:
        self.usage = SseUsage(self.content_encoding)

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.sha256.update(chunk)
        if self.usage is not None and self.usage.enabled:
            try:
                self.usage.feed(chunk)
            except Exception as e:  # noqa: BLE001 - usage is a bonus; the figures above stay right
                self.usage.enabled = False
                logger.warning("capture: stopped reading usage from an event stream: %s", e)


def ms_since(start: float, moment: float | None) -> float | None:
    return None if moment is None else round(max(0.0, moment - start) * 1000, 1)


def response_fields(snapshot: ExchangeSnapshot, stream: StreamState | None, secrets: set[str]) -> dict[str, Any]:
    response = snapshot.response
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
        "response_status": response.status,
        "response_headers": redact_header_fields(response.headers, secrets),
    }
    usage = None
    if stream is not None:
        fields["response_body_size"] = stream.size
        fields["response_body_sha256"] = stream.sha256.hexdigest()
        usage = stream.usage.usage if stream.usage is not None else None
    elif response.raw is not None and not snapshot.streamed:
        fields["response_body_size"] = len(response.raw)
        fields["response_body_sha256"] = hashlib.sha256(response.raw).hexdigest()
        usage = buffered_usage(response)
    else:  # the body never arrived (or someone else streamed it past us)
        fields["response_body_size"] = None
        fields["response_body_sha256"] = None
    fields["response_stream"] = is_event_stream(response.headers)
    fields["usage"] = usage
    return fields


def buffered_usage(response: ResponseSnapshot) -> dict[str, Any] | None:
    try:
        content = decode_content(response.raw or b"", header(response.headers, "content-encoding"))
    except DecodeError:
        return None
    if is_event_stream(response.headers):
        parser = SseUsage(None)
        parser.feed(content + b"\n\n")
        return parser.usage
    if "json" in (header(response.headers, "content-type") or "").lower():
        return usage_from_json_body(content)
    return None


def timings(snapshot: ExchangeSnapshot) -> dict[str, float | None]:
    """
    Milliseconds from request start. first_byte_ms is when the first response body byte went on to the client:
    for streamed responses the first chunk through the tee; for buffered ones the moment the complete body
    was received, since mitmproxy only then passes the body on.
    """
    start = snapshot.timestamp
    response = snapshot.response
    if snapshot.streamed:
        first_byte = snapshot.first_chunk_at
    elif response is not None and response.raw and response.timestamp_end is not None:
        first_byte = response.timestamp_end
    else:
        first_byte = None
    return {
        "response_headers_ms": ms_since(start, response.timestamp_start if response else None),
        "first_byte_ms": ms_since(start, first_byte),
        "end_ms": ms_since(start, snapshot.ended_at),
    }


def build_line(config: Config, snapshot: ExchangeSnapshot, stream: StreamState | None) -> bytes:
    """One capture record as a JSON line (UTF-8, newline-terminated), secrets removed."""
    secrets: set[str] = {config.proxy_token} if config.proxy_token else set()
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "lane": config.lane,
        "sequence": snapshot.sequence,
        "timestamp": snapshot.timestamp,
        "method": snapshot.method,
        "url": redact_url(snapshot.url, secrets),
        "host": snapshot.host,
        "http_version": snapshot.http_version,
        "request_headers": redact_header_fields(snapshot.request_headers, secrets),
    }
    encoding = header(snapshot.request_headers, "content-encoding")
    record.update(
        request_body_fields(snapshot.request_raw or b"", encoding, config.body_bytes, secrets, secret_forms(secrets))
    )
    record.update(response_fields(snapshot, stream, secrets))
    record["timings"] = timings(snapshot)
    if snapshot.error is not None:
        record["error"] = {"kind": snapshot.error["kind"], "message": snapshot.error["message"][:MAX_ERROR_MESSAGE]}
    return dump_scrubbed(record, secrets, b"\n")


# A placeholder no real string can equal (a fresh UUID per process), replaced by the body's own JSON text.
RAW_JSON_MARK = f"\x00raw-json-{uuid.uuid4()}"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


RAW_JSON_MARK_WRITTEN = dumps(RAW_JSON_MARK).encode()


def dump_scrubbed(record: dict[str, Any], secrets: set[str], end: bytes = b"") -> bytes:
    """
    The record as one JSON line, UTF-8 (a lone surrogate from a header written as its escape). Last line of
    defence: a known secret that turned up anywhere else (e.g. echoed in the request JSON) is removed. The line is
    only searched; the record is walked only when something was found. A RawJson body is written as it is (it was
    checked to hold no secret).
    """
    forms = secret_forms(secrets)
    raw = record.get("request_json")
    if isinstance(raw, RawJson):
        record = {**record, "request_json": RAW_JSON_MARK}
    line = dumps(record)
    if any(json_escaped(form) in line for form in forms):
        if isinstance(raw, RawJson):
            record = {**record, "request_json": parse_json(raw.data.decode("utf-8"))}
            raw = None
        line = dumps(scrub_value(record, forms))
    written = line.encode("utf-8", "backslashreplace")
    if isinstance(raw, RawJson):
        before, _, after = written.partition(RAW_JSON_MARK_WRITTEN)
        return b"".join((before, raw.data, after, end))  # one copy of a body that may be megabytes
    return written + end
