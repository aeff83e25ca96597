"""
Records are built and appended off mitmproxy's event loop, in a writer process.

Why a process and not a thread: parsing a request's JSON, serializing the record and hashing hold Python's GIL,
so in a thread they would still stall the event loop that moves the traffic. The hooks only snapshot what they
need (header tuples and body bytes, no copies) and put it on a queue; a sender thread pickles each message onto
the writer's stdin; the writer builds each record and appends it, in the order the messages were sent (one
writer per file, one O_APPEND write per line).

The writer runs at a lower CPU priority (nice 10): where the machine has no idle core, the traffic comes first.
It exits when its stdin closes: at `done`, or when mitmdump dies for any reason. The signal that stops a lane
(Ctrl-C in a terminal, the lane runner's or a supervisor's kill of mitmdump's process group) must stop mitmdump
only: mitmdump then runs `done`, and the writer writes everything queued before it exits. So the writer runs in
a process group of its own, and ignores SIGINT and SIGTERM. It also starts with both blocked (the sender thread
that starts it blocks them, and a process inherits its starter's mask), so that one arriving while it is still
starting Python, before it can ignore them, waits and is then discarded: a writer started for a lane's first
record, a failed CONNECT say, is still starting (a few hundred milliseconds on a busy machine) when a lane is
stopped the moment its client gives up, and would otherwise die with that record in its pipe.
Its log lines travel back over its stdout and are logged by mitmdump, so they look like every other log line.

Messages, in order, each a pickled tuple behind a 4-byte length:
  ("config", Config)  ("stream", sequence, content_encoding)  ("chunk", sequence, bytes)
  ("record", ExchangeSnapshot)  ("flush", token)
and back: ("log", level, text)  ("flushed", token).
"""

import contextlib
import fcntl
import logging
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from .capture_file import CaptureFile
from .options import Config
from .record import ExchangeSnapshot, StreamState, build_line

logger = logging.getLogger(__name__)

ADDONS_DIR = Path(__file__).resolve().parent.parent
FRAME = struct.Struct(">I")
STOP = None  # put on the queue: close the writer's stdin once everything before it is sent


def write_frame(out: IO[bytes], message: tuple[Any, ...]) -> None:
    """
    One message: a pickled head, then the bodies it carries as they are. Bodies travel outside the pickle so that
    a megabyte request is copied once, into the pipe, and not first into a pickle as well.
    """
    head, blobs = detach_bodies(message)
    data = pickle.dumps((head, [-1 if blob is None else len(blob) for blob in blobs]), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(FRAME.pack(len(data)))
    out.write(data)
    for blob in blobs:
        if blob:
            out.write(blob)


def read_frame(source: IO[bytes]) -> tuple[Any, ...] | None:
    head = source.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    (length,) = FRAME.unpack(head)
    data = source.read(length)
    if len(data) < length:
        return None
    loaded = pickle.loads(data)  # noqa: S301 - our own pipe, written by the addon that started us
    message, sizes = loaded
    blobs: list[bytes | None] = []
    for size in sizes:
        blob = source.read(size) if size > 0 else (b"" if size == 0 else None)
        if blob is not None and len(blob) < size:
            return None
        blobs.append(blob)
    return attach_bodies(message, blobs) if isinstance(message, tuple) else None


def detach_bodies(message: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[bytes | None]]:
    """The message without its body bytes, and those bytes (None where a response has no body)."""
    if message[0] == "chunk":
        return message[:2], [message[2]]
    if message[0] == "record":
        snapshot: ExchangeSnapshot = message[1]
        response = snapshot.response
        light = replace(snapshot, request_raw=b"", response=replace(response, raw=None) if response else None)
        return ("record", light), [snapshot.request_raw, response.raw if response else None]
    return message, []


def attach_bodies(message: tuple[Any, ...], blobs: list[bytes | None]) -> tuple[Any, ...]:
    if message[0] == "chunk":
        return (*message, blobs[0] or b"")
    if message[0] == "record":
        snapshot: ExchangeSnapshot = message[1]
        response = replace(snapshot.response, raw=blobs[1]) if snapshot.response else None
        return ("record", replace(snapshot, request_raw=blobs[0] or b"", response=response))
    return message


# --- the writer process ----------------------------------------------------------------------------------------


class RecordBuilder:
    """Turns the message sequence into capture lines on one CaptureFile. One per writer process."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.file = CaptureFile(config.output)
        self.streams: dict[int, StreamState] = {}

    def handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "chunk":
            stream = self.streams.get(message[1])
            if stream is not None:
                stream.feed(message[2])
        elif kind == "stream":
            self.streams[message[1]] = StreamState(message[2])
        elif kind == "record":
            self.record(message[1])

    def record(self, snapshot: ExchangeSnapshot) -> None:
        stream = self.streams.pop(snapshot.sequence, None)
        try:
            line = build_line(self.config, snapshot, stream)
        except Exception as e:  # noqa: BLE001 - one odd exchange must not stop the others being recorded
            logger.error("capture: could not build the record for sequence %d: %s", snapshot.sequence, e)
            return
        self.file.append(line.encode("utf-8", "backslashreplace"))

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


def serve(source: IO[bytes], out: IO[bytes]) -> None:
    """The writer's main loop: until its input ends."""
    lock = threading.Lock()
    root = logging.getLogger()
    root.handlers[:] = [PipeLogHandler(out, lock)]
    root.setLevel(logging.INFO)
    builder: RecordBuilder | None = None
    while (message := read_frame(source)) is not None:
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


# How much lower the writer's CPU priority is than mitmdump's: on a busy machine the traffic goes first and the
# records follow as soon as there is a free moment (the queue holds them meanwhile).
WRITER_NICENESS = 10


# The signals that stop a lane; the writer ignores them (see the module's doc).
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def main() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)  # also discards one that arrived while they were blocked
    with contextlib.suppress(AttributeError, OSError):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    with contextlib.suppress(OSError):
        os.nice(WRITER_NICENESS)
    serve(sys.stdin.buffer, sys.stdout.buffer)


PIPE_BYTES = 1 << 20  # Linux's default /proc/sys/fs/pipe-max-size


def widen_pipe(pipe: IO[bytes]) -> None:
    """
    A 1 MiB pipe instead of 64 KiB, where Linux allows it: a large body then goes to the writer in one write
    instead of sixteen, each of which would wake the sender thread and take the GIL from the event loop.
    """
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), set_size, PIPE_BYTES)


# --- the addon's side --------------------------------------------------------------------------------------------


class Writer:
    """
    The addon's handle on its writer process. `put` is all a hook calls: it never blocks and never raises.
    If the writer dies, the messages in flight are lost (logged) and the next message starts a new one.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self.flushed: dict[int, threading.Event] = {}
        self.flush_tokens = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.sender = threading.Thread(target=self.send_loop, name="capture-sender", daemon=True)
        self.sender.start()

    def put(self, message: tuple[Any, ...]) -> None:
        self.queue.put(message)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything put so far is written (tests and shutdown). False on timeout."""
        self.flush_tokens += 1
        done = self.flushed[self.flush_tokens] = threading.Event()
        self.put(("flush", self.flush_tokens))
        return done.wait(timeout)

    def close(self, timeout: float = 300.0) -> None:
        """
        Hand everything queued to the writer and wait until it has written it. A writer still busy after `timeout`
        is left to finish on its own (it exits once its input is drained), never killed with records in hand.
        """
        self.queue.put(STOP)
        self.sender.join(timeout)
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("capture: the record writer is still busy after %d s; it finishes on its own", timeout)

    # -- the sender thread

    def start_process(self) -> subprocess.Popen[bytes]:
        code = f"import sys; sys.path.insert(0, {str(ADDONS_DIR)!r}); from headroom_capture.writer import main; main()"
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            process_group=0,  # out of reach of the signal that stops mitmdump's group (see the module's doc)
        )
        if process.stdin is None or process.stdout is None:  # asked for above; keeps the types exact
            raise OSError("the record writer has no pipes")
        widen_pipe(process.stdin)
        threading.Thread(target=self.read_loop, args=(process.stdout,), name="capture-reader", daemon=True).start()
        write_frame(process.stdin, ("config", self.config))
        return process

    def send_loop(self) -> None:
        # Every writer process this thread starts inherits the mask: blocked until the writer ignores them.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        lost_reported = False
        while True:
            message = self.queue.get()
            if message is STOP:
                break
            try:
                if self.process is None or self.process.poll() is not None:
                    if self.process is not None:
                        self.restarts += 1
                        logger.error(
                            "capture: the record writer stopped (status %s); starting a new one",
                            self.process.returncode,
                        )
                    self.process = self.start_process()
                if self.process.stdin is None:
                    raise OSError("the record writer has no input pipe")
                write_frame(self.process.stdin, message)
                if message[0] == "flush" or self.queue.empty():
                    self.process.stdin.flush()
            except (OSError, ValueError) as e:
                if not lost_reported:
                    logger.error("capture: cannot hand a record to the record writer: %s; records are lost", e)
                    lost_reported = True
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()

    def read_loop(self, source: IO[bytes]) -> None:
        while (message := read_frame(source)) is not None:
            if message[0] == "log":
                logger.log(message[1], "%s", message[2])
            elif message[0] == "flushed":
                event = self.flushed.pop(message[1], None)
                if event is not None:
                    event.set()
