"""Unit tests for the capture addon, driven with mitmproxy's own test helpers (tflow, taddons)."""

import asyncio
import base64
import contextlib
import gzip
import hashlib
import json
import logging
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import hooks, http
from mitmproxy.flow import Error
from mitmproxy.test import taddons, tflow

from headroom_capture import bodies
from headroom_capture.addon import Capture
from headroom_capture.bodies import request_body_fields
from headroom_capture.capture_file import CaptureFile, highest_sequence
from headroom_capture.errors import classify_error
from headroom_capture.options import ConfigError, config_from_env
from headroom_capture.record import StreamState, dump_scrubbed
from headroom_capture.redact import redact_header_fields, redact_url, scrub_bytes, secret_forms
from headroom_capture.usage import SseUsage


@pytest.fixture
def output(tmp_path: Path) -> Path:
    return tmp_path / "captures" / "lane.jsonl"


@pytest.fixture
def addon(output: Path) -> Iterator[Capture]:
    capture = Capture(
        {
            "CAPTURE_LANE": "unit",
            "CAPTURE_OUTPUT": str(output),
            "CAPTURE_INCLUDE_HOSTS": "api.anthropic.com",
            "CAPTURE_BODY_BYTES": "16",
            "CAPTURE_PROXY_TOKEN": "proxy-token-value-123",
            "CAPTURE_PROXY_TOKEN_HOSTS": "headroom-proxy",
        }
    )
    with running(capture):
        yield capture


@contextlib.contextmanager
def running(capture: Capture) -> Iterator[taddons.context]:
    """The addon loaded and configured as mitmdump would, and shut down (writer stopped) at the end."""
    with taddons.context(capture) as tctx:
        tctx.master.addons.invoke_addon_sync(capture, hooks.ConfigureHook(set(tctx.options.keys())))
        try:
            yield tctx
        finally:
            capture.done()


def records(path: Path, capture: Capture | None = None) -> list[dict[str, Any]]:
    """The records in the file; with `capture`, once everything it handed to its writer is written."""
    if capture is not None:
        assert capture.flush()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def anthropic_flow(
    body: bytes = b'{"model":"m"}', resp: bool | http.Response = True, host: str = "api.anthropic.com"
) -> http.HTTPFlow:
    request = http.Request.make("POST", f"https://{host}/v1/messages", body, {"content-type": "application/json"})
    return tflow.tflow(req=request, resp=resp)


# --- configuration ----------------------------------------------------------------------------------------------


def test_defaults() -> None:
    config = config_from_env({"CAPTURE_LANE": "direct"})
    assert config.output == Path("/captures/direct.jsonl")
    assert config.include_hosts == frozenset({"api.anthropic.com"})
    assert config.body_bytes == 262144
    assert config.proxy_token == ""
    assert config.proxy_token_hosts == frozenset({"headroom-proxy"})


def test_hosts_are_a_case_insensitive_list_and_star_means_all() -> None:
    config = config_from_env({"CAPTURE_LANE": "x", "CAPTURE_INCLUDE_HOSTS": " API.Anthropic.com , example.test,"})
    assert config.include_hosts == frozenset({"api.anthropic.com", "example.test"})
    assert config_from_env({"CAPTURE_LANE": "x", "CAPTURE_INCLUDE_HOSTS": "*"}).include_hosts is None


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "capture_lane (CAPTURE_LANE) is not set"),
        ({"CAPTURE_LANE": "a/b"}, "cannot name a file"),
        ({"CAPTURE_LANE": "x", "CAPTURE_BODY_BYTES": "-1"}, "capture_body_bytes (CAPTURE_BODY_BYTES) = '-1'"),
        ({"CAPTURE_LANE": "x", "CAPTURE_BODY_BYTES": "1e6"}, "not a whole number"),
        ({"CAPTURE_LANE": "x", "CAPTURE_INCLUDE_HOSTS": "api.anthropic.com:443"}, "no scheme, port or path"),
        ({"CAPTURE_LANE": "x", "CAPTURE_INCLUDE_HOSTS": " , "}, "lists no host"),
        ({"CAPTURE_LANE": "x", "CAPTURE_PROXY_TOKEN_HOSTS": "*"}, "does not accept '*'"),
        ({"CAPTURE_LANE": "x", "CAPTURE_PROXY_TOKEN": "bad token"}, "CAPTURE_PROXY_TOKEN"),
        ({"CAPTURE_LANE": "x", "CAPTURE_OUTPUT": "/"}, "is a directory"),
    ],
)
def test_bad_values_are_one_clear_sentence(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_env(env)
    assert needle in str(error.value)
    assert "\n" not in str(error.value)
    assert "bad token" not in str(error.value)


def test_bad_configuration_is_logged_as_an_error_and_captures_nothing(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    capture = Capture({"CAPTURE_LANE": "x", "CAPTURE_OUTPUT": str(tmp_path / "o.jsonl"), "CAPTURE_BODY_BYTES": "x"})
    with caplog.at_level(logging.ERROR), running(capture):
        flow = anthropic_flow()
        capture.requestheaders(flow)
        capture.response(flow)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "capture: capture_body_bytes (CAPTURE_BODY_BYTES) = 'x' is not a whole number of bytes "
        "(e.g. 262144; 0 stores no body copy)"
    ]
    assert not (tmp_path / "o.jsonl").exists()


# --- redaction --------------------------------------------------------------------------------------------------


def test_sensitive_headers_are_redacted_and_repeats_joined() -> None:
    headers = http.Headers(
        [
            (b"Authorization", b"Bearer abcdefgh12345678"),
            (b"x-api-key", b"sk-ant-xyz"),
            (b"Proxy-Authorization", b"Basic dXNlcjpwYXNz"),
            (b"X-Auth-Token", b"t"),
            (b"Client-Secret", b"s"),
            (b"Set-Cookie", b"a=1"),
            (b"anthropic-beta", b"one"),
            (b"Anthropic-Beta", b"two"),
            (b"Content-Type", b"application/json"),
        ]
    )
    secrets: set[str] = set()
    assert redact_header_fields(headers.fields, secrets) == {
        "Authorization": "<redacted>",
        "x-api-key": "<redacted>",
        "Proxy-Authorization": "<redacted>",
        "X-Auth-Token": "<redacted>",
        "Client-Secret": "<redacted>",
        "Set-Cookie": "<redacted>",
        "anthropic-beta": "one, two",
        "Content-Type": "application/json",
    }
    assert {"Bearer abcdefgh12345678", "abcdefgh12345678", "sk-ant-xyz", "dXNlcjpwYXNz"} <= secrets


def test_token_counts_are_kept_but_not_tokens() -> None:
    headers = http.Headers(
        [
            (b"x-headroom-tokens-before", b"23757"),
            (b"x-headroom-tokens-saved", b"7639"),
            (b"anthropic-ratelimit-input-tokens-reset", b"2026-11-27T06:00:00Z"),
            (b"x-headroom-tokens-after", b"sk-ant-lookalike"),
            (b"x-refresh-token", b"12345"),
        ]
    )
    secrets: set[str] = set()
    assert redact_header_fields(headers.fields, secrets) == {
        "x-headroom-tokens-before": "23757",
        "x-headroom-tokens-saved": "7639",
        "anthropic-ratelimit-input-tokens-reset": "2026-11-27T06:00:00Z",
        "x-headroom-tokens-after": "<redacted>",
        "x-refresh-token": "<redacted>",
    }
    assert "23757" not in secrets
    assert "12345" in secrets


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/p", "https://h/p"),
        ("https://h/p?beta=true", "https://h/p?beta=true"),
        (
            "https://h/p?api_key=1&access_token=2&client_secret=3&X-Amz-Signature=4&code=5&keep=6",
            "https://h/p?api_key=<redacted>&access_token=<redacted>&client_secret=<redacted>"
            "&X-Amz-Signature=<redacted>&code=<redacted>&keep=6",
        ),
        ("https://h/p?flag&%4Bey=v", "https://h/p?flag&%4Bey=<redacted>"),
    ],
)
def test_sensitive_query_values_are_redacted(url: str, expected: str) -> None:
    assert redact_url(url, set()) == expected


def test_known_secrets_are_scrubbed_from_every_string_and_raw_bodies() -> None:
    secrets = {"sk-ant-secret-123", "short", 'odd","secret'}
    record = {
        "a": "x sk-ant-secret-123 y",
        "b": "short",
        "sk-ant-secret-123": ['odd","secret', 1],
        "u": "k=odd%22%2C%22secret",
    }
    line = dump_scrubbed(record, secrets)
    assert json.loads(line) == {
        "a": "x <redacted> y",
        "b": "short",
        "<redacted>": ["<redacted>", 1],
        "u": "k=<redacted>",
    }
    assert dump_scrubbed({"a": "nothing to see"}, secrets) == b'{"a":"nothing to see"}'
    assert scrub_bytes(b"k=sk-ant-secret-123&s=short", secrets) == b"k=<redacted>&s=short"


# --- SSE usage and the tee --------------------------------------------------------------------------------------

SSE = (
    b'event: message_start\r\ndata: {"type":"message_start","message":{"usage":'
    b'{"input_tokens":10,"output_tokens":1,"cache_creation_input_tokens":2,"cache_read_input_tokens":3}}}\r\n\r\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"hi"}}\n\n'
    b": a comment\n\n"
    b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":42,"input_tokens":null}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
SSE_USAGE = {"input_tokens": 10, "output_tokens": 42, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 3}


@pytest.mark.parametrize("chunk_size", [1, 7, 64, len(SSE)])
def test_sse_usage_merges_start_and_delta_across_any_chunking(chunk_size: int) -> None:
    parser = SseUsage(None)
    for i in range(0, len(SSE), chunk_size):
        parser.feed(SSE[i : i + chunk_size])
    assert parser.usage == SSE_USAGE


def test_sse_usage_reads_gzip_streams() -> None:
    parser = SseUsage("gzip")
    compressed = gzip.compress(SSE)
    for i in range(0, len(compressed), 10):
        parser.feed(compressed[i : i + 10])
    assert parser.usage == SSE_USAGE


def test_sse_usage_survives_a_chunk_that_inflates_past_the_piece_size() -> None:
    filler = b'data: {"type":"content_block_delta","delta":{"text":"' + b"x" * 3_000_000 + b'"}}\n\n'
    parser = SseUsage("gzip")
    parser.feed(gzip.compress(filler + SSE))  # one small chunk, > 3 MiB once inflated
    assert parser.usage == SSE_USAGE


def test_sse_without_usage_events_has_no_usage() -> None:
    parser = SseUsage(None)
    parser.feed(b'data: {"type":"ping"}\n\ndata: not json\n\n')
    assert parser.usage is None


def test_stream_state_counts_hashes_and_reads_usage_chunk_by_chunk() -> None:
    state = StreamState(None)
    for chunk in [SSE[:50], SSE[50:51], SSE[51:]]:
        state.feed(chunk)
    assert state.size == len(SSE)
    assert state.sha256.hexdigest() == hashlib.sha256(SSE).hexdigest()
    assert state.usage is not None
    assert state.usage.usage == SSE_USAGE


def test_stream_state_never_raises_on_a_broken_stream() -> None:
    state = StreamState("gzip")  # says gzip, is not
    state.feed(b"definitely not gzip")
    state.feed(b"more")
    assert state.usage is not None
    assert state.usage.enabled is False
    assert state.size == len(b"definitely not gzipmore")


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("[Errno 111] Connect call failed ('127.0.0.1', 1)", "upstream_connect"),
        ("Connection killed: blocked", "upstream_connect"),
        ("[Errno -2] Name or service not known", "upstream_connect"),
        ("Client disconnected.", "client_disconnected"),
        ("TLS handshake failed: certificate verify failed", "tls"),
        ("Connection timed out", "timeout"),
        ("HTTP/1 protocol error: bad chunk", "protocol"),
        ("server closed connection", "protocol"),
        ("Connection killed.", "other"),
    ],
)
def test_error_kinds(message: str, kind: str) -> None:
    assert classify_error(message) == kind


# --- reading an existing capture --------------------------------------------------------------------------------


def line(sequence: int, padding: int = 0) -> str:
    record = {"schema_version": 1, "lane": 'a "quoted" lane', "sequence": sequence, "request_json": "x" * padding}
    return json.dumps(record, separators=(",", ":"))


def test_highest_sequence_tolerates_out_of_order_and_a_cut_last_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([line(1), line(4), line(2), line(3), '{"sequence": 9, "lane": "other order"}']) + "\n")
    assert highest_sequence(path) == 9
    path.write_text(line(2) + "\n" + line(3) + "\n" + line(7)[:40])  # cut before the sequence ends: not counted
    assert highest_sequence(path) == 3
    path.write_text(line(2) + "\n" + line(8)[:60])  # cut after it: the number is taken
    assert highest_sequence(path) == 8


def test_highest_sequence_reads_across_block_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(line(n, padding=700_000) for n in (5, 1, 6, 2)) + "\n")
    assert highest_sequence(path) == 6
    (tmp_path / "empty.jsonl").write_text("")
    assert highest_sequence(tmp_path / "empty.jsonl") == 0


# --- the capture file -------------------------------------------------------------------------------------------


def test_capture_file_creates_folder_0700_and_file_0600(tmp_path: Path) -> None:
    path = tmp_path / "new" / "lane.jsonl"
    capture_file = CaptureFile(path)
    assert capture_file.append(b"one\n")
    assert capture_file.append(b"two\n")
    capture_file.close()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == b"one\ntwo\n"


def test_capture_file_starts_a_fresh_line_after_a_cut_one(tmp_path: Path) -> None:
    path = tmp_path / "lane.jsonl"
    path.write_bytes(b'{"complete":1}\n{"cut')
    capture_file = CaptureFile(path)
    assert capture_file.append(b"{}\n")
    capture_file.close()
    assert path.read_bytes() == b'{"complete":1}\n{"cut\n{}\n'


def test_capture_file_logs_each_failure_kind_once(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    blocked = CaptureFile(tmp_path / "file" / "lane.jsonl")
    full = CaptureFile(Path("/dev/full"))
    device_mode = os.stat("/dev/full").st_mode
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            assert not blocked.append(b"{}\n")
            assert not full.append(b"{}\n")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert "cannot open" in messages[0]
    assert "cannot write to /dev/full" in messages[1]
    assert (blocked.lost, full.lost) == (3, 3)
    assert os.stat("/dev/full").st_mode == device_mode  # only regular files are tightened to 0600


# --- the addon, flow by flow ------------------------------------------------------------------------------------


def test_json_exchange_becomes_one_schema_record(addon: Capture, output: Path) -> None:
    flow = anthropic_flow(
        resp=http.Response.make(
            200,
            json.dumps({"usage": {"input_tokens": 5, "output_tokens": 6, "cache_read_input_tokens": 7}}),
            {"content-type": "application/json"},
        )
    )
    addon.requestheaders(flow)
    addon.responseheaders(flow)
    addon.response(flow)
    addon.response(flow)  # a second call never writes a second record
    (record,) = records(output, addon)
    assert record["schema_version"] == 1
    assert record["lane"] == "unit"
    assert record["sequence"] == 1
    assert record["request_json"] == {"model": "m"}
    assert record["usage"] == {
        "input_tokens": 5,
        "output_tokens": 6,
        "cache_creation_input_tokens": None,
        "cache_read_input_tokens": 7,
    }
    assert record["response_stream"] is False
    assert set(record["timings"]) == {"response_headers_ms", "first_byte_ms", "end_ms"}


def test_events_through_taddons_cycle(output: Path, tmp_path: Path) -> None:
    capture = Capture({"CAPTURE_LANE": "unit", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"})
    with running(capture) as tctx:
        for _ in range(3):
            asyncio.run(tctx.cycle(capture, tflow.tflow(resp=True)))
        asyncio.run(tctx.cycle(capture, tflow.tflow(err=True)))
    got = records(output)
    assert [r["sequence"] for r in got] == [1, 2, 3, 4]
    assert got[3]["error"] == {"kind": "other", "message": "error"}


def test_gzip_request_is_decoded_into_request_json(addon: Capture, output: Path) -> None:
    raw = gzip.compress(b'{"messages":[1,2]}')
    flow = anthropic_flow(body=raw)
    flow.request.headers["content-encoding"] = "gzip"
    addon.requestheaders(flow)
    addon.response(flow)
    (record,) = records(output, addon)
    assert record["request_json"] == {"messages": [1, 2]}
    assert record["request_content_encoding"] == "gzip"
    assert record["request_body_size"] == len(raw)
    assert record["request_body_sha256"] == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("secrets", "as_sent"),
    [(set(), True), ({"proxy-token-value-123"}, False)],
    ids=["no known secret: as sent", "a known secret: parsed and scrubbed"],
)
def test_json_with_escapes_is_kept_as_sent_unless_an_escape_could_spell_a_secret(
    secrets: set[str], as_sent: bool
) -> None:
    """Escapes (`\\u00e9`, `\\/`) can hide a known secret from a search; with no secret to hide they are kept."""
    text = '{"text":"caf\\u00e9 \\/ \\"q\\""}'
    fields = request_body_fields(text.encode(), None, 16, secrets, secret_forms(secrets))
    line = dump_scrubbed(fields, secrets)
    assert (text.encode() in line) is as_sent
    assert json.loads(line)["request_json"] == {"text": 'café / "q"'}


def json_answer(parse: Callable[[Any], Any], text: str | bytes) -> tuple[str, str]:
    try:
        return ("value", repr(parse(text)))
    except (ValueError, RecursionError):
        return ("refused", "")


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1}',
        ' {"a": [1, 2.5, "x", null, true]} ',
        "[1e400]",
        "[-0.0]",
        "[18446744073709551616]",
        "[-9223372036854775809]",
        "NaN",
        '{"a":Infinity}',
        '"\\ud800"',
        '"\\ud83d\\ude00"',
        '"a\\u0000b"',
        '"raw\ttab"',
        "\ufeff{}",
        '{"a":1,"a":2}',
        "[" * 2000 + "]" * 2000,
        '{"a":1}x',
        "1 2",
        "",
        "0123",
        "[1,]",
        b'{"a":"caf\xc3\xa9"}',
        b"\xff",
        b'{"a":"\xed\xa0\x80"}',
        b"\xef\xbb\xbf{}",
        "[" * 1025 + "]" * 1025,
    ],
)
def test_the_json_check_gives_the_standard_librarys_answer(text: str | bytes) -> None:
    """With simdjson (installed by `make venv`) a body is accepted or refused exactly as without it."""
    assert bodies.SimdJsonParser is not None, "pysimdjson is missing from .venv: run `make venv`"
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    try:
        expected = json_answer(bodies.parse_json, data.decode("utf-8"))[0] == "value"
    except ValueError:
        expected = False  # not UTF-8
    assert bodies.is_strict_json(data) == expected


def test_json_nested_up_to_1024_levels_is_json_though_the_standard_library_cannot_follow_it() -> None:
    """simdjson's limit, which the analyzer reads too; the standard library stops at its recursion limit (~990)."""
    assert bodies.is_strict_json(b"[" * 1024 + b"]" * 1024)
    assert not bodies.is_strict_json(b"[" * 1025 + b"]" * 1025)


def test_only_json_whitespace_around_a_body_is_taken_as_json() -> None:
    assert isinstance(bodies.json_body(b' \t{"a":1}\r\n', []), bodies.RawJson)
    assert bodies.json_body('\u00a0{"a":1}'.encode(), []) is None  # a no-break space is not JSON


def test_a_request_body_handed_over_at_the_request_hook_is_the_records_body(addon: Capture, output: Path) -> None:
    """The body goes to the writer when the request goes upstream; the record, at the response, refers to it."""
    addon.requestheaders(flow := anthropic_flow(body=b'{"model":"ahead"}'))
    addon.request(flow)
    exchange = addon.exchanges[flow.id]
    assert exchange.body_sent is flow.request.raw_content
    addon.response(flow)
    (record,) = records(output, addon)
    assert record["request_json"] == {"model": "ahead"}
    assert record["request_body_size"] == len(b'{"model":"ahead"}')


def test_a_request_body_changed_after_the_request_hook_is_recorded_as_it_went(addon: Capture, output: Path) -> None:
    addon.requestheaders(flow := anthropic_flow(body=b'{"model":"before"}'))
    addon.request(flow)
    flow.request.content = b'{"model":"after"}'  # another addon, later in the chain
    addon.response(flow)
    addon.requestheaders(second := anthropic_flow(body=b'{"model":"second"}'))
    addon.request(second)
    addon.response(second)
    assert [record["request_json"]["model"] for record in records(output, addon)] == ["after", "second"]


def test_a_request_body_sent_ahead_to_a_writer_replaced_since_goes_with_the_record(output: Path) -> None:
    """New settings start a new writer; an exchange whose body only the old one saw is still recorded whole."""
    capture = Capture({"CAPTURE_LANE": "unit", "CAPTURE_OUTPUT": str(output)})
    with running(capture) as tctx:
        capture.requestheaders(flow := anthropic_flow(body=b'{"model":"kept"}'))
        capture.request(flow)
        tctx.configure(capture, capture_output=str(output.with_name("after.jsonl")))
        capture.response(flow)
        (record,) = records(output.with_name("after.jsonl"), capture)
    assert record["request_json"] == {"model": "kept"}


def test_non_json_body_is_capped_base64(addon: Capture, output: Path) -> None:
    body = b"\x00\x01 not json at all, and long"
    addon.requestheaders(flow := anthropic_flow(body=body))
    addon.response(flow)
    (record,) = records(output, addon)
    assert "request_json" not in record
    assert base64.b64decode(record["request_body_b64"]) == body[:16]
    assert record["request_body_truncated"] is True


def test_nan_is_not_json(addon: Capture, output: Path) -> None:
    addon.requestheaders(flow := anthropic_flow(body=b"[NaN]"))
    addon.response(flow)
    (record,) = records(output, addon)
    assert "request_json" not in record
    assert record["request_body_truncated"] is False


def test_hosts_not_included_and_connect_are_not_recorded(addon: Capture, output: Path) -> None:
    other = anthropic_flow(host="example.test")
    connect = anthropic_flow()
    connect.request.method = "CONNECT"
    for flow in (other, connect):
        addon.requestheaders(flow)
        addon.response(flow)
    assert records(output, addon) == []


def test_host_the_client_named_also_counts(addon: Capture, output: Path) -> None:
    flow = anthropic_flow(host="10.9.8.7")
    flow.request.headers["host"] = "API.anthropic.com"
    addon.requestheaders(flow)
    addon.response(flow)
    assert [r["host"] for r in records(output, addon)] == ["API.anthropic.com"]


def test_proxy_token_is_added_only_for_its_hosts_and_never_stored(output: Path) -> None:
    token = "proxy-token-value-123"
    capture = Capture(
        {
            "CAPTURE_LANE": "headroom-client",
            "CAPTURE_OUTPUT": str(output),
            "CAPTURE_INCLUDE_HOSTS": "*",
            "CAPTURE_PROXY_TOKEN": token,
            "CAPTURE_PROXY_TOKEN_HOSTS": "Headroom-Proxy",
        }
    )
    with running(capture):
        to_proxy = anthropic_flow(host="headroom-proxy", body=json.dumps({"echo": token}).encode())
        elsewhere = anthropic_flow(host="api.anthropic.com")
        for flow in (to_proxy, elsewhere):
            capture.requestheaders(flow)
            capture.response(flow)
    assert to_proxy.request.headers["X-Headroom-Proxy-Token"] == token
    assert "X-Headroom-Proxy-Token" not in elsewhere.request.headers
    text = output.read_text()
    assert token not in text
    first, _ = records(output)
    assert first["request_headers"]["X-Headroom-Proxy-Token"] == "<redacted>"
    assert first["request_json"] == {"echo": "<redacted>"}


def test_sse_response_is_streamed_through_a_tee(addon: Capture, output: Path) -> None:
    response = http.Response.make(200, b"", {"content-type": "text/event-stream; charset=utf-8"})
    flow = anthropic_flow(resp=response)
    addon.requestheaders(flow)
    addon.responseheaders(flow)
    stream = flow.response.stream if flow.response else None
    assert callable(stream)
    for i in range(0, len(SSE), 100):
        assert stream(SSE[i : i + 100]) == SSE[i : i + 100]
    stream(b"")
    response.content = None  # as mitmproxy leaves a streamed response
    addon.response(flow)
    (record,) = records(output, addon)
    assert record["response_stream"] is True
    assert record["usage"] == SSE_USAGE
    assert record["response_body_size"] == len(SSE)
    assert record["response_body_sha256"] == hashlib.sha256(SSE).hexdigest()
    assert record["timings"]["first_byte_ms"] is not None


def test_sse_of_hosts_not_included_still_streams(addon: Capture) -> None:
    response = http.Response.make(200, b"", {"content-type": "text/event-stream"})
    flow = anthropic_flow(resp=response, host="example.test")
    addon.requestheaders(flow)
    addon.responseheaders(flow)
    assert response.stream is True


def test_error_after_a_started_response_is_one_record(addon: Capture, output: Path) -> None:
    response = http.Response.make(200, b"", {"content-type": "text/event-stream"})
    flow = anthropic_flow(resp=response)
    addon.requestheaders(flow)
    addon.responseheaders(flow)
    assert callable(response.stream)
    response.stream(SSE[:200])
    response.content = None
    flow.error = Error("Client disconnected.")
    addon.error(flow)
    addon.response(flow)
    addon.error(flow)
    (record,) = records(output, addon)
    assert record["error"] == {"kind": "client_disconnected", "message": "Client disconnected."}
    assert record["response_status"] == 200
    assert record["response_body_size"] == 200
    assert record["timings"]["end_ms"] is not None


def test_failure_without_response_keeps_what_is_known(addon: Capture, output: Path) -> None:
    flow = anthropic_flow(resp=False)
    addon.requestheaders(flow)
    flow.error = Error("[Errno 111] Connect call failed ('1.2.3.4', 443)")
    addon.error(flow)
    (record,) = records(output, addon)
    assert record["error"]["kind"] == "upstream_connect"
    assert record["request_json"] == {"model": "m"}
    assert record["response_status"] is None
    assert record["response_body_size"] is None
    assert record["usage"] is None
    assert record["timings"]["response_headers_ms"] is None


def test_sequence_is_taken_at_request_start(addon: Capture, output: Path) -> None:
    first, second = anthropic_flow(), anthropic_flow()
    addon.requestheaders(first)
    addon.requestheaders(second)
    addon.response(second)
    addon.response(first)
    assert [r["sequence"] for r in records(output, addon)] == [2, 1]


def test_unfinished_exchanges_are_recorded_at_shutdown(addon: Capture, output: Path) -> None:
    flow = anthropic_flow(resp=False)
    addon.requestheaders(flow)
    addon.done()
    (record,) = records(output, addon)
    assert record["error"]["kind"] == "other"
    assert "stopped" in record["error"]["message"]


def test_appending_continues_after_the_highest_sequence(output: Path) -> None:
    output.parent.mkdir(parents=True)
    output.write_text(line(4) + "\n" + line(9) + "\n" + line(6) + "\n")
    capture = Capture({"CAPTURE_LANE": "unit", "CAPTURE_OUTPUT": str(output), "CAPTURE_INCLUDE_HOSTS": "*"})
    with running(capture):
        capture.requestheaders(flow := anthropic_flow())
        capture.response(flow)
    assert records(output)[-1]["sequence"] == 10


# --- secrets in bodies: scrubbed before cutting, decoded before scrubbing -----------------------------------------

CANARY_KEY = "CANARYKEY0-unit-not-a-real-key"


def body_record(output: Path, body: bytes, body_bytes: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    capture = Capture({"CAPTURE_LANE": "unit", "CAPTURE_OUTPUT": str(output), "CAPTURE_BODY_BYTES": body_bytes})
    with running(capture):
        flow = anthropic_flow(body=body)
        flow.request.headers["content-type"] = "text/plain"
        flow.request.headers["x-api-key"] = CANARY_KEY
        for name, value in (extra or {}).items():
            flow.request.headers[name] = value
        capture.requestheaders(flow)
        capture.response(flow)
    (record,) = records(output)
    return record


def test_a_secret_at_the_cut_is_scrubbed_before_the_body_is_cut(output: Path) -> None:
    body = b"f" * 995 + CANARY_KEY.encode()  # the cap falls inside the key
    record = body_record(output, body, "1000")
    copy = base64.b64decode(record["request_body_b64"])
    assert copy == b"f" * 995 + b"<reda"
    assert b"CANARY" not in copy
    assert record["request_body_truncated"] is True
    assert record["request_body_decoded"] is False


def test_a_gzip_text_body_is_stored_decoded_and_scrubbed(output: Path) -> None:
    raw = gzip.compress(b"token in text: " + CANARY_KEY.encode() + b" end")
    record = body_record(output, raw, "1000", {"content-encoding": "gzip"})
    assert base64.b64decode(record["request_body_b64"]) == b"token in text: <redacted> end"
    assert record["request_body_decoded"] is True
    assert record["request_body_size"] == len(raw)
    assert record["request_body_sha256"] == hashlib.sha256(raw).hexdigest()
    assert CANARY_KEY not in output.read_text()


def test_a_body_that_does_not_decode_within_the_bound_keeps_no_copy(output: Path) -> None:
    from headroom_capture import bodies

    bomb = gzip.compress(b"\0" * (bodies.MAX_DECODED_BYTES + 1))
    record = body_record(output, bomb, "1000", {"content-encoding": "gzip"})
    assert "request_body_b64" not in record
    assert "request_json" not in record
    assert record["request_body_size"] == len(bomb)
    broken = body_record(
        output.with_name("broken.jsonl"), b"not gzip " + CANARY_KEY.encode(), "1000", {"content-encoding": "gzip"}
    )
    assert "request_body_b64" not in broken


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "gzip, br"])
def test_decoding_is_bounded_for_every_encoding(encoding: str) -> None:
    import brotli  # type: ignore[import-untyped]
    import zstandard

    from headroom_capture.bodies import DecodeError, decode_content

    data = b"x" * 100_000

    def encode(coding: str, payload: bytes) -> bytes:
        if coding == "gzip":
            return gzip.compress(payload)
        if coding == "deflate":
            return zlib.compress(payload)
        if coding == "br":
            out: bytes = brotli.compress(payload)
            return out
        return zstandard.ZstdCompressor().compress(payload)

    encoded = data
    for coding in [c.strip() for c in encoding.split(",")]:
        encoded = encode(coding, encoded)
    assert decode_content(encoded, encoding, limit=100_000) == data
    with pytest.raises(DecodeError, match="more than 99999 bytes"):
        decode_content(encoded, encoding, limit=99_999)


# --- failed CONNECTs (issue: a lane with no route to its upstream recorded nothing) -----------------------------


def test_a_failed_connect_is_one_record_with_its_cause(addon: Capture, output: Path) -> None:
    flow = tflow.tflow(req=http.Request.make("CONNECT", "https://api.anthropic.com:443/", b"", {}), resp=False)
    flow.request.host, flow.request.port = "api.anthropic.com", 443
    flow.response = http.Response.make(
        502,
        "Cannot connect to api.anthropic.com:443: [Errno -2] Name or service not known If you plan to redirect "
        "requests away from this server, consider setting `connection_strategy` to `lazy` to suppress early "
        "connections.",
    )
    addon.http_connect_error(flow)
    addon.http_connect_error(flow)  # never twice
    (record,) = records(output, addon)
    assert record["method"] == "CONNECT"
    assert record["url"] == "api.anthropic.com:443"
    assert record["error"] == {
        "kind": "upstream_connect",
        "message": "Cannot connect to api.anthropic.com:443: [Errno -2] Name or service not known",
    }
    assert record["response_status"] is None


def connect_flow(host: str = "api.anthropic.com") -> http.HTTPFlow:
    flow = tflow.tflow(req=http.Request.make("CONNECT", f"https://{host}:443/", b"", {}), resp=False)
    flow.request.host, flow.request.port = host, 443
    return flow


def test_a_connect_still_unanswered_when_mitmproxy_stops_is_recorded_once(addon: Capture, output: Path) -> None:
    """At shutdown mitmproxy calls `done` first, then cancels the connection attempts: their errors come after."""
    waiting, tunnel, elsewhere = connect_flow(), connect_flow(), connect_flow("example.test")
    for flow in (waiting, tunnel, elsewhere):
        addon.http_connect(flow)
    addon.http_connected(tunnel)  # a tunnel: the requests inside it are recorded, not the CONNECT
    addon.done()
    waiting.response = http.Response.make(502, "Cannot connect to api.anthropic.com:443: connection cancelled")
    addon.http_connect_error(waiting)  # after done, as mitmproxy calls it
    (record,) = records(output)
    assert (record["method"], record["url"]) == ("CONNECT", "api.anthropic.com:443")
    assert record["error"] == {"kind": "other", "message": "mitmproxy stopped before the CONNECT was answered"}
    assert record["response_status"] is None


def test_a_connect_that_failed_is_not_recorded_again_at_done(addon: Capture, output: Path) -> None:
    flow = connect_flow()
    addon.http_connect(flow)
    flow.response = http.Response.make(
        502, "Cannot connect to api.anthropic.com:443: [Errno -2] Name or service not known"
    )
    addon.http_connect_error(flow)
    addon.error(flow)
    addon.done()
    (record,) = records(output)
    assert record["error"]["kind"] == "upstream_connect"


def test_a_connect_whose_client_left_unanswered_is_forgotten(addon: Capture, output: Path) -> None:
    """A CONNECT another addon killed gets no answer and no error hook; its client's disconnect ends it."""
    flow = connect_flow()
    addon.http_connect(flow)
    addon.client_disconnected(flow.client_conn)
    assert addon.connects == {}
    addon.done()
    assert records(output) == []
