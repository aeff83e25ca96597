"""
Records are built and appended off mitmproxy's event loop, in a writer process.

Why a process and not a thread: parsing a request's JSON, serializing the record and hashing hold Python's GIL,
so in a thread they would still stall the event loop that moves the traffic. The hooks only snapshot what they
need (header tuples and body bytes, no copies) and `put` it (handover.py); once the event loop has finished its
current step (the response or chunk is then on its way), the message goes into the writer's stdin in one
non-blocking writev, large bodies through a ring of shared memory (body_ring.py); the writer builds each record
and appends it, in the order the messages were sent (one writer per file, one O_APPEND write per line).

The writer takes only CPU time that would otherwise be idle: where the machine has no idle core, the traffic comes
first. It is started with the lane, and exits when its stdin closes: at `done`, or when mitmdump dies for any
reason. The signal that stops a lane (Ctrl-C in a terminal, the lane runner's or a supervisor's kill of mitmdump's
process group) must stop mitmdump only: mitmdump then runs `done`, and the writer writes everything handed to it
before it exits. So the writer runs in a process group of its own, and ignores SIGINT and SIGTERM. It also starts
with both blocked (they are blocked around its start, and a process inherits its starter's mask), so that one
arriving while it is still starting Python, before it can ignore them, waits and is then discarded: otherwise a
lane stopped the moment it starts, its client having given up on a failed CONNECT say, would lose that record.
Its log lines travel back over its stdout and are logged by mitmdump, so they look like every other log line.

Messages, in order, each a pickled (message, body places) behind a 4-byte length, then the bodies that go in the
pipe:
  ("config", Config)  ("request", sequence, body)  ("stream", sequence, content_encoding)  ("chunk", sequence, bytes)
  ("record", ExchangeSnapshot)  ("flush", token)
and back: ("log", level, text)  ("flushed", token). A request's body goes ahead of its record, while the upstream
answers; the record then carries none (request_raw None).
"""

import contextlib
import logging
import os
import pickle
import signal
import struct
import sys
import threading
from pathlib import Path
from typing import IO, Any

from .body_ring import BodyRing
from .capture_file import CaptureFile
from .options import Config
from .record import ExchangeSnapshot, ResponseSnapshot, StreamState, build_line

logger = logging.getLogger(__name__)

ADDONS_DIR = Path(__file__).resolve().parent.parent
FRAME = struct.Struct(">I")


# Where a message's body travels: None (no body), its length (in the pipe, after the head), or (position, length)
# in the body ring.
BodySpec = int | tuple[int, int] | None

# Bodies shorter than this go in the pipe: for them a pipe write is as cheap as the ring.
RING_MIN_BYTES = 16 << 10


def encode_frame(message: tuple[Any, ...], ring: BodyRing | None = None) -> list[bytes]:
    """
    One message as the pieces to write: the framed pickled head, then the bodies that go in the pipe, as they are.
    Bodies travel outside the pickle so that a megabyte request is copied once, not first into a pickle as well;
    with a ring, a large body is copied into it instead of into the pipe.
    """
    head, blobs = detach_bodies(message)
    specs: list[BodySpec] = []
    inline: list[bytes] = []
    for blob in blobs:
        position = ring.place(blob) if ring is not None and blob and len(blob) >= RING_MIN_BYTES else None
        if blob is None:
            specs.append(None)
        elif position is not None:
            specs.append((position, len(blob)))
        else:
            specs.append(len(blob))
            if blob:
                inline.append(blob)
    data = pickle.dumps((head, specs), protocol=pickle.HIGHEST_PROTOCOL)
    return [FRAME.pack(len(data)) + data, *inline]


def write_frame(out: IO[bytes], message: tuple[Any, ...]) -> None:
    for piece in encode_frame(message):
        out.write(piece)


def read_frame(source: IO[bytes], ring: BodyRing | None = None) -> tuple[Any, ...] | None:
    head = source.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    (length,) = FRAME.unpack(head)
    data = source.read(length)
    if len(data) < length:
        return None
    loaded = pickle.loads(data)  # noqa: S301 - our own pipe, written by the addon that started us
    message, specs = loaded
    blobs: list[bytes | None] = []
    for spec in specs:
        if spec is None:
            blobs.append(None)
        elif isinstance(spec, tuple):
            if ring is None:
                return None
            blobs.append(ring.take(*spec))
        else:
            blob = source.read(spec) if spec else b""
            if len(blob) < spec:
                return None
            blobs.append(blob)
    return attach_bodies(message, blobs) if isinstance(message, tuple) else None


def detach_bodies(message: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[bytes | None]]:
    """
    The message without its body bytes, and those bytes (None where a response has no body). A snapshot travels as
    plain tuples: a named tuple pickles five times slower, and this runs on the event loop.
    """
    if message[0] in ("chunk", "request"):
        return message[:2], [message[2]]
    if message[0] == "record":
        snapshot: ExchangeSnapshot = message[1]
        response = snapshot.response
        fields: list[Any] = list(snapshot)
        fields[REQUEST_RAW] = b""
        if response is not None:
            fields[RESPONSE] = (*response[:RESPONSE_RAW], None, *response[RESPONSE_RAW + 1 :])
        return ("record", tuple(fields)), [snapshot.request_raw, response.raw if response else None]
    return message, []


def attach_bodies(message: tuple[Any, ...], blobs: list[bytes | None]) -> tuple[Any, ...]:
    if message[0] in ("chunk", "request"):
        return (*message, blobs[0] or b"")
    if message[0] == "record":
        snapshot = ExchangeSnapshot._make(message[1])
        response = snapshot.response and ResponseSnapshot._make(snapshot.response)._replace(raw=blobs[1])
        return ("record", snapshot._replace(request_raw=blobs[0], response=response))
    return message


# Where the bodies sit in a snapshot's fields.
REQUEST_RAW = ExchangeSnapshot._fields.index("request_raw")
RESPONSE = ExchangeSnapshot._fields.index("response")
RESPONSE_RAW = ResponseSnapshot._fields.index("raw")


# --- the writer process ----------------------------------------------------------------------------------------


class RecordBuilder:
    """Turns the message sequence into capture lines on one CaptureFile. One per writer process."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.file = CaptureFile(config.output)
        self.streams: dict[int, StreamState] = {}
        self.request_bodies: dict[int, bytes] = {}  # sent ahead of their records, by sequence

    def handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "request":
            self.request_bodies[message[1]] = message[2]
        elif kind == "chunk":
            stream = self.streams.get(message[1])
            if stream is not None:
                stream.feed(message[2])
        elif kind == "stream":
            self.streams[message[1]] = StreamState(message[2])
        elif kind == "record":
            self.record(message[1])

    def record(self, snapshot: ExchangeSnapshot) -> None:
        stream = self.streams.pop(snapshot.sequence, None)
        body = self.request_bodies.pop(snapshot.sequence, None)
        if snapshot.request_raw is None:
            if body is None:  # sent to a writer that has died since: its figures would be wrong
                logger.error("capture: the request body of sequence %d was lost; no record", snapshot.sequence)
                return
            snapshot = snapshot._replace(request_raw=body)
        try:
            line = build_line(self.config, snapshot, stream)
        except Exception as e:  # noqa: BLE001 - one odd exchange must not stop the others being recorded
            logger.error("capture: could not build the record for sequence %d: %s", snapshot.sequence, e)
            return
        self.file.append(line)

    def close(self) -> None:
        if self.file.lost:
            logger.warning("capture: %d record(s) could not be written to %s", self.file.lost, self.file.path)
        self.file.close()


class PipeLogHandler(logging.Handler):
    """Sends the writer's log lines back to mitmdump."""

    def __init__(self, out: IO[bytes], lock: threading.Lock) -> None:
        super().__init__()
        self.out, self.pipe_lock = out, lock

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with self.pipe_lock:
                write_frame(self.out, ("log", record.levelno, record.getMessage()))
                self.out.flush()
        except Exception:  # noqa: BLE001, S110 - mitmdump is gone; there is no one left to tell
            pass


def serve(source: IO[bytes], out: IO[bytes], ring: BodyRing | None = None) -> None:
    """The writer's main loop: until its input ends."""
    lock = threading.Lock()
    root = logging.getLogger()
    root.handlers[:] = [PipeLogHandler(out, lock)]
    root.setLevel(logging.INFO)
    builder: RecordBuilder | None = None
    while (message := read_frame(source, ring)) is not None:
        if message[0] == "config":
            if builder is not None:
                builder.close()
            builder = RecordBuilder(message[1])
        elif message[0] == "flush":
            with lock:
                write_frame(out, ("flushed", message[1]))
                out.flush()
        elif builder is not None:
            builder.handle(message)
    if builder is not None:
        builder.close()


# Where the system does not let the writer take only idle time, how much lower its CPU priority is than mitmdump's.
WRITER_NICENESS = 10


def lower_priority() -> None:
    """
    The writer runs only when a core would otherwise be idle (SCHED_IDLE; any process may lower itself to it): on a
    busy machine the traffic goes first and the records follow in the next free moment, the addon holding them
    meanwhile (and waiting for the writer past MAX_PENDING_BYTES, so a machine never idle still gets them written).
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):
            os.nice(WRITER_NICENESS)


# The signals that stop a lane; the writer ignores them (see the module's doc).
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def main(ring_fd: int = -1, ring_size: int = 0) -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)  # also discards one that arrived while they were blocked
    with contextlib.suppress(AttributeError, OSError):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    lower_priority()
    ring = BodyRing(ring_fd, ring_size) if ring_fd >= 0 else None
    serve(sys.stdin.buffer, sys.stdout.buffer, ring)
