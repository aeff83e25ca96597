"""
Shared pieces for the addon tests: a small upstream on 127.0.0.1 (HTTP and HTTPS) that answers like Anthropic's
API where it matters (JSON with usage, SSE spaced over time with usage in message_start / message_delta), and a
real `mitmdump -s addons/mitm_capture.py` started on a free loopback port.
"""

import datetime
import gzip
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

OWN_BASETEMP = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """
    A temporary folder of this run's own, removed at the end: pytest's shared /tmp/pytest-of-<user> is cleaned by
    whichever run starts next, which breaks runs that overlap (several worktrees or projects on one machine).
    """
    if config.option.basetemp is None:
        config.option.basetemp = tempfile.mkdtemp(prefix="headroom-addon-tests-")
        config.stash[OWN_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    own = config.stash.get(OWN_BASETEMP, None)
    if own is not None:
        shutil.rmtree(own, ignore_errors=True)


ADDONS = Path(__file__).resolve().parent.parent
REPO = ADDONS.parent
ADDON = ADDONS / "mitm_capture.py"
SCHEMA = REPO / "schema" / "capture-record.v1.schema.json"
# The project's mitmdump (mitmproxy 11); HEADROOM_TEST_MITMDUMP runs the same tests on another one (mitmproxy 12).
MITMDUMP = Path(os.environ.get("HEADROOM_TEST_MITMDUMP") or REPO / ".venv" / "bin" / "mitmdump")

# What the upstream's SSE stream reports, split the way Anthropic splits it.
SSE_START_USAGE = {
    "input_tokens": 2095,
    "output_tokens": 1,
    "cache_creation_input_tokens": 1841,
    "cache_read_input_tokens": 12017,
}
SSE_DELTA_USAGE = {"output_tokens": 73}
SSE_USAGE = {**SSE_START_USAGE, **SSE_DELTA_USAGE}
SSE_DELTAS = 8
SSE_SPACING_S = 0.25  # SSE_DELTAS * SSE_SPACING_S = a 2 s stream
JSON_USAGE = {
    "input_tokens": 311,
    "output_tokens": 29,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 4096,
}
BINARY_RESPONSE = bytes(range(256)) * 64


def sse_event(name: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def sse_events() -> Iterator[bytes]:
    yield sse_event(
        "message_start",
        {"type": "message_start", "message": {"id": "msg_1", "role": "assistant", "usage": SSE_START_USAGE}},
    )
    yield sse_event("content_block_start", {"type": "content_block_start", "index": 0})
    for i in range(SSE_DELTAS):
        yield sse_event(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": f"word{i} "}},
        )
    yield sse_event("content_block_stop", {"type": "content_block_stop", "index": 0})
    yield sse_event(
        "message_delta",
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": SSE_DELTA_USAGE},
    )
    yield sse_event("message_stop", {"type": "message_stop"})


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    http_port: int
    https_port: int
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path_prefix: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path.startswith(path_prefix)]


def make_handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.handle_any()

        def do_POST(self) -> None:
            self.handle_any()

        def handle_any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            with upstream.lock:
                upstream.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
            url = urlsplit(self.path)
            if url.path == "/v1/messages":
                self.messages(body)
            elif url.path == "/binary":
                self.reply(200, "application/octet-stream", BINARY_RESPONSE)
            elif url.path == "/slow-sse":
                self.stream(spacing=0.3, repeat=40)
            elif url.path == "/fast-sse":
                self.stream(spacing=0, repeat=1)
            else:
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self.reply(200, "application/json", json.dumps({"ok": True, **query}).encode())

        def messages(self, body: bytes) -> None:
            text = gzip.decompress(body) if self.headers.get("content-encoding") == "gzip" else body
            request = json.loads(text)
            if request.get("stream"):
                self.stream(spacing=SSE_SPACING_S, repeat=1)
                return
            answer = {
                "id": "msg_2",
                "type": "message",
                "content": [{"type": "text", "text": "hi"}],
                "usage": JSON_USAGE,
            }
            self.reply(200, "application/json", json.dumps(answer).encode(), {"Set-Cookie": "sid=upstream-cookie-1"})

        def reply(self, status: int, content_type: str, data: bytes, extra: Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def stream(self, spacing: float, repeat: int) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            try:
                for _ in range(repeat):
                    for event in sse_events():
                        self.chunk(event)
                        if b"content_block_delta" in event:
                            time.sleep(spacing)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.close_connection = True  # the proxy hung up: that is what some tests do

        def chunk(self, data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


def self_signed_context(tmp: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "upstream-cert.pem", tmp / "upstream-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    """An HTTP and an HTTPS upstream on 127.0.0.1, each on a free port, for the whole session."""
    plain = Server(("127.0.0.1", 0), BaseHTTPRequestHandler)
    secure = Server(("127.0.0.1", 0), BaseHTTPRequestHandler)
    secure.socket = self_signed_context(tmp_path_factory.mktemp("upstream-tls")).wrap_socket(
        secure.socket, server_side=True
    )
    state = Upstream(http_port=plain.server_address[1], https_port=secure.server_address[1])
    plain.RequestHandlerClass = secure.RequestHandlerClass = make_handler(state)
    threads = [
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True) for s in (plain, secure)
    ]
    for thread in threads:
        thread.start()
    yield state
    for server in (plain, secure):
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class Mitmdump:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    confdir: Path

    @property
    def ca(self) -> Path:
        return self.confdir / "mitmproxy-ca-cert.pem"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def signal_group(self, signum: signal.Signals) -> None:
        """
        A signal to mitmdump's whole process group, as a terminal (Ctrl-C), the lane runner or a process supervisor
        sends it: the processes mitmdump started get it too. Only for a mitmdump launched with `own_group`.
        """
        os.killpg(self.process.pid, signum)


def mitmdump_command(port: int, confdir: Path) -> list[str]:
    if not MITMDUMP.exists():
        raise AssertionError(f"{MITMDUMP} is missing: run `make venv` first")
    return [
        str(MITMDUMP),
        "--listen-host",
        "127.0.0.1",
        "-p",
        str(port),
        "--set",
        f"confdir={confdir}",
        "--set",
        "ssl_insecure=true",
        "--set",
        "flow_detail=0",
        "-s",
        str(ADDON),
    ]


def capture_env(env: Mapping[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAPTURE_")}
    return {**base, "PYTHONUNBUFFERED": "1", **env}


def launch_mitmdump(
    env: Mapping[str, str], workdir: Path, args: tuple[str, ...] = (), own_group: bool = False
) -> Mitmdump:
    """
    Start a real mitmdump with the addon, the given CAPTURE_* environment and extra arguments; wait until it listens.
    `own_group`: in a process group of its own, so that a test can signal that group without signalling itself.
    """
    port = free_port()
    confdir = workdir / f"mitmproxy-{port}"
    log = workdir / f"mitmdump-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*mitmdump_command(port, confdir), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=capture_env(env),
            process_group=0 if own_group else None,
        )
    dump = Mitmdump(process, port, log, confdir)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"mitmdump exited with {process.returncode}:\n{dump.output()}")
        return port_open(port)

    try:
        wait_until(ready, 30, "mitmdump to listen")
    except BaseException:
        dump.stop()
        raise
    return dump


@pytest.fixture
def start_mitmdump(tmp_path: Path) -> Iterator[Callable[[Mapping[str, str]], Mitmdump]]:
    """Like launch_mitmdump, stopping every mitmdump it started when the test ends."""
    started: list[Mitmdump] = []

    def start(env: Mapping[str, str]) -> Mitmdump:
        dump = launch_mitmdump(env, tmp_path)
        started.append(dump)
        return dump

    yield start
    for dump in started:
        dump.stop()


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
