"""The one path resolver every tool uses: nothing outside the workspace, nothing of the app's own."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from tools.base import ToolError


class PathEscapeError(ToolError):
    """A path that would leave the workspace or touch the app's own state."""


class Workspace:
    """A folder the tools may work in. Paths are workspace-relative; symlinks are followed and
    the real target must still lie inside; the app's config and journal are off limits."""

    def __init__(self, root: Path | str, protected: Iterable[Path] = ()) -> None:
        self.root = Path(root).expanduser().resolve(strict=True)
        if not self.root.is_dir():
            raise ToolError(f"workspace {self.root} is not a folder")
        self.protected = tuple(Path(p).resolve() for p in protected)

    def resolve(self, rel: str, *, must_exist: bool = False) -> Path:
        """The real absolute path for a workspace-relative one, or PathEscapeError saying why."""
        if not isinstance(rel, str) or rel == "":
            raise PathEscapeError("a path is required")
        if "\x00" in rel:
            raise PathEscapeError("paths may not contain NUL characters")
        if rel.startswith("~"):
            raise PathEscapeError(f"{rel!r}: '~' is not expanded; use a path inside the workspace")
        if os.path.isabs(rel):
            raise PathEscapeError(
                f"{rel!r}: absolute paths are refused; use a path relative to the workspace"
            )
        real = Path(os.path.realpath(self.root / rel))
        if not real.is_relative_to(self.root):
            raise PathEscapeError(f"{rel!r} is outside the workspace")
        for guarded in self.protected:
            if real.is_relative_to(guarded) or (guarded.is_relative_to(real) and real != self.root):
                raise PathEscapeError(
                    f"{rel!r} is the assistant's own data; tools may not touch it"
                )
        if must_exist and not real.exists():
            raise ToolError(f"{rel}: no such file or folder")
        return real

    @staticmethod
    def extra_links(path: Path) -> int:
        """How many other hard links a regular file has (0 for none, for folders and for missing
        paths). Another link may be a door to a file outside the workspace."""
        try:
            st = os.lstat(path)
        except OSError:
            return 0
        return st.st_nlink - 1 if stat.S_ISREG(st.st_mode) else 0

    def refuse_hard_link(self, path: Path) -> None:
        """Write tools call this before changing ``path``: a file with several links is refused,
        since writing it (or its metadata) would change whatever else the other link names."""
        extra = self.extra_links(path)
        if extra:
            shown = self.relative(path) if path.is_relative_to(self.root) else str(path)
            raise ToolError(
                f"{shown} has {extra + 1} hard links; another one may be a file outside the "
                "workspace, so it is not changed. Copy it to a new file first"
            )

    def is_protected(self, real: Path) -> bool:
        """True for the app's own folders and what lies inside them (walkers skip these)."""
        return any(real.is_relative_to(g) for g in self.protected)

    def relative(self, path: Path) -> str:
        """The workspace-relative spelling of a resolved path, for previews and targets."""
        try:
            rel = path.relative_to(self.root).as_posix()
        except ValueError:
            raise PathEscapeError(f"{str(path)!r} is outside the workspace") from None
        return rel or "."

    def atomic_write(self, path: Path, data: bytes) -> None:
        """Write via a temp file in the same folder: fsync, then rename over the target."""
        path = self.resolve(self.relative(path))
        self.refuse_hard_link(path)
        fd, tmp = _create_temp(path)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def read_bytes(self, path: Path) -> bytes:
        """Read a file without following a symlink swapped in after resolution."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read()


def _create_temp(path: Path) -> tuple[int, str]:
    """A new temp file beside ``path``, created with mode 0o666 so the umask applies: a new file
    gets the same permissions as one made by a shell (mkstemp's 0o600 would hide it from others)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")
