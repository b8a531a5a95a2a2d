"""The undo record a write leaves: what each path held before (bytes, folders, modes) and after.

Every tool that changes files keeps it the same way (shell, csv_write, http_request save_to,
restore itself), through ``Capture``: taken just before the write, finished just after it.

Format 2 (the one written now), in a tool's ``Result``:

- ``before_images``: ``"a/b.txt": bytes`` the file held these bytes; ``"a/b.txt": None`` it did
  not exist as a file; ``"a/d/": b""`` (trailing slash) the folder existed; ``"a/d/": None`` it did
  not. The journal keeps the bytes as blobs and the event maps each key to the blob's sha256.
- ``data["undo"]``: ``{"format": 2, "paths": [{"path": "a/b.txt", "before": STATE, "after":
  STATE}, ...]}`` where a STATE is ``{"kind": "file", "mode": 420, "sha256": "<hex>"}``,
  ``{"kind": "dir", "mode": 493}`` or ``{"kind": "absent"}``; ``mode`` is the permission bits
  (``st_mode & 0o7777``), and a file's ``sha256`` names its blob. ``after`` is what the write
  left: an undo compares it with the disk to find later changes. A name that is not valid UTF-8
  (which the journal's text cannot hold) also has ``"raw"``: its bytes in hex.
- ``after_images``: the bytes each changed file was left with, kept as blobs under their
  sha256 so that an undo can show, as a diff, the edits made since.

Format 1 (journals written before): ``before_images`` only, with the same keys and no modes and
no after-state. ``restore_entries`` reads both.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tools.base import Result, ToolError
from tools.safe_tree import SafeTree
from tools.workspace import Workspace

FORMAT = 2
FILE = "file"
DIR = "dir"
ABSENT = "absent"
KINDS = (FILE, DIR, ABSENT)


class TooBig(ToolError):
    """A file over the bytes one undo record may hold."""


@dataclass(frozen=True)
class State:
    """What one path is: a file (mode, sha256 of its bytes), a folder (mode), or nothing."""

    kind: str
    mode: int | None = None
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind != ABSENT and self.mode is not None:
            out["mode"] = self.mode
        if self.kind == FILE and self.sha256 is not None:
            out["sha256"] = self.sha256
        return out

    @classmethod
    def from_json(cls, raw: Any) -> State:
        """A state read back from a record or from restore's arguments; ToolError when odd."""
        if not isinstance(raw, Mapping) or raw.get("kind") not in KINDS:
            raise ToolError(f"not a recorded path state: {str(raw)[:80]}")
        mode = raw.get("mode")
        if mode is not None and (not isinstance(mode, int) or not 0 <= mode <= 0o7777):
            raise ToolError(f"not a file mode: {str(mode)[:20]}")
        sha = raw.get("sha256")
        if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
            raise ToolError(f"not a sha256: {str(sha)[:70]}")
        kind = str(raw["kind"])
        return cls(kind, mode if kind != ABSENT else None, sha if kind == FILE else None)

    def describe(self) -> str:
        if self.kind == ABSENT:
            return "nothing"
        what = "a folder" if self.kind == DIR else "a file"
        return what + (f" (mode {self.mode:o})" if self.mode is not None else "")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_state(
    tree: SafeTree, rel: str, max_bytes: int | None = None
) -> tuple[State, bytes | None]:
    """The path's state now and, for a file, its bytes (refused past ``max_bytes``). A symbolic
    link, FIFO or device is refused: undo records only files and folders, so it could not put
    such a thing back."""
    st = tree.lstat(rel)
    if st is None:
        return State(ABSENT), None
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISDIR(st.st_mode):
        return State(DIR, mode), None
    if stat.S_ISREG(st.st_mode):
        if max_bytes is not None and st.st_size > max_bytes:
            raise TooBig(f"{rel} is too big ({st.st_size:,} B) to keep for undo")
        data = tree.read(rel)
        return State(FILE, mode, sha256(data)), data
    what = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file or folder"
    raise ToolError(f"{rel} is {what}; it is not changed, so that an undo could put it back")


@dataclass(frozen=True)
class Kept:
    """What a tool puts in its Result so the write can be undone (see the module docstring)."""

    before_images: dict[str, bytes | None]
    after_images: dict[str, bytes]
    record: dict[str, Any]
    """``Result.data["undo"]``."""


class Capture:
    """The state of every path a write will change, taken just before it; ``finish`` after."""

    def __init__(self, ws: Workspace, rels: Iterable[str]) -> None:
        self.tree = SafeTree(ws)
        self.before: dict[str, tuple[State, bytes | None]] = {}
        for rel in rels:
            if rel not in self.before:
                self.before[rel] = read_state(self.tree, rel)

    def finish(self) -> Kept:
        """Read what the write left (after it ran, or stopped part-way) and build the record."""
        images: dict[str, bytes | None] = {}
        after_images: dict[str, bytes] = {}
        paths: list[dict[str, Any]] = []
        for rel, (before, data) in sorted(self.before.items(), key=lambda i: os.fsencode(i[0])):
            try:
                after, left = read_state(self.tree, rel)
            except ToolError:  # something not a file or folder appeared: any undo must ask
                after, left = State(FILE, None, "0" * 64), None
            if after == before:
                continue
            if before.kind == FILE:
                images[rel] = data
            elif before.kind == DIR:
                images[rel + "/"] = b""
            if after.kind == FILE and before.kind != FILE:
                images[rel] = None
            elif after.kind == DIR and before.kind != DIR:
                images[rel + "/"] = None
            if left is not None:
                after_images[rel] = left
            entry = {"path": rel, "before": before.to_json(), "after": after.to_json()}
            raw = os.fsencode(rel)
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                entry["raw"] = raw.hex()
            paths.append(entry)
        return Kept(images, after_images, {"format": FORMAT, "paths": paths})

    def attach(self, result: Result) -> Result:
        """``result`` with the finished undo record: its before- and after-images and
        ``data["undo"]``."""
        kept = self.finish()
        return dataclasses.replace(
            result,
            data={**result.data, "undo": kept.record},
            before_images=kept.before_images,
            after_images=kept.after_images,
        )


def restore_entries(
    blobs: Mapping[str, str | None], data: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The restore tool's ``paths`` argument for a recorded result: each path, what to put back
    (``to``) and what the action left there (``left``; None when the record does not say)."""
    record = data.get("undo") if isinstance(data, Mapping) else None
    if isinstance(record, Mapping) and record.get("format") == FORMAT:
        return _entries_v2(blobs, record.get("paths"))
    return _entries_v1(blobs)


def _entries_v2(blobs: Mapping[str, str | None], paths: Any) -> list[dict[str, Any]]:
    if not isinstance(paths, list):
        raise ToolError("the action's undo record is damaged (no list of paths)")
    out = []
    for item in paths:
        if not isinstance(item, Mapping) or not isinstance(item.get("path"), str):
            raise ToolError(f"the action's undo record is damaged at {str(item)[:80]!r}")
        rel = item["path"]
        if item.get("raw") is not None:
            try:
                rel = os.fsdecode(bytes.fromhex(str(item["raw"])))
            except ValueError:
                raise ToolError(f"the undo record's name of {rel[:80]!r} is damaged") from None
        before = State.from_json(item.get("before"))
        after = State.from_json(item.get("after"))
        to: dict[str, Any] = {"kind": before.kind}
        if before.mode is not None:
            to["mode"] = before.mode
        if before.kind == FILE:
            if before.sha256 is None:
                raise ToolError(f"the undo record names no before-image for {rel[:80]!r}")
            to["blob"] = before.sha256
        out.append({"path": rel, "to": to, "left": after.to_json()})
    return out


def _entries_v1(blobs: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """Format 1: no modes, no after-state; a key may name a path twice ("x" and "x/")."""
    files = {k: v for k, v in blobs.items() if not k.endswith("/")}
    dirs = {k[:-1]: v for k, v in blobs.items() if k.endswith("/")}
    out = []
    for rel in sorted(set(files) | set(dirs)):
        if files.get(rel):
            to: dict[str, Any] = {"kind": FILE, "blob": files[rel]}
        elif dirs.get(rel) is not None:
            to = {"kind": DIR}
        else:
            to = {"kind": ABSENT}
        out.append({"path": rel, "to": to, "left": None})
    return out
