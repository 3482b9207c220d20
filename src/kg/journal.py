"""An append-only, fsync'd journal of changes: what makes an acknowledged write durable.

Each record is one line: ``<crc32 hex> <json>\\n``. A write is acknowledged only after its
record has been written and ``fsync``'d, so it survives ``kill -9`` and a restart. A record
cut short (the process killed mid-``write``, or a crash before the disk caught up) has no
newline: readers stop before it and the next writer truncates it, so an unacknowledged write is
either wholly in the journal or wholly absent.

Only that unterminated last line may be dropped. A *complete* line (it ends with a newline)
whose checksum or JSON is wrong held an acknowledged write: reading it raises
:class:`JournalError` with one line naming the file, the record and what to do, and nothing
truncates it (the server does not start, ``kg diff`` says so), whether it is the last record
or not.

>>> import tempfile, pathlib
>>> j = Journal(pathlib.Path(tempfile.mkdtemp()) / "journal")
>>> end = j.append({"seq": 1, "added": ["<a> <b> <c> ."]})
>>> records, stop = j.read_from(0)
>>> [r["seq"] for r in records], stop == end == j.path.stat().st_size
([1], True)
"""
from __future__ import annotations

import json
import os
import re
import zlib
from pathlib import Path

__all__ = ["Journal", "JournalError", "fsync_dir"]


class JournalError(Exception):
    """The journal cannot be read or written (a damaged record in the middle, a full disk)."""


def fsync_dir(path: Path) -> None:
    """Make a file's creation or rename durable (POSIX: fsync the directory entry)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _encode(record: dict) -> bytes:
    payload = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


def _decode(line: bytes) -> dict | None:
    """The record on ``line`` (without its newline), or None if it is damaged."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    payload = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(payload):
            return None
        return json.loads(payload)
    except ValueError:
        return None


class Journal:
    """The records of one state directory; the caller serialises writers (see kg.curated)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def read_from(self, offset: int) -> tuple[list[dict], int]:
        """Whole records from byte ``offset`` on, and the offset just after the last whole one."""
        try:
            with open(self.path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return [], offset
        records, pos = [], 0
        while True:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break  # a record still being written, or cut short: not there yet (a torn tail)
            rec = _decode(data[pos:nl])
            if rec is None:  # a whole line that does not read back: an acknowledged write is damaged
                raise JournalError(self.damage(offset + pos, len(records), data[pos:nl]))
            records.append(rec)
            pos = nl + 1
        return records, offset + pos

    def damage(self, at: int, before: int, line: bytes) -> str:
        """One line saying which record is damaged and what to do about it."""
        seq = re.search(rb'"seq":(\d+)', line)
        which = f"record seq {int(seq.group(1))}" if seq else "a record"
        later = "; the records after it are kept" if at + len(line) + 1 < self._size() else ""
        return (f"{self.path}: {which} at byte {at} is damaged (its checksum does not match; {before} records before "
                f"it read fine{later}). Nothing was changed. Stop the server, keep a copy of the file, then restore it "
                f"from a backup, or cut it at that record with `truncate -s {at} {self.path}` (the writes from there "
                "on are lost) and start again.")

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def truncate_tail(self, end: int) -> int:
        """Drop bytes after ``end`` (a torn last record); the bytes dropped. Caller holds the lock."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0
        if size > end:
            with open(self.path, "r+b") as f:
                f.truncate(end)
                f.flush()
                os.fsync(f.fileno())
        return max(0, size - end)

    def append(self, record: dict) -> int:
        """Write one record and fsync it; returns the byte offset just after it."""
        line = _encode(record)
        new = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(line)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
            end = os.lseek(fd, 0, os.SEEK_END)
        except OSError as exc:
            raise JournalError(f"{self.path}: could not write the change ({exc.strerror})") from None
        finally:
            os.close(fd)
        if new:
            fsync_dir(self.path.parent)
        return end
