"""
Load and faults through a real lane (mitmdump with the addon) on loopback, as docs/reliability.md reports them:

- 1,000 exchanges at 50 concurrent, half of them SSE: 1,000 valid records, no corrupt line;
- the disk fills mid-run (a small tmpfs): traffic keeps flowing, one error is logged, capture resumes when space
  returns;
- the upstream resets a connection mid-stream: one record with an error, and the client sees the reset;
- a CONNECT whose upstream cannot be reached: one record with the cause, also when the lane is stopped (its whole
  process group signalled, as a terminal or the lane runner does) the moment the client has seen the failure.

Each test prints its figures (run pytest with -s to see them).
"""

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import SCHEMA, Mitmdump, Upstream, launch_mitmdump, wait_until
from jsonschema import Draft202012Validator

EXCHANGES = 1_000
CONCURRENT = 50


def request(port: int, method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, url, body=body, headers={"content-type": "application/json", "x-api-key": "CANARYLOAD-k"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def valid_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The records that parse and validate against the schema, and the number of lines that do not."""
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()))
    good, corrupt = [], 0
    for line in lines_of(path):
        try:
            record = json.loads(line)
            validator.validate(record)
            good.append(record)
        except (ValueError, Exception):  # noqa: BLE001 - any failure is a corrupt line
            corrupt += 1
    return good, corrupt


def test_a_thousand_exchanges_at_fifty_concurrent_half_sse(
    upstream: Upstream, start_mitmdump: Callable[[Mapping[str, str]], Mitmdump], tmp_path: Path
) -> None:
    output = tmp_path / "load.jsonl"
    dump = start_mitmdump({"CAPTURE_LANE": "load", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"})
    base = f"http://127.0.0.1:{upstream.http_port}"
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 2000}]}).encode()

    def one(i: int) -> tuple[int, bool]:
        if i % 2:
            status, data = request(dump.port, "GET", f"{base}/fast-sse?n={i}")
            return status, data.count(b"event: message_stop") == 1
        status, data = request(dump.port, "POST", f"{base}/v1/messages?n={i}", body)
        return status, b'"usage"' in data

    started = time.monotonic()
    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(one, range(EXCHANGES)))
    elapsed = time.monotonic() - started
    assert results == [(200, True)] * EXCHANGES
    wait_until(lambda: len(lines_of(output)) >= EXCHANGES, 300, "every record to be written")
    assert dump.stop() == 0
    records, corrupt = valid_records(output)
    print(
        f"\nload: {EXCHANGES} exchanges, {CONCURRENT} concurrent, half SSE: {elapsed:.1f} s "
        f"({EXCHANGES / elapsed:.0f}/s), {len(records)} valid records, {corrupt} corrupt lines"
    )
    assert corrupt == 0
    assert len(records) == EXCHANGES
    assert sorted(r["sequence"] for r in records) == list(range(1, EXCHANGES + 1))
    streams = [r for r in records if r["response_stream"]]
    assert len(streams) == EXCHANGES // 2
    assert all(r["usage"] and r["usage"]["output_tokens"] == 73 for r in streams)


# --- the disk fills ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` (needs root: mount(8)); unmounted and removed afterwards."""
    if os.geteuid() != 0:
        raise AssertionError("the disk-full test mounts a small tmpfs and needs root (run the tests as root)")
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()


def fill(path: Path) -> int:
    """Write zeros to `path` until the file system is full; the bytes written."""
    written = 0
    block = b"\0" * 4096
    with path.open("wb", buffering=0) as file:
        for _ in range(1 << 20):  # bounded: at most 4 GiB, far more than the tmpfs holds
            try:
                written += file.write(block) or 0
            except OSError:
                break
    return written


def test_disk_full_mid_run_keeps_traffic_flowing_and_capture_resumes(
    upstream: Upstream, start_mitmdump: Callable[[Mapping[str, str]], Mitmdump], tmp_path: Path
) -> None:
    with small_tmpfs(tmp_path / "disk", "512k") as disk:
        output = disk / "captures" / "lane.jsonl"
        dump = start_mitmdump({"CAPTURE_LANE": "disk", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"})
        base = f"http://127.0.0.1:{upstream.http_port}"

        def exchanges(phase: str, count: int) -> None:
            for i in range(count):
                status, data = request(dump.port, "GET", f"{base}/echo?phase={phase}&n={i}")
                assert (status, json.loads(data)) == (200, {"ok": True, "phase": phase, "n": str(i)})

        exchanges("before", 5)
        wait_until(lambda: len(lines_of(output)) == 5, 30, "the first records")
        filler = disk / "filler"
        filled = fill(filler)
        exchanges("full", 5)  # traffic flows; the records are lost
        wait_until(lambda: "No space left on device" in dump.output(), 30, "the disk-full error")
        filler.unlink()
        exchanges("after", 5)
        wait_until(lambda: sum("phase=after" in line for line in lines_of(output)) == 5, 30, "capture to resume")
        assert dump.stop() == 0
        errors = [line for line in dump.output().splitlines() if "capture: cannot" in line]
        records, corrupt = valid_records(output)
        phases = [r["url"].split("phase=")[1].split("&")[0] for r in records]
        print(
            f"\ndisk full: filler {filled} bytes; records before/full/after: {phases.count('before')}/"
            f"{phases.count('full')}/{phases.count('after')}; corrupt lines {corrupt}; errors logged {len(errors)}"
        )
        assert len(errors) == 1, dump.output()
        assert "No space left on device" in errors[0]
        assert corrupt == 0
        assert phases.count("before") == 5
        assert phases.count("after") == 5
        assert "record(s) could not be written" in dump.output()


# --- the upstream resets mid-stream -----------------------------------------------------------------------------


class ResettingUpstream:
    """Answers one request with SSE headers and two events, then resets the connection (RST, not FIN)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self.sent = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            events = b'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5}}}\n\n'
            events += b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"hi"}}\n\n'
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            payload = b"%x\r\n%s\r\n" % (len(events), events)
            conn.sendall(head + payload)
            self.sent = len(events)
            time.sleep(0.3)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        self.thread.join(10)
        self.server.close()


def test_an_upstream_reset_mid_stream_is_one_record_with_an_error_and_the_client_sees_it(
    start_mitmdump: Callable[[Mapping[str, str]], Mitmdump], tmp_path: Path
) -> None:
    upstream = ResettingUpstream()
    output = tmp_path / "reset.jsonl"
    try:
        dump = start_mitmdump({"CAPTURE_LANE": "reset", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"})
        conn = http.client.HTTPConnection("127.0.0.1", dump.port, timeout=30)
        conn.request("GET", f"http://127.0.0.1:{upstream.port}/v1/messages")
        response = conn.getresponse()
        assert response.status == 200
        with pytest.raises((http.client.IncompleteRead, ConnectionError, http.client.HTTPException)):
            response.read()  # the stream ends without its last chunk: the client sees the break
        conn.close()
        wait_until(lambda: len(lines_of(output)) >= 1, 30, "the record of the broken stream")
        assert dump.stop() == 0
    finally:
        upstream.close()
    records, corrupt = valid_records(output)
    assert corrupt == 0
    (record,) = records
    print(f"\nreset mid-stream: error {record['error']}, {record['response_body_size']} bytes passed")
    assert record["error"]["kind"] in ("protocol", "other")
    assert record["error"]["message"]
    assert record["response_status"] == 200
    assert record["response_body_size"] == upstream.sent
    assert record["usage"]["input_tokens"] == 5


# --- a CONNECT whose upstream cannot be reached -------------------------------------------------------------------


def test_a_failed_connect_is_recorded_with_its_cause(
    start_mitmdump: Callable[[Mapping[str, str]], Mitmdump], tmp_path: Path
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        output = tmp_path / "connect.jsonl"
        dump = start_mitmdump({"CAPTURE_LANE": "direct", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"})
        conn = http.client.HTTPSConnection("127.0.0.1", dump.port, timeout=30)
        conn.set_tunnel("127.0.0.1", port)
        with pytest.raises(OSError, match="502"):
            conn.request("GET", "/v1/messages")
        conn.close()
        wait_until(lambda: len(lines_of(output)) >= 1, 30, "the record of the failed CONNECT")
        assert dump.stop() == 0
    records, corrupt = valid_records(output)
    (record,) = records
    print(f"\nfailed CONNECT: error {record['error']}")
    assert corrupt == 0
    assert record["method"] == "CONNECT"
    assert record["url"] == f"127.0.0.1:{port}"
    assert record["error"]["kind"] == "upstream_connect"
    assert "Connection refused" in record["error"]["message"] or "Connect call failed" in record["error"]["message"]
    assert "connection_strategy" not in record["error"]["message"]


UNRESOLVABLE = "nonexistent.invalid"  # .invalid never resolves (RFC 2606)
NOT_RESOLVED = re.compile(
    r"Name or service not known|Temporary failure in name resolution|No address associated|nodename nor servname"
)


def fail_through(dump: Mitmdump, host: str) -> str:
    """
    A short-lived client: one HTTPS request to `host` through the lane, which cannot reach it. Returns what the client
    saw: the CONNECT refused (connection_strategy=eager, mitmproxy's default) or a 502 inside the tunnel (lazy).
    """
    context = ssl.create_default_context(cafile=str(dump.ca))
    conn = http.client.HTTPSConnection("127.0.0.1", dump.port, timeout=30, context=context)
    conn.set_tunnel(host, 443)
    try:
        conn.request("POST", "/v1/messages", body=b"{}", headers={"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        return f"HTTP {response.status}"
    except OSError as e:
        return str(e)
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("strategy", "signum"),
    [("eager", signal.SIGTERM), ("lazy", signal.SIGTERM), ("eager", signal.SIGINT)],
    ids=["eager-SIGTERM", "lazy-SIGTERM", "eager-SIGINT"],
)
def test_a_failed_connect_is_recorded_when_the_lane_stops_right_after(
    strategy: str, signum: signal.Signals, tmp_path: Path
) -> None:
    """
    The lane is stopped the moment its client has seen the failure. The signal reaches mitmdump's whole process
    group, the record writer included, which at that moment has only just been started for this first record.
    """
    output = tmp_path / "stopped.jsonl"
    env = {"CAPTURE_LANE": "direct", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"}
    dump = launch_mitmdump(env, tmp_path, ("--set", f"connection_strategy={strategy}"), own_group=True)
    try:
        seen = fail_through(dump, UNRESOLVABLE)
        failed_at = time.monotonic()
        dump.signal_group(signum)
        gap_ms = (time.monotonic() - failed_at) * 1000
        status = dump.process.wait(timeout=60)
    finally:
        dump.stop()
    records, corrupt = valid_records(output)
    print(f"\n{strategy}, {signum.name} {gap_ms:.1f} ms after the client saw {seen[:60]!r}: {len(records)} record(s)")
    assert "502" in seen
    assert status == 0, dump.output()
    assert corrupt == 0
    assert len(records) == 1, f"{len(records)} records; mitmdump's log:\n{dump.output()}"
    (record,) = records
    if strategy == "eager":  # the CONNECT itself failed
        assert (record["method"], record["url"]) == ("CONNECT", f"{UNRESOLVABLE}:443")
    else:  # the tunnel opened at once; the request inside it failed
        assert (record["method"], record["url"]) == ("POST", f"https://{UNRESOLVABLE}/v1/messages")
    assert record["error"]["kind"] == "upstream_connect"
    assert NOT_RESOLVED.search(record["error"]["message"]), record["error"]
    assert record["response_status"] is None


@contextlib.contextmanager
def unanswering_port() -> Iterator[int]:
    """
    A loopback port where a connection attempt waits: its listener never accepts and its accept queue is full, so the
    kernel drops further SYNs and the connecting side keeps retrying (for minutes).
    """
    with socket.socket() as listener, contextlib.ExitStack() as fillers:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        for _ in range(3):
            filler = fillers.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
        yield port


def connecting_to(port: int) -> int:
    """How many sockets on this machine are waiting for 127.0.0.1:port to answer their SYN (state SYN_SENT)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[2] == f"0100007F:{port:04X}" and line.split()[3] == "02")


def test_a_connect_still_waiting_for_its_upstream_when_the_lane_stops_is_recorded(tmp_path: Path) -> None:
    """
    mitmproxy calls `done` before it cancels the connection attempts still running, and reports those CONNECTs as
    failed only after `done`: the addon records them at `done`, as stopped.
    """
    output = tmp_path / "waiting.jsonl"
    env = {"CAPTURE_LANE": "direct", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"}
    dump = launch_mitmdump(env, tmp_path, own_group=True)
    try:
        with unanswering_port() as port, socket.create_connection(("127.0.0.1", dump.port), timeout=30) as client:
            before = connecting_to(port)
            client.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            wait_until(lambda: connecting_to(port) > before, 30, "mitmproxy's connection attempt")
            dump.signal_group(signal.SIGTERM)
            status = dump.process.wait(timeout=60)
    finally:
        dump.stop()
    records, corrupt = valid_records(output)
    print(f"\nCONNECT stopped while connecting: {[r['error'] for r in records]}")
    assert status == 0, dump.output()
    assert corrupt == 0
    (record,) = records
    assert (record["method"], record["url"]) == ("CONNECT", f"127.0.0.1:{port}")
    assert record["error"] == {"kind": "other", "message": "mitmproxy stopped before the CONNECT was answered"}
    assert record["response_status"] is None
