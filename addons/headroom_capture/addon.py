"""
The mitmproxy hooks: decide which exchanges a lane records, snapshot them, and hand them to the writer.

Why the hooks do so little: they run on mitmproxy's event loop, which moves every byte of every connection.
Anything slow here would delay traffic and skew the latency the lanes are compared on, so parsing, hashing,
serialization and the disk write happen in the writer process (writer.py). A capture problem is logged and
swallowed: proxying always goes on.
"""

import io
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mitmproxy import connection, ctx, http, optmanager
from mitmproxy.addonmanager import Loader

from .capture_file import highest_sequence
from .errors import classify_error
from .handover import Writer
from .options import OPTIONS, Config, ConfigError, config_from_options, option_defaults, with_secrets_from_env
from .record import ExchangeSnapshot, ResponseSnapshot, is_event_stream

logger = logging.getLogger(__name__)

PROXY_TOKEN_HEADER = "X-Headroom-Proxy-Token"
SEQUENCE_KEY = "capture.sequence"  # in flow.metadata
OPTION_NAMES = frozenset(spec.name for spec in OPTIONS)


class StreamTee:
    """
    `flow.response.stream` for event streams: hands every chunk on unchanged at once, and queues it for the writer,
    which counts, hashes and parses it. It must never raise: a capture problem must not break the stream.
    """

    def __init__(self, writer: Writer, sequence: int, content_encoding: str | None) -> None:
        self.writer = writer
        self.sequence = sequence
        self.first_chunk_at: float | None = None
        writer.put(("stream", sequence, content_encoding))

    def __call__(self, chunk: bytes) -> bytes:
        if chunk:
            try:
                if self.first_chunk_at is None:
                    self.first_chunk_at = time.time()
                self.writer.put(("chunk", self.sequence, chunk))
            except Exception as e:  # noqa: BLE001 - the stream goes on whatever happens here
                logger.warning("capture: could not queue an event stream chunk: %s", e)
        return chunk


@dataclass
class Exchange:
    """What the addon keeps for one exchange between its start and its record."""

    flow: http.HTTPFlow
    sequence: int
    tee: StreamTee | None = None
    body_sent: bytes | None = None  # the request body as handed to the writer ahead of the record


def header_fields(message: http.Message) -> tuple[tuple[bytes, bytes], ...]:
    fields: tuple[tuple[bytes, bytes], ...] = message.headers.fields
    return fields


def snapshot_response(response: http.Response | None) -> ResponseSnapshot | None:
    if response is None:
        return None
    return ResponseSnapshot(
        status=response.status_code,
        headers=header_fields(response),
        raw=response.raw_content,
        timestamp_start=response.timestamp_start,
        timestamp_end=response.timestamp_end,
    )


# Request.pretty_host parses the Host header (a regular expression and a host name check) at every call; a lane
# talks to a handful of hosts, so each answer is kept, by the two values it is made of.
PRETTY_HOSTS: dict[tuple[str | None, str], str] = {}
PRETTY_HOSTS_KEPT = 256


def pretty_host(request: http.Request) -> str:
    """`request.pretty_host`, parsed once per Host header and host."""
    key = (request.host_header, request.host)
    host = PRETTY_HOSTS.get(key)
    if host is None:
        if len(PRETTY_HOSTS) >= PRETTY_HOSTS_KEPT:
            PRETTY_HOSTS.clear()
        host = PRETTY_HOSTS[key] = request.pretty_host
    return host


def request_raw(exchange: Exchange) -> bytes | None:
    """The request body for the record: None when the writer has it already (unless an addon changed it since)."""
    raw = exchange.flow.request.raw_content or b""
    return None if raw is exchange.body_sent else raw


def snapshot(exchange: Exchange, error: dict[str, str] | None, response: http.Response | None) -> ExchangeSnapshot:
    request = exchange.flow.request
    ended_at = time.time()
    if error is None and response is not None and response.timestamp_end is not None:
        ended_at = response.timestamp_end
    return ExchangeSnapshot(
        sequence=exchange.sequence,
        timestamp=request.timestamp_start,
        method=request.method,
        url=request.url if request.method != "CONNECT" else f"{request.host}:{request.port}",
        host=pretty_host(request),
        http_version=request.http_version,
        request_headers=header_fields(request),
        request_raw=request_raw(exchange),
        response=snapshot_response(response),
        streamed=exchange.tee is not None or bool(response is not None and response.stream),
        first_chunk_at=exchange.tee.first_chunk_at if exchange.tee else None,
        ended_at=ended_at,
        error=error,
    )


def connect_failure(flow: http.HTTPFlow) -> str:
    """Why a CONNECT failed: mitmproxy's error, else the first sentence of the 502 it answered with."""
    if flow.error is not None:
        return flow.error.msg
    text = flow.response.get_text(strict=False) if flow.response is not None else None
    text = text or "CONNECT failed"
    cut = text.find(" If you plan to redirect")
    return text if cut < 0 else text[:cut]


def add_options(add_option: Callable[[str, type, str, str], None], env: Mapping[str, str] | None) -> None:
    """Registers the capture options, with the defaults the environment gives, except a secret's."""
    defaults = option_defaults(env)
    for spec in OPTIONS:
        add_option(spec.name, str, defaults[spec.name], spec.option_help)


def describe_options(env: Mapping[str, str] | None = None) -> str:
    """
    The capture options as `mitmdump --options` lists options, by mitmproxy's own `dump_defaults`. Needed where
    mitmdump cannot list them itself: before mitmproxy 12.2.2, `mitmdump --options` prints its list before it loads
    `-s` scripts (mitmproxy/tools/main.py `run`; scripts load in a task of the event loop, which never runs first).
    """
    options = optmanager.OptManager()
    add_options(options.add_option, env)
    listing = io.StringIO()
    optmanager.dump_defaults(options, listing)
    return listing.getvalue()


class Capture:
    """Writes one sanitized JSON line per finished HTTP exchange of the lane's included hosts."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = env
        self.config: Config | None = None
        self.writer: Writer | None = None
        self.next_sequence = 1
        self.exchanges: dict[str, Exchange] = {}  # started and not yet recorded, by flow id
        self.connects: dict[str, http.HTTPFlow] = {}  # CONNECTs to included hosts not yet answered, by flow id

    # -- settings

    def load(self, loader: Loader) -> None:
        add_options(loader.add_option, self.env)

    def configure(self, updated: set[str]) -> None:
        if updated.isdisjoint(OPTION_NAMES):
            return
        self.stop_writer()
        try:
            values = with_secrets_from_env({name: getattr(ctx.options, name) for name in OPTION_NAMES}, self.env)
            config = config_from_options(values)
        except ConfigError as e:
            # An error logged during start-up makes mitmdump print it and exit (status 1) before proxying.
            logger.error("capture: %s", e)
            self.config = None
            return
        self.config = config
        self.next_sequence = 1
        try:
            if config.output.exists():
                self.next_sequence = highest_sequence(config.output) + 1
        except OSError as e:
            logger.warning("capture: cannot read %s to continue its numbering: %s", config.output, e)
        self.writer = Writer(config)
        self.writer.start()
        for exchange in self.exchanges.values():
            exchange.body_sent = None  # the new writer has not seen it: it goes with the record

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

    # -- traffic

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        config = self.config
        if config is None or flow.request.method == "CONNECT":
            return
        if config.proxy_token and flow.request.host.lower() in config.proxy_token_hosts:
            flow.request.headers[PROXY_TOKEN_HEADER] = config.proxy_token
        if self.included(flow):
            self.start(flow)

    def request(self, flow: http.HTTPFlow) -> None:
        """
        The request is complete and goes upstream once this step ends; its body goes to the writer right after, so
        that the copy happens while the upstream answers rather than after the response, in the way of the next
        request.
        """
        exchange = self.exchanges.get(flow.id)
        body = flow.request.raw_content
        if exchange is None or self.writer is None or not body:
            return
        try:
            self.writer.put(("request", exchange.sequence, body))
            exchange.body_sent = body
        except Exception as e:  # noqa: BLE001 - a capture problem never breaks traffic
            logger.error("capture: could not hand over the request body of sequence %d: %s", exchange.sequence, e)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if response is None or response.stream or not is_event_stream(header_fields(response)):
            return
        exchange = self.exchanges.get(flow.id)
        if exchange is None or self.writer is None:  # not captured, but still not held back
            response.stream = True
        else:
            exchange.tee = StreamTee(self.writer, exchange.sequence, response.headers.get("content-encoding"))
            response.stream = exchange.tee

    def response(self, flow: http.HTTPFlow) -> None:
        self.finish(flow, None, flow.response)

    def error(self, flow: http.HTTPFlow) -> None:
        self.connects.pop(flow.id, None)
        # Not yet taken: it failed before mitmproxy announced the request (a CONNECT, or a request cut short).
        if SEQUENCE_KEY in flow.metadata or self.included(flow):
            self.finish_failed(flow, flow.error.msg if flow.error else "unknown error", flow.response)

    def http_connect(self, flow: http.HTTPFlow) -> None:
        """
        A CONNECT is waiting for its answer. Kept until it has one, so that `done` can record it if mitmproxy stops
        first: at shutdown mitmproxy calls `done` before it cancels the connection attempts still running, and
        their `http_connect_error` comes after `done`, when the writer is closed.
        """
        if self.writer is not None and self.included(flow):
            self.connects[flow.id] = flow

    def http_connected(self, flow: http.HTTPFlow) -> None:
        """A tunnel: the requests inside it are recorded, not the CONNECT."""
        self.connects.pop(flow.id, None)

    def http_connect_error(self, flow: http.HTTPFlow) -> None:
        """A CONNECT whose upstream could not be reached: recorded, since no request inside it will ever be."""
        self.connects.pop(flow.id, None)
        if SEQUENCE_KEY in flow.metadata or self.writer is None or not self.included(flow):
            return
        # The 502 is mitmproxy's own answer, not the upstream's: the record shows no response.
        self.finish_failed(flow, connect_failure(flow), None)

    def client_disconnected(self, client: connection.Client) -> None:
        """A CONNECT whose client has gone without mitmproxy answering it (another addon killed it, say)."""
        for flow_id, flow in list(self.connects.items()):
            if flow.client_conn.id == client.id:
                del self.connects[flow_id]

    def done(self) -> None:
        """Every exchange and CONNECT still waiting is recorded as stopped; then the writer writes all and exits."""
        for flow in list(self.connects.values()):
            if SEQUENCE_KEY not in flow.metadata:
                self.finish_failed(flow, "mitmproxy stopped before the CONNECT was answered", None, kind="other")
        self.connects.clear()
        for exchange in list(self.exchanges.values()):
            message = "mitmproxy stopped before the exchange finished"
            self.finish_failed(exchange.flow, message, exchange.flow.response, kind="other")
        self.stop_writer()

    # -- helpers

    def included(self, flow: http.HTTPFlow) -> bool:
        config = self.config
        if config is None:
            return False
        if config.include_hosts is None:
            return True
        hosts = config.include_hosts
        request = flow.request
        return request.host.lower().rstrip(".") in hosts or pretty_host(request).lower().rstrip(".") in hosts

    def start(self, flow: http.HTTPFlow) -> None:
        self.exchanges[flow.id] = Exchange(flow=flow, sequence=self.next_sequence)
        flow.metadata[SEQUENCE_KEY] = self.next_sequence  # marks the flow as taken, even once its record is written
        self.next_sequence += 1

    def finish(self, flow: http.HTTPFlow, error: dict[str, str] | None, response: http.Response | None) -> None:
        """Hand the exchange's record to the writer, once: whichever of response/error comes first takes it."""
        exchange = self.exchanges.pop(flow.id, None)
        if exchange is None or self.writer is None:
            return
        try:
            self.writer.put(("record", snapshot(exchange, error, response)))
        except Exception as e:  # noqa: BLE001 - a capture problem never breaks traffic
            logger.error("capture: could not snapshot the exchange with sequence %d: %s", exchange.sequence, e)

    def finish_failed(
        self, flow: http.HTTPFlow, message: str, response: http.Response | None, kind: str | None = None
    ) -> None:
        """The record of an exchange that failed or was cut off; a flow no exchange has taken yet is taken first."""
        if SEQUENCE_KEY not in flow.metadata:
            self.start(flow)
        self.finish(flow, {"kind": kind or classify_error(message), "message": message}, response)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every record handed over so far is on disk (for tests)."""
        return self.writer.flush(timeout) if self.writer is not None else True

    def stop_writer(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
