"""Putting before-images back: the inverse of a file write, folders included (see ``vfs``)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from tools.base import ToolError
from tools.workspace import Workspace


def restore(ws: Workspace, images: Mapping[str, bytes | None]) -> list[str]:
    """Restore the exact bytes (and folders) recorded before a write; returns what was done.

    Keys ending in '/' are folders (``None``: it did not exist, so remove it; ``b""``: it
    existed, so recreate it); other keys are files (``None``: remove; bytes: write back).
    Works for any tool's before-images, since plain files follow the same rule.
    """
    done: list[str] = []
    files = {k: v for k, v in images.items() if not k.endswith("/")}
    dirs = {k.rstrip("/"): v for k, v in images.items() if k.endswith("/")}
    depth = lambda rel: rel.count("/")  # noqa: E731
    for rel, data in sorted(files.items()):
        if data is None:
            path = ws.resolve(rel)
            if os.path.lexists(path):
                if not path.is_file() or path.is_symlink():
                    raise ToolError(f"undo: {rel} is no longer a plain file; left as it is")
                os.unlink(path)
                done.append(f"removed {rel}")
    for rel in sorted((r for r, v in dirs.items() if v is None), key=depth, reverse=True):
        path = ws.resolve(rel)
        if path.is_dir():
            try:
                os.rmdir(path)
            except OSError:
                raise ToolError(
                    f"undo: the folder {rel}/ holds files made since; it was left in place"
                ) from None
            done.append(f"removed {rel}/")
    for rel in sorted((r for r, v in dirs.items() if v is not None), key=depth):
        path = ws.resolve(rel)
        if not path.is_dir():
            os.mkdir(path)
            done.append(f"recreated {rel}/")
    for rel, data in sorted(files.items()):
        if data is not None:
            path = ws.resolve(rel)
            if path.is_dir():
                raise ToolError(f"undo: {rel} is now a folder; its old bytes were not written")
            ws.atomic_write(path, data)
            done.append(f"restored {rel} ({len(data)} bytes)")
    return done
