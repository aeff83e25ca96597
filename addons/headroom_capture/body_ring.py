"""
Shared memory that carries exchange bodies from the addon to the record writer.

Why not the pipe: on Linux a pipe write allocates kernel pages and copies into them, a megabyte costing 0.5-0.9 ms
on a small VM, and that copy runs on mitmproxy's event loop, in the way of the lane's next request. Copying into
memory both processes already map costs a third of that. The pipe still carries each message's head, and any body
the ring has no room for.

A ring of `size` bytes after a small header. The addon places each body at the next free position (positions only
grow; a body that would run past the end starts again at the beginning) and names the position in the message;
the writer copies the body out, in the order the messages were sent, and then publishes how far it has read in the
header. The addon reuses space only up to that mark.
"""

import contextlib
import mmap
import os
import struct

# The header: the position up to which the writer has read (an aligned 8-byte word; only the writer stores it).
CONSUMED = struct.Struct("<Q")
HEADER_BYTES = 64
RING_BYTES = 32 << 20


class BodyRing:
    """One side's view of the ring: the addon's to `place` bodies, the writer's to `take` them."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self.memory = mmap.mmap(fd, HEADER_BYTES + size)
        self.head = 0  # the addon's next free position

    @classmethod
    def create(cls, size: int = RING_BYTES) -> "BodyRing | None":
        """A new ring, or None where the system has no anonymous shared files (not Linux): bodies use the pipe."""
        try:
            fd = os.memfd_create("capture-bodies", os.MFD_CLOEXEC)
        except (AttributeError, OSError):
            return None
        try:
            os.ftruncate(fd, HEADER_BYTES + size)
            return cls(fd, size)
        except OSError:
            os.close(fd)
            return None

    def reset(self) -> None:
        """Forget everything placed (a new writer starts reading at the beginning)."""
        self.head = 0
        CONSUMED.pack_into(self.memory, 0, 0)

    def consumed(self) -> int:
        # Read twice: a position torn by the writer's store cannot come out the same both times.
        while True:
            first = CONSUMED.unpack_from(self.memory, 0)[0]
            if CONSUMED.unpack_from(self.memory, 0)[0] == first:
                return int(first)

    def place(self, body: bytes) -> int | None:
        """Copies `body` into the ring; its position, or None when the ring has no room for it now."""
        length = len(body)
        start = self.head
        offset = start % self.size
        if offset + length > self.size:
            start += self.size - offset
            offset = 0
        if start + length - self.consumed() > self.size:
            return None
        self.memory[HEADER_BYTES + offset : HEADER_BYTES + offset + length] = body
        self.head = start + length
        return start

    def take(self, position: int, length: int) -> bytes:
        """The writer's side: a copy of the body placed at `position`, and its space given back."""
        offset = HEADER_BYTES + position % self.size
        body = self.memory[offset : offset + length]
        CONSUMED.pack_into(self.memory, 0, position + length)
        return body

    def close(self) -> None:
        with contextlib.suppress(OSError, BufferError):
            self.memory.close()
        with contextlib.suppress(OSError):
            os.close(self.fd)
