"""Workspace paths reached one folder at a time, never through a symbolic link (undo's file ops).

``Workspace.resolve`` follows links that stay inside the workspace, which is right for reading
an operand but wrong for putting recorded bytes back: a link swapped in after the action would
redirect the write. Every operation here opens the workspace root, then each folder on the way
with ``O_NOFOLLOW | O_DIRECTORY`` relative to the previous one, and acts on the last name
relative to that folder's descriptor: a link anywhere on the path fails the operation instead.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from tools.base import ToolError
from tools.workspace import PathEscapeError, Workspace

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class LinkOnPath(ToolError):
    """A folder on the path is now a symbolic link (or a file): nothing was followed."""


class SafeTree:
    """File operations on workspace-relative paths that never follow a symbolic link."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def check(self, rel: str) -> str:
        """``rel`` as a plain relative path inside the workspace, not the app's own data."""
        if not isinstance(rel, str) or not rel or rel.startswith("/") or "\x00" in rel:
            raise PathEscapeError(f"{str(rel)[:80]!r} is not a workspace-relative path")
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise PathEscapeError(f"{rel!r} is not a plain workspace path (no '.', '..' or '//')")
        parent = rel.rpartition("/")[0]
        if parent and self.ws.resolve(parent) != self.ws.root / parent:
            raise LinkOnPath(f"{rel}: a folder on its path is now a symbolic link; not followed")
        entry = self.ws.root / rel  # the entry itself, a link not followed
        for guarded in self.ws.protected:
            if entry.is_relative_to(guarded) or guarded.is_relative_to(entry):
                raise PathEscapeError(
                    f"{rel!r} is the assistant's own data; tools may not touch it"
                )
        return rel

    @contextmanager
    def parent(self, rel: str) -> Iterator[tuple[int, str]]:
        """The open folder holding ``rel`` and its last name; FileNotFoundError when missing."""
        parts = self.check(rel).split("/")
        fd = os.open(self.ws.root, _DIR_FLAGS)
        try:
            for part in parts[:-1]:
                try:
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    if exc.errno == errno.ELOOP or (
                        exc.errno == errno.ENOTDIR
                        and stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode)
                    ):
                        raise LinkOnPath(
                            f"{rel}: {part} on its path is now a symbolic link; not followed"
                        ) from None
                    raise  # missing (FileNotFoundError) or a file (NotADirectoryError)
                os.close(fd)
                fd = nxt
            yield fd, parts[-1]
        finally:
            os.close(fd)

    def lstat(self, rel: str) -> os.stat_result | None:
        """The entry itself (a link is not followed); None when it or a folder above is missing."""
        try:
            with self.parent(rel) as (fd, name):
                return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read(self, rel: str) -> bytes:
        """A regular file's bytes; anything else (link, FIFO, device) is refused."""
        with self.parent(rel) as (pfd, name):
            flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
            try:
                fd = os.open(name, flags, dir_fd=pfd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise LinkOnPath(f"{rel} is now a symbolic link; not followed") from None
                raise
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ToolError(f"{rel} is not a regular file")
            return fh.read()

    def listdir(self, rel: str) -> list[str]:
        with self.parent(rel) as (pfd, name):
            fd = os.open(name, _DIR_FLAGS, dir_fd=pfd)
        try:
            return sorted(os.listdir(fd), key=os.fsencode)
        finally:
            os.close(fd)

    def unlink(self, rel: str) -> None:
        with self.parent(rel) as (fd, name):
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                raise ToolError(f"{rel} is no longer a regular file; it was left in place")
            os.unlink(name, dir_fd=fd)

    def rmdir(self, rel: str) -> None:
        with self.parent(rel) as (fd, name):
            os.rmdir(name, dir_fd=fd)

    def mkdir(self, rel: str, mode: int) -> None:
        with self.parent(rel) as (fd, name):
            os.mkdir(name, mode, dir_fd=fd)

    def chmod_dir(self, rel: str, mode: int) -> None:
        """Set a folder's permission bits through a descriptor opened without following links."""
        with self.parent(rel) as (pfd, name):
            fd = os.open(name, _DIR_FLAGS, dir_fd=pfd)
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)

    def write(self, rel: str, data: bytes, mode: int | None) -> None:
        """Put ``data`` at ``rel`` as a new file (temp file, fsync, rename over): an old file, a
        hard-linked one included, is replaced, never written into. ``mode`` None: the umask's."""
        with self.parent(rel) as (pfd, name):
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
            for _ in range(100):
                tmp = f".{name[:200]}.{secrets.token_hex(6)}.undo"
                try:
                    fd = os.open(tmp, flags, 0o666 if mode is None else 0o600, dir_fd=pfd)
                    break
                except FileExistsError:
                    continue
            else:
                raise ToolError(f"{rel}: no free temporary name beside it")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    if mode is not None:
                        os.fchmod(fh.fileno(), mode)
                    os.fsync(fh.fileno())
                os.replace(tmp, name, src_dir_fd=pfd, dst_dir_fd=pfd)
            except BaseException:
                with suppress(OSError):
                    os.unlink(tmp, dir_fd=pfd)
                raise
            os.fsync(pfd)
