"""Operand lookup as the kernel does it: every component before a '/' must be a folder, a trailing
'/' asks for a folder, a final symbolic link is followed or not as the command needs.

Python's ``realpath`` quietly drops a trailing slash and walks through files (``a.txt/`` and
``a.txt/../b`` both "exist"), which made ``rm -f notes.txt/`` delete the file where GNU says
"Not a directory". Every command looks its operands up here instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tools.base import ToolError
from tools.shell_lite.vfs import ABSENT, DIR, LINK, VirtualFS

ENOENT = "No such file or directory"
ENOTDIR = "Not a directory"
ELOOP = "Too many levels of symbolic links"
EISDIR = "Is a directory"
ENAMETOOLONG = "File name too long"
NAME_MAX = 255
"""Bytes in one file name (Linux): a longer one fails as in GNU, before the OS is asked."""
MAX_COMPONENTS = 256
"""Components in one operand: looking each prefix up is quadratic, so deeper paths are refused."""


@dataclass(frozen=True)
class Lookup:
    """One operand looked up: ``path``/``kind`` follow a final link, ``entry``/``lkind`` do not."""

    operand: str
    path: Path
    kind: str
    """file, dir, other or absent, after following a final symbolic link."""
    entry: Path
    lkind: str
    """The kind of the entry itself: link for a symbolic link (unless a trailing '/' follows it)."""
    error: str | None = None
    """Why following the operand fails (ENOENT, ENOTDIR, ELOOP), as GNU's tools word it."""
    parent_error: str | None = None
    """Set when a component before the last is not a folder: nothing can be made there."""

    @property
    def slash(self) -> bool:
        """The operand ends with '/' (or '/.'): it names a folder."""
        last = self.operand.rstrip("/").rsplit("/", 1)[-1]
        return self.operand.endswith("/") or last in (".", "..")


def strip(operand: str) -> str:
    """The operand without trailing slashes ('/' stays '/')."""
    return operand.rstrip("/") or operand


def basename(operand: str) -> str:
    return strip(operand).rsplit("/", 1)[-1]


def lookup(fs: VirtualFS, operand: str) -> Lookup:
    """Look an operand up in the overlay; escapes (absolute, '..' out, links out, the app's own
    data) raise PathEscapeError, failures come back in ``error``."""
    if operand == "":
        root = fs.ws.root
        return Lookup(operand, root, ABSENT, root, ABSENT, ENOENT, ENOENT)
    stripped = operand.rstrip("/") or operand
    parts = stripped.split("/")
    if len(parts) > MAX_COMPONENTS:
        raise ToolError(
            f"{operand[:60]!r}...: paths of more than {MAX_COMPONENTS} components are refused"
        )
    if any(len(p.encode("utf-8", "surrogateescape")) > NAME_MAX for p in parts):
        return Lookup(operand, fs.ws.root, ABSENT, fs.ws.root, ABSENT, ENAMETOOLONG, ENAMETOOLONG)
    for i in range(1, len(parts)):
        if parts[i - 1] in ("", "."):
            continue
        prefix = "/".join(parts[:i])
        real = fs.resolve(prefix)
        kind = fs.kind(real)
        if kind != DIR:
            error = ELOOP if kind == LINK else ENOENT if kind == ABSENT else ENOTDIR
            return Lookup(operand, real, ABSENT, real, ABSENT, error, error)
    path = fs.resolve(stripped)
    kind = fs.kind(path)
    last = parts[-1]
    if last in ("", ".", ".."):
        entry, lkind = path, kind
    else:
        entry = fs.resolve("/".join(parts[:-1]) or ".") / last
        lkind = fs.kind(entry)
    wants_dir = operand.endswith("/") or last in (".", "..")
    if kind == LINK:  # realpath stopped at a link: a loop ('loop/' must follow it: no entry)
        return Lookup(operand, path, ABSENT, entry, ABSENT if wants_dir else lkind, ELOOP)
    if wants_dir:
        entry, lkind = path, kind
        if kind == ABSENT:
            return Lookup(operand, path, kind, entry, kind, ENOENT)
        if kind != DIR:
            return Lookup(operand, path, kind, entry, kind, ENOTDIR)
    if kind == ABSENT:
        return Lookup(operand, path, kind, entry, lkind, ENOENT)
    return Lookup(operand, path, kind, entry, lkind)
