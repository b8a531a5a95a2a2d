"""What a person sees before approving a shell write: every path touched, with diffs for file changes."""

from __future__ import annotations

import difflib
import hashlib
from typing import Any

from tools.base import Preview, escape_text
from tools.shell_lite.vfs import DIR, FILE, Change
from tools.words import plural, size

DIFF_MAX_BYTES = 512 * 1024
"""Files larger than this (either side) are shown by size and hash, not diffed."""
DIFF_MAX_LINES = 400
"""Diff lines shown per file; the rest is counted."""


def sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def file_diff(ch: Change) -> tuple[str | None, str]:
    """(unified diff or None, a note) for a file whose bytes change."""
    before, after = ch.before or b"", ch.after or b""
    if len(before) > DIFF_MAX_BYTES or len(after) > DIFF_MAX_BYTES:
        return None, f"too large to diff: {size(len(before))} -> {size(len(after))}"
    old, new = _text(before), _text(after)
    if old is None or new is None:
        return None, f"binary: {size(len(before))} -> {size(len(after))}, sha256 {sha(after)}"
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile="/dev/null" if ch.before_kind != FILE else f"a/{ch.rel}",
        tofile=f"b/{ch.rel}",
    )
    out: list[str] = []
    shown = 0
    hidden = 0
    for line in lines:
        if shown >= DIFF_MAX_LINES:
            hidden += 1
            continue
        shown += 1
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    if hidden:
        out.append(f"[diff cut: {plural(hidden, 'more line')}]\n")
    return "".join(out), ""


def change_line(ch: Change) -> str:
    verb = ch.verb
    if ch.after_kind == DIR or ch.before_kind == DIR and verb == "rmdir":
        return f"  {verb:<7} {ch.rel}/"
    if verb == "create":
        return f"  {verb:<7} {ch.rel} ({size(len(ch.after or b''))})"
    if verb == "delete":
        return f"  {verb:<7} {ch.rel} ({size(len(ch.before or b''))})"
    if verb == "touch":
        return f"  {verb:<7} {ch.rel} (time stamp only)"
    return f"  {verb:<7} {ch.rel} ({size(len(ch.before or b''))} -> {size(len(ch.after or b''))})"


def build(
    command: str,
    stages: list[list[str]],
    redirect: dict[str, Any] | None,
    changes: list[Change],
    messages: list[str],
) -> Preview:
    """The shell preview: the command as parsed, the list of changes, then the diffs."""
    text = [f"$ {command}"]
    if len(stages) > 1 or stages[0][1:]:
        text.append("parsed: " + " | ".join(" ".join(repr(a) for a in argv) for argv in stages))
    if redirect:
        text.append(
            f"output {'appended to' if redirect['append'] else 'written to'} {redirect['path']}"
        )
    data_changes = []
    diffs = []
    text.append(f"changes ({plural(len(changes), 'path')}):" if changes else "no file would change")
    for ch in changes:
        text.append(change_line(ch))
        diff, note = None, ""
        if ch.after_kind == FILE and ch.verb != "touch":
            diff, note = file_diff(ch)
            diffs.append(diff if diff is not None else f"{ch.rel}: {note}\n")
        data_changes.append(
            {
                "path": ch.rel,
                "action": ch.verb,
                "before": ch.before_kind,
                "after": ch.after_kind,
                "size_before": None if ch.before is None else len(ch.before),
                "size_after": None if ch.after is None else len(ch.after),
                "diff": diff,
                "note": note,
            }
        )
    if diffs:
        text.append("")
        text.append("".join(diffs).rstrip("\n"))
    if messages:
        text.append("")
        text.append("messages:")
        text.extend(f"  {m}" for m in messages)
    data = {
        "command": command,
        "stages": stages,
        "redirect": redirect,
        "changes": data_changes,
        "messages": messages,
    }
    return Preview(kind="shell", text=escape_text("\n".join(text)), data=data)
