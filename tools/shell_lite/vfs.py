"""The file view commands run against: the real workspace below, the command's planned changes on top.

Commands never write to disk. Planning runs the whole pipeline against this overlay to learn
exactly what would change (for the preview and the fingerprint); running does it again and only
then applies the overlay with ``apply``.

Before-images (for undo) are taken by ``before_images`` just before ``apply``, in the format of
``tools.undo_record`` (files with their bytes and modes, folders, and what the write left).
"""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tools.base import RuleRefusal, ToolError
from tools.undo_record import Capture
from tools.workspace import PathEscapeError, Workspace

FILE = "file"
DIR = "dir"
LINK = "link"
OTHER = "other"
ABSENT = "absent"


class DeniedPathError(RuleRefusal):
    """A command would read or change a path a deny rule covers; the message never names it."""


@dataclass
class _Node:
    kind: str
    data: bytes = b""
    touched: bool = False


@dataclass(frozen=True)
class Change:
    """One path's net change: kinds are file, dir or absent; bytes only for files."""

    path: Path
    rel: str
    before_kind: str
    after_kind: str
    before: bytes | None
    after: bytes | None
    touched: bool = False

    @property
    def verb(self) -> str:
        if self.before_kind == ABSENT:
            return "mkdir" if self.after_kind == DIR else "create"
        if self.after_kind == ABSENT:
            return "rmdir" if self.before_kind == DIR else "delete"
        if self.before_kind != self.after_kind:
            return "replace"
        if self.after_kind == FILE and self.before == self.after:
            return "touch"
        return "modify"


class VirtualFS:
    """Overlay of planned changes on the workspace; every path comes through the workspace resolver."""

    def __init__(
        self,
        ws: Workspace,
        check: Callable[[], None] = lambda: None,
        max_bytes: int = 32 << 20,
        denied: Callable[[str], str | None] = lambda rel: None,
    ) -> None:
        self.ws = ws
        self.check = check
        self.max_bytes = max_bytes
        """What one write may hold in memory: a file copied whole, before-images together."""
        self.denied = denied
        """Workspace-relative path -> the reason a deny rule gives, or None (see ``ToolContext``)."""
        self.hidden_by_rule: set[str] = set()
        """Paths a listing, walk or glob left out because a deny rule covers them (never shown)."""
        self.notes: list[str] = []
        """Facts the person and the model should read beside the output (hard links)."""
        self.opened_ns = time.time_ns()
        """When the command line started: the time a file the redirect creates is made at."""
        self.watch: Path | None = None
        """A path whose uses are recorded in ``watched`` ("kind", "open", "stat", "list" for a
        listing of its folder): the pipeline checks that no earlier stage races the redirect."""
        self.watched: set[str] = set()
        self._nodes: dict[Path, _Node] = {}
        self._added: dict[Path, set[str]] = {}

    # -- resolution -------------------------------------------------------------------------
    def resolve(self, rel: str) -> Path:
        """The real path for an operand (symlinks inside the workspace followed)."""
        return self.ws.resolve(rel)

    def entry(self, rel: str, verb: str) -> Path:
        """The path of the entry itself, for commands that remove or move it: a symbolic link
        is refused because undo could not restore it, and '.' or '..' are refused as rm does."""
        real = self.ws.resolve(rel)
        name = rel.rstrip("/").rsplit("/", 1)[-1]
        if name in ("", ".", ".."):
            raise ToolError(f"{verb}: refusing to {verb} '.' or '..': {rel}")
        if real == self.ws.root:
            raise ToolError(f"{verb}: refusing to {verb} the workspace folder itself")
        parent = rel.rstrip("/").rpartition("/")[0] or "."
        lexical = self.ws.resolve(parent) / name
        if lexical not in self._nodes and os.path.islink(lexical):
            raise ToolError(
                f"{verb}: {rel} is a symbolic link; shell-lite does not move or remove links"
            )
        return real

    def rel(self, path: Path) -> str:
        return self.ws.relative(path)

    def hidden(self, path: Path) -> bool:
        """The app's own folders, or folders holding them: walkers and listings skip these."""
        return (
            any(
                path == g or g.is_relative_to(path) or path.is_relative_to(g)
                for g in self.ws.protected
            )
            and path != self.ws.root
        )

    # -- queries ----------------------------------------------------------------------------
    def kind(self, path: Path) -> str:
        """file, dir, link, other or absent: the overlay first, then the disk (not following
        a final symlink: callers resolved the operand already)."""
        if path == self.watch:
            self.watched.add("kind")
        node = self._nodes.get(path)
        if node is not None:
            return node.kind
        return _disk_kind(path)

    def exists(self, path: Path) -> bool:
        return self.kind(path) != ABSENT

    def is_dir(self, path: Path) -> bool:
        return self.kind(path) == DIR

    def size(self, path: Path) -> int:
        if path == self.watch:
            self.watched.add("stat")
        node = self._nodes.get(path)
        if node is not None:
            return len(node.data)
        return os.stat(path).st_size

    def open(self, path: Path) -> BinaryIO:
        """A reader for a regular file; devices and FIFOs are refused, never opened blocking.
        A file a deny rule covers is refused without its name; one with other hard links is
        read with a note."""
        self.refuse_denied(path)
        if path == self.watch:
            self.watched.add("open")
        node = self._nodes.get(path)
        if node is not None:
            if node.kind != FILE:
                raise ToolError(f"{self.rel(path)}: not a regular file")
            return io.BytesIO(node.data)
        reader = _open_regular(path, self.rel(path))
        links = os.fstat(reader.fileno()).st_nlink
        if links > 1:
            self.note(
                f"note: {self.rel(path)} has {links} hard links; another one may be a file "
                "outside the workspace (write commands refuse it)"
            )
        return reader

    def refuse_denied(self, path: Path) -> None:
        """Raise when a deny rule covers ``path``; the message never names it."""
        reason = self.denied(self.rel(path))
        if reason is not None:
            raise DeniedPathError(
                f"refused: this command would read or change a path covered by a deny rule "
                f"({reason})"
            )

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def stat(self, path: Path) -> os.stat_result | None:
        """The entry's own metadata on disk (links not followed); None when it is not on disk."""
        if path == self.watch:
            self.watched.add("stat")
        try:
            return os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def grows(self, path: Path) -> bool:
        """The overlay plans a new entry in folder ``path`` (so its size and time will change)."""
        return any(_disk_kind(path / name) == ABSENT for name in self._added.get(path, ()))

    def planned(self, path: Path) -> bool:
        """The overlay holds a planned change for ``path`` (its bytes or kind differ from disk)."""
        return path in self._nodes

    def read(self, path: Path) -> bytes:
        """A whole file (for copies and appends), refused past ``max_bytes``."""
        if self.kind(path) == FILE and self.size(path) > self.max_bytes:
            raise ToolError(
                f"{self.rel(path)} is over the {self.max_bytes >> 20} MB one write may copy and "
                "keep for undo"
            )
        with self.open(path) as fh:
            return fh.read(self.max_bytes + 1)

    def listdir(self, path: Path) -> list[str]:
        """Entry names, sorted bytewise, without the app's own folders or denied paths."""
        if self.watch is not None and path == self.watch.parent:
            self.watched.add("list")
        names: set[str] = set()
        if _disk_kind(path) == DIR:
            try:
                names.update(os.listdir(path))
            except OSError as exc:
                raise ToolError(f"{self.rel(path)}: cannot list ({exc.strerror})") from None
        names.update(self._added.get(path, ()))
        out = []
        for name in names:
            child = path / name
            if self.kind(child) == ABSENT or self.hidden(child):
                continue
            rel = self.rel(child)
            if self.denied(rel) is not None:
                self.hidden_by_rule.add(rel)
                continue
            out.append(name)
        return sorted(out, key=os.fsencode)

    def walk(self, path: Path) -> Iterator[Path]:
        """Every entry below a folder, parents before children, without following links."""
        for name in self.listdir(path):
            self.check()
            child = path / name
            yield child
            if self.kind(child) == DIR:
                yield from self.walk(child)

    # -- planned changes --------------------------------------------------------------------
    def _set(self, path: Path, node: _Node) -> None:
        if not path.is_relative_to(self.ws.root) or path == self.ws.root or self.hidden(path):
            raise PathEscapeError(f"{path}: outside the workspace")
        self._nodes[path] = node
        self._added.setdefault(path.parent, set()).add(path.name)

    def write(self, path: Path, data: bytes) -> None:
        self._set(path, _Node(FILE, data))

    def touch(self, path: Path) -> None:
        self._set(path, _Node(FILE, self.read(path), touched=True))

    def mkdir(self, path: Path) -> None:
        self._set(path, _Node(DIR))
        self._added.setdefault(path, set())

    def remove(self, path: Path) -> None:
        self._set(path, _Node(ABSENT))

    # -- outcome ----------------------------------------------------------------------------
    def changes(self) -> list[Change]:
        """Net changes against the disk now, sorted by path; paths with no net change dropped."""
        out = []
        budget = self.max_bytes
        for path in sorted(self._nodes, key=lambda p: os.fsencode(str(p))):
            self.check()
            node = self._nodes[path]
            before_kind = _disk_kind(path)
            if before_kind == FILE:
                budget -= os.stat(path).st_size  # checked before reading: rm of a huge file
                if budget < 0:
                    raise ToolError(
                        f"this write would keep over {self.max_bytes >> 20} MB of before-images "
                        "for undo; work on fewer or smaller files"
                    )
            if before_kind in (LINK, OTHER):
                raise ToolError(f"{self.rel(path)}: not a regular file or folder; not changed")
            before = _open_regular(path, self.rel(path)).read() if before_kind == FILE else None
            after = node.data if node.kind == FILE else None
            if before_kind == node.kind and before == after and not node.touched:
                continue
            out.append(
                Change(path, self.rel(path), before_kind, node.kind, before, after, node.touched)
            )
        return out


def before_images(ws: Workspace, changes: list[Change]) -> Capture:
    """The undo record's 'before' for a set of changes, taken just before ``apply``; its
    ``attach`` adds what the write left (see ``tools.undo_record``)."""
    return Capture(ws, [ch.rel for ch in changes])


def apply(ws: Workspace, changes: list[Change]) -> None:
    """Carry out planned changes: removals first (files, then folders deepest first), then new
    folders shallowest first, then file contents (atomic writes)."""
    depth = lambda ch: len(ch.path.parts)  # noqa: E731
    for ch in changes:
        if ch.before_kind == FILE and ch.after_kind != FILE:
            ws.resolve(ch.rel)
            os.unlink(ch.path)
    for ch in sorted(changes, key=depth, reverse=True):
        if ch.before_kind == DIR and ch.after_kind != DIR:
            ws.resolve(ch.rel)
            os.rmdir(ch.path)
    for ch in sorted(changes, key=depth):
        if ch.after_kind == DIR and ch.before_kind != DIR:
            ws.resolve(ch.rel)
            os.mkdir(ch.path)
    for ch in changes:
        if ch.after_kind == FILE:
            if ch.before == ch.after and ch.before_kind == FILE:
                os.utime(ws.resolve(ch.rel))
            else:
                assert ch.after is not None
                ws.atomic_write(ws.resolve(ch.rel), ch.after)


def _disk_kind(path: Path) -> str:
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ABSENT
    if stat.S_ISLNK(st.st_mode):
        return LINK
    if stat.S_ISDIR(st.st_mode):
        return DIR
    if stat.S_ISREG(st.st_mode):
        return FILE
    return OTHER


def _open_regular(path: Path, rel: str) -> BinaryIO:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ToolError(f"{rel}: No such file or directory") from None
    except IsADirectoryError:
        raise ToolError(f"{rel}: Is a directory") from None
    except OSError as exc:
        raise ToolError(f"{rel}: cannot open ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        os.close(fd)
        raise ToolError(f"{rel}: {'Is a directory' if is_dir else 'not a regular file'}")
    return os.fdopen(fd, "rb")
