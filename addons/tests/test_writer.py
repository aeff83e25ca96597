"""
The hand-over from the hooks to the record writer: frames through the pipe and the body ring, the event loop never
waiting for the writer, and the writer taking only idle CPU time.
"""

import asyncio
import io
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_capture.body_ring import BodyRing
from headroom_capture.handover import Writer
from headroom_capture.options import Config, config_from_env
from headroom_capture.record import ExchangeSnapshot, ResponseSnapshot
from headroom_capture.writer import RING_MIN_BYTES, encode_frame, read_frame


def exchange(sequence: int, body: bytes, answer: bytes | None = b'{"ok":true}') -> ExchangeSnapshot:
    response = ResponseSnapshot(
        status=200,
        headers=((b"content-type", b"application/json"),),
        raw=answer,
        timestamp_start=1.5,
        timestamp_end=1.6,
    )
    return ExchangeSnapshot(
        sequence=sequence,
        timestamp=1.0,
        method="POST",
        url="https://api.anthropic.com/v1/messages",
        host="api.anthropic.com",
        http_version="HTTP/1.1",
        request_headers=((b"content-type", b"application/json"),),
        request_raw=body,
        response=response,
        streamed=False,
        first_chunk_at=None,
        ended_at=1.6,
    )


def json_body(size: int, marker: int) -> bytes:
    """Strict JSON of about `size` bytes whose content says which exchange it belongs to."""
    return json.dumps({"model": "m", "marker": marker, "text": "x" * max(0, size - 40)}).encode()


@pytest.fixture
def ring() -> Iterator[BodyRing]:
    created = BodyRing.create(256 << 10)
    assert created is not None, "memfd_create is missing: the body ring needs Linux"
    yield created
    created.close()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return config_from_env({"CAPTURE_LANE": "unit", "CAPTURE_OUTPUT": str(tmp_path / "lane.jsonl")})


def records(config: Config) -> list[dict[str, Any]]:
    return [json.loads(line) for line in config.output.read_text().splitlines()]


# --- frames --------------------------------------------------------------------------------------------------


def test_large_bodies_travel_in_the_ring_small_ones_and_overflow_in_the_pipe(ring: BodyRing) -> None:
    pipe = io.BytesIO()
    writer_view = BodyRing(ring.fd, ring.size)
    big = json_body(100 << 10, 1)
    small = json_body(200, 2)
    too_big = json_body(300 << 10, 3)  # more than the whole ring
    sent = [exchange(1, big), exchange(2, small, None), exchange(3, too_big, big)]
    for snapshot in sent:
        for piece in encode_frame(("record", snapshot), ring):
            pipe.write(piece)
    pipe.seek(0)
    # Only what did not go to the ring went through the pipe: the small body, the answers, the oversized body.
    assert ring.head >= len(big)
    for snapshot in sent:
        message = read_frame(pipe, writer_view)
        assert message is not None
        assert message[0] == "record"
        received: ExchangeSnapshot = message[1]
        assert received.request_raw == snapshot.request_raw
        assert received.response is not None
        assert snapshot.response is not None
        assert received.response.raw == snapshot.response.raw
    assert writer_view.consumed() == ring.head


def test_a_full_ring_sends_the_body_through_the_pipe_until_the_writer_reads(ring: BodyRing) -> None:
    body = json_body(100 << 10, 1)
    first, second = ring.place(body), ring.place(body)
    assert first == 0
    assert second is not None
    assert ring.place(body) is None, "a third 100 KB body does not fit in 256 KB until the writer has read"
    writer_view = BodyRing(ring.fd, ring.size)
    assert writer_view.take(first, len(body)) == body
    assert ring.place(body) is not None


# Sizes in whole KB of a 64 KB ring, so that bodies often fill it exactly to the writer's mark.
@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40).map(lambda kb: kb << 10), st.integers(0, 2)), min_size=1, max_size=80))
def test_the_ring_never_overwrites_a_body_the_writer_has_not_read(steps: list[tuple[int, int]]) -> None:
    """Bodies of any size placed while the writer reads some of them: each is read back exactly as placed."""
    ring = BodyRing.create(64 << 10)
    assert ring is not None
    writer_view = BodyRing(ring.fd, ring.size)
    unread: list[tuple[int, bytes]] = []
    try:
        for index, (size, reads) in enumerate(steps):
            body = bytes([index % 251]) * size
            position = ring.place(body)
            if position is not None:
                unread.append((position, body))
            for _ in range(min(reads, len(unread))):
                at, expected = unread.pop(0)
                assert writer_view.take(at, len(expected)) == expected
        for at, expected in unread:
            assert writer_view.take(at, len(expected)) == expected
    finally:
        writer_view.close()
        ring.close()


# --- the writer process --------------------------------------------------------------------------------------


def test_the_writer_takes_only_cpu_time_that_would_otherwise_be_idle(config: Config) -> None:
    writer = Writer(config)
    writer.start()
    try:
        assert writer.flush(30), "the writer answers once it is running"
        assert writer.process is not None
        assert os.sched_getscheduler(writer.process.pid) == os.SCHED_IDLE
    finally:
        writer.close()


def test_a_hook_hands_over_after_the_event_loop_step_and_never_waits_for_a_stalled_writer(config: Config) -> None:
    """
    A hook runs before mitmproxy sends the response on; the copy for the writer comes after. And with the writer
    stopped (as if the machine had no idle moment), 40 MB of records put from the event loop still never make the
    loop wait: they are all written, in order, once the writer runs again.
    """
    writer = Writer(config)
    writer.start()
    assert writer.process is not None
    assert writer.ring is not None
    bodies = [json_body(1 << 20, sequence) for sequence in range(1, 41)]

    async def hooks() -> float:
        writer.put(("record", exchange(1, bodies[0])))
        assert writer.ring is not None
        assert writer.ring.head == 0, "nothing is copied during the hook's own step"
        await asyncio.sleep(0)
        assert writer.ring.head > 0
        slowest = 0.0
        for sequence, body in enumerate(bodies[1:], start=2):
            started = time.perf_counter()
            writer.put(("record", exchange(sequence, body)))
            await asyncio.sleep(0)
            slowest = max(slowest, time.perf_counter() - started)
        return slowest

    os.kill(writer.process.pid, signal.SIGSTOP)
    try:
        slowest = asyncio.run(hooks())
    finally:
        os.kill(writer.process.pid, signal.SIGCONT)
    assert slowest < 0.5, f"a put waited {slowest:.2f} s for the stopped writer"
    assert writer.flush(60)
    writer.close()
    written = records(config)
    assert [record["sequence"] for record in written] == list(range(1, 41))
    assert all(record["request_body_size"] == len(body) for record, body in zip(written, bodies, strict=True))
    assert all(record["request_json"]["marker"] == record["sequence"] for record in written)


def test_bodies_over_the_ring_threshold_and_under_it_give_the_same_records(config: Config) -> None:
    writer = Writer(config)
    sizes = [RING_MIN_BYTES - 100, RING_MIN_BYTES + 100, 3 << 20]
    for sequence, size in enumerate(sizes, start=1):
        writer.put(("record", exchange(sequence, json_body(size, sequence))))
    assert writer.flush(30)
    writer.close()
    written = records(config)
    assert [record["request_json"]["marker"] for record in written] == [1, 2, 3]
    assert [record["request_body_size"] for record in written] == [len(json_body(size, 0)) for size in sizes]


def test_a_writer_that_dies_is_logged_and_replaced_and_later_records_are_written(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    """The pipe's refusal tells the addon its writer has gone; the record at hand is lost, the next one is written."""
    writer = Writer(config)
    writer.put(("record", exchange(1, json_body(200, 1))))
    assert writer.flush(30)
    first = writer.process
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    writer.put(("record", exchange(2, json_body(200, 2))))  # refused by the dead writer's pipe: lost
    writer.put(("record", exchange(3, json_body(200, 3))))
    assert writer.flush(30)
    writer.close()
    assert [record["sequence"] for record in records(config)] == [1, 3]
    assert "the record writer stopped (status -9); starting a new one" in caplog.text
