"""
The addon's side of the record writer (writer.py): starting it, and handing it messages without ever making
mitmproxy's event loop wait.

Why no thread: a sender thread has to be woken for every message and take Python's GIL from the event loop, and on a
busy machine that hand-off cost more than the copy itself. So a hook's message goes into the writer's stdin from the
event loop, once the loop has finished the step the hook ran in (the response or chunk is then on its way), in one
non-blocking writev; what the pipe does not take at once waits in order and is sent when the loop sees the pipe
writable again.
"""

import asyncio
import collections
import contextlib
import fcntl
import itertools
import logging
import os
import select
import signal
import subprocess
import sys
import threading
from typing import IO, Any

from .body_ring import BodyRing
from .options import Config
from .writer import ADDONS_DIR, STOP_SIGNALS, encode_frame, read_frame, write_frame

logger = logging.getLogger(__name__)

PIPE_BYTES = 1 << 20  # Linux's default /proc/sys/fs/pipe-max-size


def widen_pipe(pipe: IO[bytes]) -> None:
    """
    A 1 MiB pipe instead of 64 KiB, where Linux allows it: a body the ring has no room for then goes to the writer
    in one write instead of sixteen, and a busy writer makes the event loop wait for room less often.
    """
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), set_size, PIPE_BYTES)


# Bytes handed over but not yet taken by the writer's pipe, above which a hook waits for the writer instead of
# holding more: memory stays bounded on a machine that never has a free moment for the writer.
MAX_PENDING_BYTES = 256 << 20


class Writer:
    """
    The addon's handle on its writer process. `put` is all a hook calls: it never raises, and on the event loop it
    never waits (up to MAX_PENDING_BYTES waiting). The messages of one event loop step go into the pipe right after
    that step, in one `writev`, from the event loop itself: no thread to wake and no GIL to hand between threads.
    What the pipe does not take at once (the writer is busy: it takes only idle CPU time) waits in memory, in order,
    and the event loop sends it on when the pipe has room again. Off the event loop (tests, shutdown) `put` writes
    it all before it returns. If the writer dies, the messages in flight are lost (logged) and the next message
    starts a new one.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.RLock()  # `put` may come from another thread than the event loop's (tests)
        self.pending: collections.deque[memoryview] = collections.deque()
        self.pending_size = 0
        self.later: list[tuple[Any, ...]] = []  # put on the event loop, for the pipe once the loop's step is done
        self.closed = False
        self.draining: asyncio.AbstractEventLoop | None = None  # the loop that sends `pending` on, when it has room
        self.flushed: dict[int, threading.Event] = {}
        self.flush_tokens = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.ring = BodyRing.create()
        self.lost_reported = False

    def start(self) -> None:
        """Starts the writer process now, rather than on the event loop for the first record."""
        with self.lock:
            try:
                self.writer_input()
            except (OSError, ValueError) as e:
                self.lose(e)

    def put(self, message: tuple[Any, ...]) -> None:
        """
        On the event loop, the message goes to the pipe once the loop has finished its current step: a hook runs
        before mitmproxy sends the response or chunk on, and the copy into the pipe must not delay that.
        """
        with self.lock:
            if self.closed:
                return
            self.later.append(message)
            loop = running_loop()
            if loop is None:
                self.send_later()
            elif len(self.later) == 1:
                loop.call_soon(self.send_later)

    def send_later(self) -> None:
        with self.lock:
            if not self.later or self.closed:
                return
            messages, self.later = self.later, []
            try:
                stdin = self.writer_input()
                for message in messages:
                    for piece in encode_frame(message, self.ring):
                        self.pending.append(memoryview(piece))
                        self.pending_size += len(piece)
                self.send(stdin)
            except (OSError, ValueError) as e:
                self.lose(e)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything put so far is written (tests and shutdown). False on timeout."""
        with self.lock:
            self.flush_tokens += 1
            token = self.flush_tokens
            done = self.flushed[token] = threading.Event()
        self.put(("flush", token))
        with self.lock:
            self.send_later()
            self.send_all()
        return done.wait(timeout)

    def close(self, timeout: float = 300.0) -> None:
        """
        Hand everything pending to the writer and wait until it has written it. A writer still busy after `timeout`
        is left to finish on its own (it exits once its input is drained), never killed with records in hand.
        """
        with self.lock:
            self.send_later()
            self.send_all()
            self.closed = True
            process, self.process = self.process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("capture: the record writer is still busy after %d s; it finishes on its own", timeout)
        if self.ring is not None:
            self.ring.close()  # the writer has its own mapping

    # -- the pipe

    def writer_input(self) -> int:
        """
        The writer's stdin (non-blocking), starting a writer first if there is none. A writer that died is noticed
        when the pipe refuses a write (`lose`), not asked after at every message.
        """
        if self.process is None:
            self.process = self.start_process()
        if self.process.stdin is None:
            raise OSError("the record writer has no input pipe")
        return self.process.stdin.fileno()

    def send(self, fd: int) -> None:
        """Write what the pipe takes now; leave the rest to the event loop, or, off it, write it all now."""
        self.write_some(fd)
        if not self.pending:
            return
        loop = running_loop()
        if loop is None or self.pending_size > MAX_PENDING_BYTES:
            self.send_all()
        elif self.draining is None:
            loop.add_writer(fd, self.drain)
            self.draining = loop

    def write_some(self, fd: int) -> None:
        while self.pending:
            try:
                written = os.writev(fd, list(itertools.islice(self.pending, WRITEV_PIECES)))
            except BlockingIOError:
                return
            self.pending_size -= written
            while written:
                head = self.pending[0]
                if written >= len(head):
                    written -= len(head)
                    self.pending.popleft()
                else:
                    self.pending[0] = head[written:]
                    written = 0

    def drain(self) -> None:
        """The event loop's callback: the pipe has room again."""
        with self.lock:
            try:
                if self.process is None or self.process.stdin is None:
                    self.forget_pending()
                    return
                self.write_some(self.process.stdin.fileno())
            except (OSError, ValueError) as e:
                self.lose(e)
            if not self.pending:
                self.stop_draining()

    def send_all(self) -> None:
        """Write everything pending, waiting for the pipe to take it (never on the event loop but past the cap)."""
        try:
            while self.pending and self.process is not None and self.process.stdin is not None:
                fd = self.process.stdin.fileno()
                self.write_some(fd)
                if self.pending:
                    select.select([], [fd], [])
        except (OSError, ValueError) as e:
            self.lose(e)
        if not self.pending:
            self.stop_draining()

    def stop_draining(self) -> None:
        if self.draining is not None:
            with contextlib.suppress(Exception):  # the loop may be closed already (shutdown)
                if self.process is not None and self.process.stdin is not None:
                    self.draining.remove_writer(self.process.stdin.fileno())
            self.draining = None

    def forget_pending(self) -> None:
        self.stop_draining()
        self.pending.clear()
        self.pending_size = 0

    def lose(self, error: Exception) -> None:
        self.forget_pending()
        if self.process is not None and self.process.poll() is not None:
            logger.error("capture: the record writer stopped (status %s); starting a new one", self.process.returncode)
            if self.process.stdin is not None:
                with contextlib.suppress(OSError):
                    self.process.stdin.close()
            self.process = None
            return
        if not self.lost_reported:
            logger.error("capture: cannot hand a record to the record writer: %s; records are lost", error)
            self.lost_reported = True

    def start_process(self) -> subprocess.Popen[bytes]:
        ring_fd, ring_size = (self.ring.fd, self.ring.size) if self.ring is not None else (-1, 0)
        if self.ring is not None:
            self.ring.reset()
        code = (
            f"import sys; sys.path.insert(0, {str(ADDONS_DIR)!r}); from headroom_capture.writer import main; "
            f"main({ring_fd}, {ring_size})"
        )
        # The writer inherits the signal mask: SIGINT/SIGTERM stay blocked until it ignores them (the module's doc).
        blocked = block_stop_signals()
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
                pass_fds=(ring_fd,) if ring_fd >= 0 else (),
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                process_group=0,  # out of reach of the signal that stops mitmdump's group (see the module's doc)
            )
        finally:
            if blocked is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if process.stdin is None or process.stdout is None:  # asked for above; keeps the types exact
            raise OSError("the record writer has no pipes")
        widen_pipe(process.stdin)
        write_frame(process.stdin, ("config", self.config))
        process.stdin.flush()
        os.set_blocking(process.stdin.fileno(), False)
        threading.Thread(target=self.read_loop, args=(process.stdout,), name="capture-reader", daemon=True).start()
        return process

    def read_loop(self, source: IO[bytes]) -> None:
        while (message := read_frame(source)) is not None:
            if message[0] == "log":
                logger.log(message[1], "%s", message[2])
            elif message[0] == "flushed":
                event = self.flushed.pop(message[1], None)
                if event is not None:
                    event.set()


# At most this many pieces per writev (Linux's IOV_MAX is 1024).
WRITEV_PIECES = 512


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def block_stop_signals() -> set[int | signal.Signals] | None:
    """Blocks SIGINT and SIGTERM in this thread; the mask before, to restore (None where it cannot)."""
    try:
        return signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    except (AttributeError, OSError, ValueError):
        return None
