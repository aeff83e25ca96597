"""
The capture file: whole lines appended with one unbuffered write each, and the numbering of an existing capture.

Why one write per line on O_APPEND: a reader (or a crash) never sees half a record followed by another one, and a
full disk loses whole records, never the file's line structure.
"""

import contextlib
import errno
import json
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

# When continuing a file, stop reading backwards after this many records: a record written later than the
# highest-numbered one started earlier, so it was in flight at the same time; no lane has this many at once.
SEQUENCE_SCAN_RECORDS = 10_000

RECORD_PREFIX = re.compile(rb'\{"schema_version":\d+,"lane":"(?:[^"\\]|\\.)*","sequence":(\d+),')


def highest_sequence(path: Path) -> int:
    """
    The highest `sequence` in an existing capture, reading backwards from the end and only as far as needed.
    A truncated or unreadable line is skipped; a line cut after its sequence number still counts as used.
    """
    highest, seen = 0, 0
    block = 1 << 20
    with path.open("rb") as file:
        position = file.seek(0, os.SEEK_END)
        carry = b""
        while position > 0 and seen < SEQUENCE_SCAN_RECORDS:
            step = min(block, position)
            position -= step
            file.seek(position)
            lines = (file.read(step) + carry).split(b"\n")
            carry = lines.pop(0) if position > 0 else b""
            for line in reversed(lines):
                sequence = sequence_of(line)
                if sequence is not None:
                    highest, seen = max(highest, sequence), seen + 1
            block = min(block * 2, 1 << 26)
    return highest


def sequence_of(line: bytes) -> int | None:
    match = RECORD_PREFIX.match(line)
    if match:
        return int(match.group(1))
    if not line.strip():
        return None
    try:  # a line written by something else, in another key order
        record = json.loads(line)
    except ValueError:
        return None
    sequence = record.get("sequence") if isinstance(record, dict) else None
    return sequence if type(sequence) is int else None


@dataclass
class CaptureFile:
    """
    Appends whole lines to the capture with one unbuffered write each. Creates the folder 0700 and the file
    0600 on first use. A failure is logged once per kind and the record dropped; the next record tries again.
    """

    path: Path
    fd: int | None = None
    needs_newline: bool = False  # the file ends in a cut line: start ours on a fresh one
    reported: set[tuple[str, int]] = field(default_factory=set)
    lost: int = 0

    def append(self, line: bytes) -> bool:
        stage = "open"
        try:
            if self.fd is None:
                self.fd = self.open()
            stage = "write"
            data = b"\n" + line if self.needs_newline else line
            written = os.write(self.fd, data)
            if written != len(data):
                self.take_back(written)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.needs_newline = False
            return True
        except OSError as e:
            self.lost += 1
            self.report(stage, e)
            if stage == "write" and self.fd is not None and e.errno not in (errno.ENOSPC, errno.EDQUOT):
                self.close()
            return False

    def take_back(self, written: int) -> None:
        """
        Remove the start of a line a short write (a full disk) left at the end of the file, so that the capture
        holds whole lines only; if that fails, the next record starts on a fresh line instead.
        """
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, os.fstat(self.fd).st_size - written)
        except OSError:
            self.needs_newline = True

    def open(self) -> int:
        folder = self.path.parent
        try:
            folder.mkdir(mode=0o700, parents=True)
        except FileExistsError:
            pass  # an existing folder keeps its mode: it is the user's
        else:
            folder.chmod(0o700)  # exactly 0700, whatever the umask
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            status = os.fstat(fd)
            if stat.S_ISREG(status.st_mode) and status.st_mode & 0o077:
                os.fchmod(fd, 0o600)
            if stat.S_ISREG(status.st_mode) and status.st_size > 0:
                with self.path.open("rb") as file:
                    file.seek(-1, os.SEEK_END)
                    self.needs_newline = file.read(1) != b"\n"
        except OSError:
            pass  # not ours to fix: the file is still appendable
        return fd

    def report(self, stage: str, e: OSError) -> None:
        key = (stage, e.errno or 0)
        if key in self.reported:
            return
        self.reported.add(key)
        action = "open" if stage == "open" else "write to"
        logger.error(
            "capture: cannot %s %s: %s; traffic keeps flowing, but records are lost until this is fixed",
            action,
            self.path,
            e.strerror or e,
        )

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
