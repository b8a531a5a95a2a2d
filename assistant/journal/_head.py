"""The head record: the journal-wide chain's last record, kept outside the SQLite file.

``journal.sqlite3.head`` beside the journal holds the journal id, the last record's number and
link, and a MAC over them under the journal's key. A cut tail, a deleted session at the end, or
an emptied, deleted or swapped journal file no longer matches it, and without the key nobody
can write a head that does.

Why a file and not the keyring: the head changes on every append, and an append must stay a
fraction of a millisecond, while a keyring call is a D-Bus round trip that may block for
seconds; the keyring holds the key, which rarely changes. The file is rewritten in place after
each commit (one ``pwrite`` under ``flock``, no fsync, so appends keep one fsync each): after a
power cut it may lag the journal by the last few records, which verify tolerates (a lagging head
still has to match the record it names), never lead it. What it cannot catch is both files
rolled back together to an earlier copy of themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.journal._chain import KEYED, UNKEYED

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; the head is still written
    fcntl = None  # type: ignore[assignment]

SIZE = 384
"""Bytes of the record, padded: rewritten in place, so it is one small write."""


@dataclass(frozen=True)
class Head:
    journal: str
    gseq: int
    link: str
    mac: str

    def valid(self, key: bytes | None) -> bool:
        """The MAC holds: keyed ("k:") with ``key``, or the plain checksum ("u:")."""
        if self.mac.startswith(KEYED):
            return key is not None and hmac.compare_digest(self.mac, head_mac(self, key))
        return self.mac.startswith(UNKEYED) and self.mac == head_mac(self, None)


def head_mac(head: Head, key: bytes | None) -> str:
    msg = f"head\n{head.journal}\n{head.gseq}\n{head.link}".encode()
    if key is None:
        return UNKEYED + hashlib.sha256(b"live-assistant head\n" + msg).hexdigest()
    return KEYED + hmac.digest(key, msg, "sha256").hex()


def head_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".head")


def _parse(raw: bytes) -> Head | None:
    try:
        data: Any = json.loads(raw.rstrip(b" \n\0") or b"null")
        head = Head(data["journal"], data["gseq"], data["link"], data["mac"])
    except (ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(v, str) for v in (head.journal, head.link, head.mac)):
        return None
    if not isinstance(head.gseq, int) or isinstance(head.gseq, bool) or head.gseq < 0:
        return None
    return head


class HeadFile:
    """Reads and rewrites one journal's head record; ``MISSING``/``UNREADABLE`` say what is wrong.

    The file is opened afresh for every read and write, so a head deleted or replaced while the
    journal is open is seen as it is now, not as the inode this process first opened.
    """

    MISSING = "missing"
    UNREADABLE = "unreadable"

    def __init__(self, journal: Path) -> None:
        self.path = head_path(journal)
        self._dirty = False
        self._mine: tuple[bytes, Head] | None = None
        """The record this object last wrote: read back unchanged, it needs no parsing."""

    def exists(self) -> bool:
        return os.path.lexists(self.path)

    def read(self) -> Head | str:
        """The record, or MISSING / UNREADABLE."""
        try:
            fd = self._open(create=False)
        except FileNotFoundError:
            return self.MISSING
        except OSError:
            return self.UNREADABLE
        try:
            raw = os.pread(fd, SIZE, 0)
        except OSError:
            return self.UNREADABLE
        finally:
            os.close(fd)
        if self._mine is not None and raw == self._mine[0]:
            return self._mine[1]
        head = _parse(raw)
        return head if head is not None else self.UNREADABLE

    def write(
        self,
        journal: str,
        gseq: int,
        link: str,
        key: bytes | None,
        recorded: Callable[[int], str | None] | None = None,
    ) -> None:
        """Record the head, unless the file already names a later record of this journal that
        the chain holds (``recorded(gseq)`` gives its link: another process committed after us
        and wrote first). Best effort: an error here leaves the head lagging, which verify
        tolerates, so it never fails the append that committed."""
        draft = Head(journal, gseq, link, "")
        head = Head(journal, gseq, link, head_mac(draft, key))
        data = json.dumps(head.__dict__, separators=(",", ":")).encode()
        data = data.ljust(SIZE - 1) + b"\n"
        try:
            fd = self._open(create=True)
        except OSError:
            return
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released by close
            raw = os.pread(fd, SIZE, 0)
            current = None if self._mine and raw == self._mine[0] else _parse(raw)
            later = (
                current is not None
                and current.journal == journal
                and current.gseq >= gseq
                and recorded is not None
                and recorded(current.gseq) == current.link
            )
            if not later:
                os.pwrite(fd, data, 0)
                self._dirty = True
                self._mine = (data, head)
        except OSError:
            return
        finally:
            os.close(fd)

    def _open(self, *, create: bool) -> int:
        flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        if create:
            flags |= os.O_CREAT
        return os.open(self.path, flags, 0o600)

    def sync(self) -> None:
        """fsync the record once (on close): appends leave it to the page cache."""
        if not self._dirty:
            return
        self._dirty = False
        with contextlib.suppress(OSError):
            fd = self._open(create=False)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
