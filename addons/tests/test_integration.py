"""
A real mitmdump with the addon, in front of a real upstream on 127.0.0.1, with real traffic.

One lane run (the `lane` fixture) sends everything the issue lists — JSON over HTTPS (CONNECT), gzip JSON, a binary
body, SSE spread over 2 s, a client that hangs up mid-stream, a closed port, a host that is not captured and 200
concurrent requests — and the tests below each check one promise against that run. Further tests start their own
mitmdump: bad configuration, capture-file failures, continuing an existing capture.
"""

import base64
import gzip
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import ssl
import stat
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ADDON,
    BINARY_RESPONSE,
    JSON_USAGE,
    MITMDUMP,
    SCHEMA,
    SSE_DELTAS,
    SSE_SPACING_S,
    SSE_START_USAGE,
    SSE_USAGE,
    Mitmdump,
    Upstream,
    capture_env,
    free_port,
    launch_mitmdump,
    mitmdump_command,
    port_open,
    read_records,
    wait_until,
)
from jsonschema import Draft202012Validator

from headroom_capture.options import OPTIONS

CONCURRENT = 200
BODY_CAP = 1024


@dataclass
class Canaries:
    api_key: str = field(default_factory=lambda: f"sk-ant-canary-CANARY{secrets.token_hex(12)}")
    bearer: str = field(default_factory=lambda: f"canary-bearer-{secrets.token_hex(12)}")
    cookie: str = field(default_factory=lambda: f"canary-cookie-{secrets.token_hex(12)}")
    query: str = field(default_factory=lambda: f"canary-query-{secrets.token_hex(12)}")
    proxy_token: str = field(default_factory=lambda: f"canary-proxy-token-{secrets.token_hex(12)}")

    def all(self) -> dict[str, str]:
        return dict(vars(self))

    def secret_headers(self) -> dict[str, str]:
        return {
            "x-api-key": self.api_key,
            "Authorization": f"Bearer {self.bearer}",
            "Cookie": f"session={self.cookie}; theme=dark",
        }


@dataclass
class LaneRun:
    """What one lane run sent, saw and captured."""

    upstream: Upstream
    dump: Mitmdump
    captures: Path
    output: Path
    canaries: Canaries
    records: list[dict[str, Any]] = field(default_factory=list)
    observed: dict[str, Any] = field(default_factory=dict)

    def one(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        found = [r for r in self.records if predicate(r)]
        assert len(found) == 1, f"expected exactly one matching record, found {len(found)}"
        return found[0]

    def by_path(self, path: str) -> dict[str, Any]:
        return self.one(lambda r: r["url"].split("//", 1)[1].split("/", 1)[1].startswith(path.lstrip("/")))


# --- clients ----------------------------------------------------------------------------------------------------


def via_proxy(
    proxy_port: int,
    method: str,
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A plain-HTTP request through the proxy (absolute-form request line)."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=30)
    try:
        conn.request(method, url, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def via_connect(
    dump: Mitmdump, port: int, method: str, path: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int, bytes]:
    """An HTTPS request through the proxy: CONNECT, then TLS with mitmproxy's CA."""
    context = ssl.create_default_context(cafile=str(dump.ca))
    conn = http.client.HTTPSConnection("127.0.0.1", dump.port, timeout=30, context=context)
    conn.set_tunnel("127.0.0.1", port)
    try:
        conn.request(method, path, body=body, headers=dict(headers))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def stream_sse(proxy_port: int, url: str) -> dict[str, float]:
    """Read an SSE response through the proxy; when did the first event and the end reach this client?"""
    body = json.dumps({"model": "claude-test", "stream": True, "messages": []}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=30)
    started = time.monotonic()
    conn.request("POST", url, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    received, first_event = b"", None
    while chunk := response.read1(65536):
        received += chunk
        if first_event is None and b"message_start" in received:
            first_event = time.monotonic()
    ended = time.monotonic()
    conn.close()
    assert first_event is not None, "no message_start reached the client"
    return {"first_event_s": first_event - started, "duration_s": ended - started, "bytes": len(received)}


def hang_up_mid_stream(proxy_port: int, url: str) -> None:
    """Ask for a long SSE stream, read its first event, then close the connection."""
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=30) as sock:
        host = url.split("//", 1)[1].split("/", 1)[0]
        sock.sendall(f"GET {url} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
        received = b""
        while b"message_start" not in received:
            chunk = sock.recv(65536)
            assert chunk, "the stream ended before its first event"
            received += chunk


def concurrent_requests(proxy_port: int, upstream_port: int) -> list[int]:
    barrier = threading.Barrier(CONCURRENT, timeout=30)

    def one(i: int) -> int:
        barrier.wait()
        status, _, body = via_proxy(proxy_port, "GET", f"http://127.0.0.1:{upstream_port}/echo?i={i}")
        assert json.loads(body) == {"ok": True, "i": str(i)}
        return status

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        return list(pool.map(one, range(CONCURRENT)))


# --- the lane run -----------------------------------------------------------------------------------------------

GZIP_REQUEST = {"model": "claude-test", "max_tokens": 64, "messages": [{"role": "user", "content": "gzipped"}]}


@pytest.fixture(scope="module")
def lane(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> LaneRun:
    work = tmp_path_factory.mktemp("lane")
    captures = work / "captures"  # does not exist yet: the addon creates it
    output = captures / "direct.jsonl"
    canaries = Canaries()
    env = {
        "CAPTURE_LANE": "direct",
        "CAPTURE_OUTPUT": str(output),
        "CAPTURE_INCLUDE_HOSTS": "127.0.0.1",
        "CAPTURE_BODY_BYTES": str(BODY_CAP),
        "CAPTURE_PROXY_TOKEN": canaries.proxy_token,
        "CAPTURE_PROXY_TOKEN_HOSTS": "127.0.0.1",
    }
    dump = launch_mitmdump(env, work)
    run = LaneRun(upstream, dump, captures, output, canaries)
    plain = f"http://127.0.0.1:{upstream.http_port}"
    observed = run.observed
    expected = 0
    try:
        # JSON over HTTPS through CONNECT, carrying every kind of secret; the key also echoed in the body.
        message = {"model": "claude-test", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
        message["metadata"] = {"note": f"the key is {canaries.api_key}"}
        status, body = via_connect(
            dump,
            upstream.https_port,
            "POST",
            f"/v1/messages?beta=true&token={canaries.query}",
            json.dumps(message).encode(),
            {"Content-Type": "application/json", "anthropic-version": "2023-06-01", **canaries.secret_headers()},
        )
        observed["https"] = (status, json.loads(body))
        expected += 1

        # gzip-encoded JSON request.
        gz = gzip.compress(json.dumps(GZIP_REQUEST).encode())
        observed["gzip_sent"] = gz
        observed["gzip"] = via_proxy(
            dump.port,
            "POST",
            f"{plain}/v1/messages?variant=gzip",
            gz,
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        expected += 1

        # A binary body bigger than the body cap, with the API key inside it.
        binary = os.urandom(3000) + canaries.api_key.encode() + os.urandom(3000)
        observed["binary_sent"] = binary
        observed["binary"] = via_proxy(
            dump.port, "POST", f"{plain}/binary", binary, {"Content-Type": "application/octet-stream"}
        )
        expected += 1

        # SSE spread over ~2 s, and a client that hangs up in the middle of one.
        observed["sse"] = stream_sse(dump.port, f"{plain}/v1/messages?variant=sse")
        hang_up_mid_stream(dump.port, f"{plain}/slow-sse")
        expected += 2

        # Nothing listens on this port.
        closed = free_port()
        observed["closed_port"] = closed
        observed["closed"] = via_proxy(dump.port, "GET", f"http://127.0.0.1:{closed}/v1/messages")
        expected += 1

        # TLS towards a server that speaks plain HTTP: the upstream handshake fails.
        observed["tls"] = via_proxy(dump.port, "GET", f"https://127.0.0.1:{upstream.http_port}/tls-mismatch")
        expected += 1

        # Not an included host: proxied, not captured.
        observed["excluded"] = via_proxy(dump.port, "GET", f"http://localhost:{upstream.http_port}/echo?excluded=1")

        observed["concurrent"] = concurrent_requests(dump.port, upstream.http_port)
        expected += CONCURRENT

        wait_until(lambda: output.exists() and len(read_records(output)) >= expected, 30, f"{expected} records")
    finally:
        observed["exit_code"] = dump.stop()
    run.records = read_records(output)
    observed["expected"] = expected
    return run


# --- what the lane run must show --------------------------------------------------------------------------------


def test_every_exchange_is_recorded_exactly_once(lane: LaneRun) -> None:
    assert lane.observed["exit_code"] == 0, lane.dump.output()
    assert len(lane.records) == lane.observed["expected"]
    sequences = sorted(r["sequence"] for r in lane.records)
    assert sequences == list(range(1, len(lane.records) + 1))
    assert lane.observed["concurrent"] == [200] * CONCURRENT
    per_i = Counter(r["url"].rsplit("i=", 1)[1] for r in lane.records if "/echo?i=" in r["url"])
    assert per_i == Counter({str(i): 1 for i in range(CONCURRENT)})


def test_every_line_validates_against_the_schema(lane: LaneRun) -> None:
    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    lines = lane.output.read_text().splitlines()
    assert len(lines) == lane.observed["expected"]
    for number, line in enumerate(lines, 1):
        errors = [e.message for e in validator.iter_errors(json.loads(line))]
        assert not errors, f"line {number}: {errors}"


def test_no_secret_reaches_any_file_under_the_captures_folder(lane: LaneRun) -> None:
    files = [p for p in lane.captures.rglob("*") if p.is_file()]
    assert files == [lane.output]
    stored = b"".join(p.read_bytes() for p in files)
    # Bodies kept as base64 must not hide one either.
    stored += b"".join(base64.b64decode(r["request_body_b64"]) for r in lane.records if "request_body_b64" in r)
    for name, value in lane.canaries.all().items():
        assert value.encode() not in stored, f"the canary {name} reached the capture"
    record = lane.by_path("/v1/messages?beta")
    headers = {k.lower(): v for k, v in record["request_headers"].items()}
    assert headers["x-api-key"] == headers["authorization"] == headers["cookie"] == "<redacted>"
    assert headers["anthropic-version"] == "2023-06-01"
    assert record["url"].endswith("/v1/messages?beta=true&token=<redacted>")
    assert record["response_headers"]["Set-Cookie"] == "<redacted>"
    assert record["request_json"]["metadata"] == {"note": "the key is <redacted>"}


def test_proxy_token_is_added_upstream_and_shown_redacted(lane: LaneRun) -> None:
    received = lane.upstream.requests_to("/v1/messages?beta")
    assert [r.headers.get("X-Headroom-Proxy-Token") for r in received] == [lane.canaries.proxy_token]
    record = lane.by_path("/v1/messages?beta")
    assert record["request_headers"]["X-Headroom-Proxy-Token"] == "<redacted>"


def test_captures_folder_is_0700_and_file_0600(lane: LaneRun) -> None:
    assert stat.S_IMODE(lane.captures.stat().st_mode) == 0o700
    assert stat.S_IMODE(lane.output.stat().st_mode) == 0o600


def test_json_over_connect_has_request_json_and_usage(lane: LaneRun) -> None:
    status, answer = lane.observed["https"]
    assert status == 200
    assert answer["usage"] == JSON_USAGE
    record = lane.by_path("/v1/messages?beta")
    assert record["url"].startswith(f"https://127.0.0.1:{lane.upstream.https_port}/")
    assert record["method"] == "POST"
    assert record["host"] == "127.0.0.1"
    assert record["request_json"]["model"] == "claude-test"
    assert "request_body_b64" not in record
    sent = lane.upstream.requests_to("/v1/messages?beta")[0].body
    assert record["request_body_size"] == len(sent)
    assert record["request_body_sha256"] == hashlib.sha256(sent).hexdigest()
    assert record["response_status"] == 200
    assert record["response_stream"] is False
    assert record["usage"] == JSON_USAGE
    timings = record["timings"]
    assert 0 <= timings["response_headers_ms"] <= timings["first_byte_ms"] <= timings["end_ms"]
    assert "error" not in record


def test_gzip_json_is_decoded_for_request_json_and_passed_unchanged(lane: LaneRun) -> None:
    record = lane.by_path("/v1/messages?variant=gzip")
    sent = lane.observed["gzip_sent"]
    assert lane.upstream.requests_to("/v1/messages?variant=gzip")[0].body == sent
    assert record["request_content_encoding"] == "gzip"
    assert record["request_json"] == GZIP_REQUEST
    assert record["request_body_size"] == len(sent)
    assert record["request_body_sha256"] == hashlib.sha256(sent).hexdigest()
    assert record["usage"] == JSON_USAGE


def test_binary_body_is_capped_base64_and_bytes_pass_unchanged(lane: LaneRun) -> None:
    sent = lane.observed["binary_sent"]
    status, _, body = lane.observed["binary"]
    assert status == 200
    assert body == BINARY_RESPONSE
    assert lane.upstream.requests_to("/binary")[0].body == sent
    record = lane.by_path("/binary")
    assert "request_json" not in record
    assert base64.b64decode(record["request_body_b64"]) == sent[:BODY_CAP]
    assert record["request_body_truncated"] is True
    assert record["request_body_size"] == len(sent)
    assert record["request_body_sha256"] == hashlib.sha256(sent).hexdigest()
    assert record["response_body_size"] == len(BINARY_RESPONSE)
    assert record["response_body_sha256"] == hashlib.sha256(BINARY_RESPONSE).hexdigest()
    assert record["usage"] is None


def test_sse_streams_through_and_usage_matches_upstream(lane: LaneRun) -> None:
    sse = lane.observed["sse"]
    assert sse["duration_s"] >= SSE_DELTAS * SSE_SPACING_S * 0.9
    assert sse["first_event_s"] < 0.2 * sse["duration_s"], sse
    record = lane.by_path("/v1/messages?variant=sse")
    assert record["response_stream"] is True
    assert record["usage"] == SSE_USAGE
    assert record["response_body_size"] == sse["bytes"]
    timings = record["timings"]
    assert timings["first_byte_ms"] < 0.2 * timings["end_ms"], timings
    assert timings["end_ms"] >= SSE_DELTAS * SSE_SPACING_S * 1000 * 0.9
    print(
        f"SSE: first event at the client after {sse['first_event_s'] * 1000:.0f} ms"
        f" of {sse['duration_s'] * 1000:.0f} ms;"
        f" recorded first_byte_ms={timings['first_byte_ms']}, end_ms={timings['end_ms']}"
    )


def test_client_gone_mid_stream_is_one_record_with_error(lane: LaneRun) -> None:
    record = lane.by_path("/slow-sse")
    assert record["error"]["kind"] == "client_disconnected", record["error"]
    assert record["response_status"] == 200
    assert record["response_stream"] is True
    assert record["response_body_size"] > 0
    assert record["usage"] == SSE_START_USAGE  # only message_start had passed when the client left


def test_closed_port_is_recorded_with_error(lane: LaneRun) -> None:
    status, _, _ = lane.observed["closed"]
    assert status == 502
    record = lane.one(lambda r: r["url"].startswith(f"http://127.0.0.1:{lane.observed['closed_port']}/"))
    assert record["error"]["kind"] == "upstream_connect"
    assert record["error"]["message"]
    assert record["response_status"] is None
    assert record["response_headers"] is None
    assert record["timings"]["response_headers_ms"] is None
    assert record["timings"]["end_ms"] is not None


def test_failed_upstream_tls_is_recorded_with_error(lane: LaneRun) -> None:
    assert lane.observed["tls"][0] == 502
    record = lane.by_path("/tls-mismatch")
    assert record["error"]["kind"] == "tls", record["error"]
    assert record["response_status"] is None


def test_hosts_not_included_are_proxied_but_not_recorded(lane: LaneRun) -> None:
    status, _, body = lane.observed["excluded"]
    assert (status, json.loads(body)) == (200, {"ok": True, "excluded": "1"})
    assert not [r for r in lane.records if "excluded" in r["url"]]


# --- own mitmdumps ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CAPTURE_LANE": "direct", "CAPTURE_BODY_BYTES": "lots"}, "CAPTURE_BODY_BYTES"),
        ({}, "CAPTURE_LANE"),
        ({"CAPTURE_LANE": "direct", "CAPTURE_INCLUDE_HOSTS": "https://api.anthropic.com"}, "CAPTURE_INCLUDE_HOSTS"),
        ({"CAPTURE_LANE": "direct", "CAPTURE_PROXY_TOKEN": "canary-line\nbreak"}, "CAPTURE_PROXY_TOKEN"),
    ],
)
def test_bad_configuration_stops_mitmdump_with_one_clear_line(
    env: dict[str, str], variable: str, tmp_path: Path
) -> None:
    assert MITMDUMP.exists(), "run `make venv` first"
    full_env = {"CAPTURE_OUTPUT": str(tmp_path / "c" / "x.jsonl"), **env}
    result = subprocess.run(
        mitmdump_command(free_port(), tmp_path / "conf"),
        env=capture_env(full_env),
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 1, output
    assert "Traceback" not in output
    ours = [line for line in output.splitlines() if "capture:" in line]
    assert len(ours) == 1, output
    assert variable in ours[0]
    assert "canary-line" not in output  # a token is never echoed, even a bad one
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("folder-is-a-file", "cannot open"),  # the captures "folder" cannot be created or opened
        ("disk-full", "cannot write to"),  # /dev/full: every write fails with ENOSPC
    ],
)
def test_capture_failure_is_logged_once_and_traffic_flows(
    where: str,
    message: str,
    upstream: Upstream,
    start_mitmdump: Callable[[Mapping[str, str]], Mitmdump],
    tmp_path: Path,
) -> None:
    if where == "folder-is-a-file":
        (tmp_path / "not-a-folder").write_text("")
        output = tmp_path / "not-a-folder" / "direct.jsonl"
    else:
        output = Path("/dev/full")
        assert output.exists(), "this test needs Linux's /dev/full"
    dump = start_mitmdump({"CAPTURE_LANE": "direct", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"})
    for i in range(3):
        status, _, body = via_proxy(dump.port, "GET", f"http://127.0.0.1:{upstream.http_port}/echo?n={i}")
        assert (status, json.loads(body)) == (200, {"ok": True, "n": str(i)})
    wait_until(lambda: message in dump.output(), 10, "the capture error in mitmdump's log")
    assert dump.stop() == 0
    errors = [line for line in dump.output().splitlines() if "capture: cannot" in line]
    assert len(errors) == 1, dump.output()
    assert message in errors[0]
    assert "traffic keeps flowing" in errors[0]


def test_appending_continues_the_sequence_after_a_cut_line(
    upstream: Upstream, start_mitmdump: Callable[[Mapping[str, str]], Mitmdump], tmp_path: Path
) -> None:
    output = tmp_path / "captures" / "direct.jsonl"
    output.parent.mkdir()
    earlier = [
        {"schema_version": 1, "lane": "direct", "sequence": n, "timestamp": 1.0, "method": "GET"} for n in (3, 5, 4)
    ]
    lines = [json.dumps(r, separators=(",", ":")) for r in earlier]
    cut = '{"schema_version":1,"lane":"direct","sequence":6,"timestamp":17000'  # an interrupted capture
    output.write_text("\n".join(lines) + "\n" + cut)
    dump = start_mitmdump({"CAPTURE_LANE": "direct", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"})
    for _ in range(2):
        assert via_proxy(dump.port, "GET", f"http://127.0.0.1:{upstream.http_port}/echo")[0] == 200
    assert dump.stop() == 0
    text = output.read_text().splitlines()
    assert text[:4] == [*lines, cut]
    assert [json.loads(line)["sequence"] for line in text[4:]] == [7, 8]


def test_settings_are_mitmproxy_options_that_win_over_the_environment(upstream: Upstream, tmp_path: Path) -> None:
    output = tmp_path / "from-set.jsonl"
    port = free_port()
    command = mitmdump_command(port, tmp_path / "conf")
    command += [
        "--set",
        "capture_lane=from-set",
        "--set",
        f"capture_output={output}",
        "--set",
        "capture_include_hosts=*",
    ]
    env = capture_env({"CAPTURE_LANE": "from-env", "CAPTURE_OUTPUT": str(tmp_path / "from-env.jsonl")})
    log = tmp_path / "mitmdump.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    dump = Mitmdump(process, port, log, tmp_path / "conf")
    try:
        wait_until(lambda: process.poll() is None and port_open(port), 30, "mitmdump to listen")
        status, _, _ = via_proxy(port, "GET", f"http://127.0.0.1:{upstream.http_port}/echo?via=set")
        assert status == 200
    finally:
        assert dump.stop() == 0
    (record,) = read_records(output)
    assert record["lane"] == "from-set"
    assert not (tmp_path / "from-env.jsonl").exists()


LISTING_ENV = {"CAPTURE_LANE": "direct", "CAPTURE_PROXY_TOKEN": "canary-listed-token-1"}
# mitmdump loads `-s` scripts before it prints `--options` from mitmproxy 12.2.2 on (mitmproxy/tools/main.py, `run`).
LISTS_SCRIPT_OPTIONS_FROM = (12, 2, 2)


def option_blocks(listing: str) -> dict[str, str]:
    """Each option of a `--options` listing: its name -> its block (the help comment, then `name: default`)."""
    blocks = [block.strip() for block in listing.strip().split("\n\n") if block.strip()]
    return {block.splitlines()[-1].split(":", 1)[0]: block for block in blocks}


def listed_by_the_addon() -> str:
    python = MITMDUMP.parent / "python"
    command = [str(python), str(ADDON), "--options"]
    return subprocess.run(command, capture_output=True, text=True, env=capture_env(LISTING_ENV), check=True).stdout


def mitmproxy_version() -> tuple[int, ...]:
    shown = subprocess.run([str(MITMDUMP), "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Mitmproxy: (\d+)\.(\d+)\.(\d+)", shown)
    assert found, shown
    return tuple(int(part) for part in found.groups())


def test_the_options_are_listed_in_mitmproxys_format_with_their_environment_defaults() -> None:
    listed = listed_by_the_addon()
    blocks = option_blocks(listed)
    assert sorted(blocks) == sorted(spec.name for spec in OPTIONS)
    assert blocks["capture_lane"].startswith("# Lane name written in every record")
    assert blocks["capture_lane"].endswith("\ncapture_lane: direct")
    assert blocks["capture_include_hosts"].endswith("\ncapture_include_hosts: api.anthropic.com")
    assert blocks["capture_body_bytes"].endswith("\ncapture_body_bytes: '262144'")
    assert blocks["capture_proxy_token"].endswith("\ncapture_proxy_token: ''")  # set, but never shown
    assert "canary-listed-token-1" not in listed


def test_mitmdump_options_lists_the_capture_options_where_mitmproxy_loads_scripts_first(tmp_path: Path) -> None:
    """
    `mitmdump -s addons/mitm_capture.py --options` lists the capture options exactly as the addon's own listing does
    on mitmproxy 12.2.2 and later (the Compose image); on earlier ones (the project's .venv, 11.0.2) it cannot list
    them at all, which is why the addon lists them itself. Run on both with HEADROOM_TEST_MITMDUMP.
    """
    command = [str(MITMDUMP), "-s", str(ADDON), "--options", "--set", f"confdir={tmp_path / 'conf'}"]
    result = subprocess.run(command, capture_output=True, text=True, env=capture_env(LISTING_ENV), timeout=120)
    assert result.returncode == 0, result.stderr
    by_mitmdump = {name: block for name, block in option_blocks(result.stdout).items() if name.startswith("capture_")}
    expected = option_blocks(listed_by_the_addon()) if mitmproxy_version() >= LISTS_SCRIPT_OPTIONS_FROM else {}
    assert by_mitmdump == expected
    assert "canary-listed-token-1" not in result.stdout + result.stderr
