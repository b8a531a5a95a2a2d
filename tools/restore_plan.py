"""What an undo would do, path by path, and what it would lose: restore's survey and preview.

``survey`` reads restore's arguments against the disk now: each recorded path, the folders
missing above a path that comes back, and anything made since inside a folder the undo removes.
Each becomes an ``Entry`` that knows what is there now, what the action left there, and what
goes back.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.base import Effect, RuleRefusal, ToolContext, ToolError, escape_text
from tools.safe_tree import SafeTree
from tools.undo_record import ABSENT, DIR, FILE, State, TooBig, read_state, sha256
from tools.words import plural

MAX_PATHS = 10_000
"""Paths one undo may touch, made-since files inside removed folders included."""
MAX_BYTES = 128 << 20
"""Bytes one undo may hold: what goes back and what is there now (kept for undoing the undo)."""
MAX_DIFF_LINES = 200
"""Lines of one file's diff in the preview."""
MAX_PREVIEW_DIFF_LINES = 2000
"""Diff lines in the whole preview; past it, each path's line still shows what happens to it."""

RECORD = "record"
SINCE = "since"
PARENT = "parent"


class Denied(RuleRefusal):
    """A path a deny rule covers: refused without naming it."""


@dataclass
class Entry:
    """One path: what goes back (``to``), what is there now, and what the action left."""

    rel: str
    to: State
    data: bytes | None
    """The bytes that go back (files)."""
    left: State | None
    """What the action left here; None when the record does not say (older journals)."""
    origin: str
    """RECORD: named by the undo record; SINCE: made since inside a folder the undo removes;
    PARENT: a missing folder that must exist for a recorded path to come back."""
    now: State
    now_data: bytes | None

    @property
    def shown(self) -> str:
        return name(self.rel)

    @property
    def noop(self) -> bool:
        """Already as it was before the action: left alone."""
        if self.to.kind != self.now.kind:
            return False
        if self.to.kind == FILE and self.to.sha256 != self.now.sha256:
            return False
        return self.to.mode is None or self.to.kind == ABSENT or self.to.mode == self.now.mode

    @property
    def loses(self) -> str | None:
        """Why undoing here would lose a change made after the action (None: it would not)."""
        if self.noop or self.now.kind == ABSENT:
            return None
        if self.origin == SINCE:
            return "made after the action"
        if self.left is None:
            return "unknown"
        if self.left.kind != self.now.kind:
            return "replaced"
        if self.now.kind == FILE and self.left.sha256 != self.now.sha256:
            return "edited"
        if self.left.mode is not None and self.left.mode != self.now.mode:
            return "mode"
        return None


@dataclass
class Plan:
    entries: list[Entry]
    read_blob: Any

    @property
    def todo(self) -> list[Entry]:
        return [e for e in self.entries if not e.noop]

    @property
    def lost(self) -> list[Entry]:
        return [e for e in self.todo if e.loses]

    def state(self) -> list[list[Any]]:
        """What the disk holds now at every path, for the fingerprint and the stale check."""
        return [[e.rel, e.now.kind, e.now.mode, e.now.sha256] for e in self.entries]

    def counts(self) -> str:
        todo = self.todo
        files = sum(e.to.kind == FILE for e in todo)
        dirs = sum(e.to.kind == DIR and e.now.kind != DIR for e in todo)
        gone = sum(e.to.kind == ABSENT for e in todo)
        modes = sum(e.to.kind == DIR and e.now.kind == DIR for e in todo)
        parts = [
            plural(files, "file") + " restored" if files else "",
            plural(dirs, "folder") + " recreated" if dirs else "",
            plural(gone, "path") + " removed" if gone else "",
            plural(modes, "folder mode") + " reset" if modes else "",
        ]
        return ", ".join(p for p in parts if p)


def survey(args: Mapping[str, Any], ctx: ToolContext) -> Plan:
    """Every path the undo would touch, with its state now (see the module docstring)."""
    if ctx.read_blob is None:
        raise ToolError("restore needs the journal's before-images, which are not available here")
    tree = SafeTree(ctx.workspace)
    entries: dict[str, Entry] = {}
    budget = [MAX_BYTES]

    def add(rel: str, to: State, data: bytes | None, left: State | None, origin: str) -> Entry:
        if len(entries) >= MAX_PATHS:
            raise ToolError(f"this undo would touch over {MAX_PATHS:,} paths; restore by hand")
        if ctx.denied("restore", f"path:{rel}", Effect.WRITE):
            raise Denied("this undo would change a path a deny rule covers; nothing was done")
        budget[0] -= len(data or b"")
        try:
            now, now_data = read_state(tree, rel, max(budget[0], 0))
        except TooBig:
            budget[0] = -1
        else:
            budget[0] -= len(now_data or b"")
        if budget[0] < 0:
            raise ToolError(f"this undo would hold over {MAX_BYTES >> 20} MB; restore by hand")
        if now.kind == FILE:  # another link may be a file outside: never change it through this one
            ctx.workspace.refuse_hard_link(ctx.workspace.root / rel)
        entries[rel] = Entry(rel, to, data, left, origin, now, now_data)
        return entries[rel]

    for raw in args["paths"]:
        rel = tree.check(raw["path"])
        if rel in entries:
            raise ToolError(f"{rel} is named twice in the undo record")
        to, data = _target(raw, ctx)
        left = State.from_json(raw["left"]) if raw.get("left") is not None else None
        add(rel, to, data, left, RECORD)
    for entry in list(entries.values()):  # the folders a returning path needs
        if entry.to.kind == ABSENT:
            continue
        parent = entry.rel.rpartition("/")[0]
        while parent and parent not in entries:
            missing = add(parent, State(DIR), None, None, PARENT)
            if missing.now.kind == FILE:
                raise ToolError(
                    f"{parent} is now a file, and the undo needs a folder there for "
                    f"{entry.rel}: move it away first"
                )
            if missing.now.kind == DIR:
                del entries[parent]
                break
            parent = parent.rpartition("/")[0]
        if parent in entries and entries[parent].to.kind != DIR:
            raise ToolError(f"the undo record is inconsistent: {entry.rel} under {parent}")
    for entry in list(entries.values()):  # what was made since inside a folder that goes
        if entry.now.kind == DIR and entry.to.kind != DIR:
            _since(tree, entry.rel, entries, add)
    return Plan(sorted(entries.values(), key=lambda e: os.fsencode(e.rel)), ctx.read_blob)


def _target(raw: Mapping[str, Any], ctx: ToolContext) -> tuple[State, bytes | None]:
    to = raw["to"]
    kind, mode = to["kind"], to.get("mode")
    if kind != FILE:
        return State(kind, mode if kind == DIR else None), None
    if not to.get("blob"):
        raise ToolError(f"{raw['path']}: the undo record names no before-image for the file")
    assert ctx.read_blob is not None
    try:
        data = ctx.read_blob(to["blob"])
    except Exception as exc:  # the journal's error: missing or damaged blob
        raise ToolError(
            f"the before-image of {raw['path']} cannot be read from the journal ({exc}); "
            "nothing was restored"
        ) from None
    return State(FILE, mode, sha256(data)), data


def _since(tree: SafeTree, rel: str, entries: dict[str, Entry], add: Any) -> None:
    for name in tree.listdir(rel):
        child = f"{rel}/{name}"
        if child not in entries:
            try:
                made = add(child, State(ABSENT), None, None, SINCE)
            except Denied:
                raise
            except ToolError as exc:
                raise ToolError(
                    f"{child}, inside {rel}/ which the undo removes, cannot be kept for undo "
                    f"({exc}); move it away first"
                ) from None
        else:
            made = entries[child]
        if made.now.kind == DIR and made.to.kind != DIR:
            _since(tree, child, entries, add)


# -- preview ---------------------------------------------------------------------------------


def describe(plan: Plan, source: str, tool: str, force: bool) -> str:
    """The undo's preview: later changes that would be lost first, then every path's change."""
    out: list[str] = []
    budget = [MAX_PREVIEW_DIFF_LINES]
    lost = plan.lost
    if tool == "http_request":
        out.append("Only the saved file is undone: the HTTP request itself cannot be undone.")
    if lost:
        if force:
            out.append("! --force: the changes made after the action, shown below, will be lost.")
        else:
            out.append(
                "! CHANGES MADE AFTER THE ACTION WOULD BE LOST (below). Only a person can approve "
                f"this undo, or `assistant undo {source} --force`."
            )
        out.append("Changed since the action:")
        for e in lost:
            out.extend(_loss(plan, e, budget))
        out.append("")
    out.append("The undo:")
    for e in plan.todo:
        out.extend(_change(e, budget))
    same = len(plan.entries) - len(plan.todo)
    if same:
        out.append(f"  ({plural(same, 'path')} already as before the action: left alone)")
    if budget[0] < 0:
        more = plural(-budget[0], "more line")
        out.append(f"[diffs cut: {more} not shown; every path is listed above]")
    out.append("(this undo is itself recorded and can be undone)")
    return "\n".join(out)


def _loss(plan: Plan, e: Entry, budget: list[int]) -> list[str]:
    why = e.loses
    size = f"{len(e.now_data or b''):,} B"
    if why == "made after the action":
        parent = e.rel.rpartition("/")[0]
        kind = "folder" if e.now.kind == DIR else f"file, {size}"
        return [
            f"  {e.shown} ({kind}) was made after the action inside {name(parent)}/, which the undo "
            "removes: it would be deleted"
        ]
    if why == "unknown":
        what = "a folder" if e.now.kind == DIR else f"a file of {size}"
        verb = "removed" if e.to.kind == ABSENT else "replaced"
        return [
            f"  {e.shown}: this action was recorded without the state it left, so changes made "
            f"since cannot be told apart; it is now {what}, which would be {verb}"
        ]
    if why == "mode":
        assert e.left is not None and e.left.mode is not None and e.now.mode is not None
        return [
            f"  {e.shown}: its mode was changed after the action ({e.left.mode:o} → "
            f"{e.now.mode:o}); it would be set back"
        ]
    if why == "replaced":
        assert e.left is not None
        return [
            f"  {e.shown}: the action left {e.left.describe()} here; it is now "
            f"{e.now.describe()}, which would be lost"
        ]
    assert e.left is not None and e.left.sha256 is not None
    try:
        left = plan.read_blob(e.left.sha256)
    except Exception:
        return [
            f"  {e.shown} was edited after the action; the bytes it left were not kept, so the "
            "later edits cannot be shown apart: its whole content now is in the diff below"
        ]
    lines = [f"  {e.shown} was edited after the action; these later edits would be lost:"]
    return lines + _diff(e.rel, left, e.now_data or b"", "as the action left it", "now", budget)


def _change(e: Entry, budget: list[int]) -> list[str]:
    since = " (made after the action)" if e.origin == SINCE else ""
    if e.to.kind == ABSENT:
        if e.now.kind == DIR:
            return [f"  remove folder {e.shown}/{since}"]
        return [f"  remove {e.shown} ({len(e.now_data or b''):,} B){since}"]
    mode = f", mode {e.to.mode:o}" if e.to.mode is not None else ""
    if e.to.kind == DIR:
        if e.origin == PARENT:
            return [f"  make folder {e.shown}/ (missing; what the undo puts back goes in it)"]
        if e.now.kind == DIR:
            return [f"  set the mode of {e.shown}/ back to {e.to.mode:o} (now {e.now.mode:o})"]
        instead = " in place of the file there" if e.now.kind == FILE else ""
        return [f"  recreate folder {e.shown}/{mode}{instead}"]
    data = e.data or b""
    if e.now.kind == FILE:
        head = f"  restore {e.shown} ({len(data):,} B{mode})"
        if e.now.sha256 == e.to.sha256:
            return [f"  set the mode of {e.shown} back to {e.to.mode:o} (now {e.now.mode:o})"]
        return [head, *_diff(e.rel, e.now_data or b"", data, "now", "restored", budget)]
    instead = " in place of the folder there" if e.now.kind == DIR else ""
    head = f"  recreate {e.shown} ({len(data):,} B{mode}){instead}"
    return [head, *_diff(e.rel, b"", data, "not there now", "restored", budget)]


def _diff(rel: str, old: bytes, new: bytes, a: str, b: str, budget: list[int]) -> list[str]:
    """A unified diff, unindented so that a UI colors it; cut per file and per preview."""
    if budget[0] <= 0:
        budget[0] -= 1
        return []
    try:
        old_lines = old.decode("utf-8").splitlines(keepends=True)
        new_lines = new.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return [f"  (binary: {len(old):,} B → {len(new):,} B)"]
    flat: list[str] = []
    shown = name(rel)
    for line in difflib.unified_diff(old_lines, new_lines, f"{shown} ({a})", f"{shown} ({b})"):
        flat.append(line.rstrip("\n"))
        if not line.endswith("\n"):
            flat.append("\\ No newline at end of file")
    if len(flat) > MAX_DIFF_LINES:
        flat = flat[:MAX_DIFF_LINES] + [f"[… {len(flat) - MAX_DIFF_LINES} more diff lines]"]
    cut = flat[: max(budget[0], 0)]
    budget[0] -= len(flat)
    return cut


def name(rel: str) -> str:
    """A path as one line of a preview: control characters (newlines too) shown escaped."""
    return escape_text(rel).replace("\n", "\\n").replace("\t", "\\t")
