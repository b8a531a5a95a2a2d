"""File patterns for csv_query ('logs/*.csv', 'data/**/*.csv') expanded inside the workspace.

Wildcards never step through a symlinked folder, so a link loop or a link out of the workspace is
never walked; a literal folder name may be a link only when its target is inside the workspace.
Hidden names match only a pattern part that starts with a dot, as in a shell. The walk stops at
a deadline and after a bounded number of entries, with an error that says so.
"""

from __future__ import annotations

import fnmatch
import os
import re
import time
from pathlib import Path, PurePosixPath

from tools.base import ToolError
from tools.workspace import Workspace

MAX_ENTRIES = 200_000
_MAGIC = re.compile(r"[*?\[]")


def has_magic(text: str) -> bool:
    return bool(_MAGIC.search(text))


class _Walk:
    def __init__(self, ws: Workspace, deadline: float, max_entries: int) -> None:
        self.ws = ws
        self.deadline = deadline
        self.max_entries = max_entries
        self.seen = 0

    def tick(self, pattern: str) -> None:
        self.seen += 1
        if self.seen > self.max_entries:
            raise ToolError(
                f"{pattern!r} looks at more than {self.max_entries:,} files and folders; "
                "name a smaller folder"
            )
        if self.seen % 256 == 0 and time.monotonic() > self.deadline:
            raise ToolError(f"{pattern!r} took too long to expand; name a smaller folder")

    def inside(self, path: Path) -> bool:
        real = Path(os.path.realpath(path))
        return real.is_relative_to(self.ws.root) and not self.ws.is_protected(real)

    def entries(self, folder: Path, pattern: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as it:
                out = []
                for entry in it:
                    self.tick(pattern)
                    out.append(entry)
                return sorted(out, key=lambda e: e.name)
        except OSError:
            return []

    def subfolders(self, folder: Path, pattern: str) -> list[Path]:
        """``folder`` and every folder below it, never through a symlink or a hidden name."""
        out: list[Path] = []
        stack = [folder]
        while stack:  # depth first, in name order, without recursion (folders may nest deeply)
            current = stack.pop()
            out.append(current)
            children = [
                Path(e.path)
                for e in self.entries(current, pattern)
                if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)
            ]
            stack.extend(c for c in reversed(children) if not self.ws.is_protected(c))
        return out


def expand(
    pattern: str, ws: Workspace, deadline: float, max_entries: int | None = None
) -> list[str]:
    """Workspace-relative paths (as spelled by the walk, not resolved) that match ``pattern``,
    sorted; the caller still resolves and checks each one."""
    parts = [p for p in PurePosixPath(pattern).parts if p not in ("", ".")]
    if not parts:
        return []
    walk = _Walk(ws, deadline, MAX_ENTRIES if max_entries is None else max_entries)
    folders = [ws.root]
    matches: list[Path] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            if last:  # 'dir/**' names the files below dir, as glob does with recursive=True
                found = [f for d in folders for f in walk.subfolders(d, pattern)]
                folders = found
                matches = [
                    Path(e.path)
                    for d in found
                    for e in walk.entries(d, pattern)
                    if not e.name.startswith(".") and not e.is_dir(follow_symlinks=False)
                ]
                break
            folders = list(dict.fromkeys(f for d in folders for f in walk.subfolders(d, pattern)))
            continue
        following: list[Path] = []
        for folder in folders:
            if has_magic(part):
                for entry in walk.entries(folder, pattern):
                    if entry.name.startswith(".") and not part.startswith("."):
                        continue
                    if not fnmatch.fnmatchcase(entry.name, part):
                        continue
                    if last:
                        matches.append(Path(entry.path))
                    elif entry.is_dir(follow_symlinks=False):
                        following.append(Path(entry.path))
            else:
                walk.tick(pattern)
                child = folder / part
                if last:
                    if os.path.lexists(child):
                        matches.append(child)
                elif os.path.isdir(child) and walk.inside(child):
                    following.append(child)
        folders = following
    rels = sorted({p.relative_to(ws.root).as_posix() for p in matches})
    return rels
