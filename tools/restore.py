"""restore: put files back to stored before-images. The engine of `assistant undo`; itself a
previewed, journaled write (so an undo can be undone), never offered to the model."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    StaleActionError,
    ToolContext,
    ToolError,
    escape_text,
    file_sha256,
    fingerprint,
)

MAX_DIFF_LINES = 200


class RestoreTool:
    name = "restore"
    description = "Restore workspace files to before-images kept in the journal (used by undo)."
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "source": {"type": "string", "description": "the action being undone"},
            "files": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string"},
                        "blob": {
                            "type": ["string", "null"],
                            "description": "before-image hash; null: remove",
                        },
                    },
                    "required": ["path", "blob"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["source", "files"],
        "additionalProperties": False,
    }

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        if ctx.read_blob is None:
            raise ToolError(
                "restore needs the journal's stored before-images, which are not available here"
            )
        state: dict[str, str | None] = {}
        sections = []
        removed = restored = 0
        for entry in args["files"]:
            path = ctx.workspace.resolve(entry["path"])
            rel = ctx.workspace.relative(path)
            if path.is_dir() and not entry["path"].endswith("/"):
                raise ToolError(f"{rel} is now a folder; restore it by hand")
            state[rel] = "dir" if path.is_dir() else file_sha256(path)
            current = path.read_bytes() if path.is_file() else None
            target = ctx.read_blob(entry["blob"]) if entry["blob"] else None
            if target is None:
                removed += 1
                sections.append(
                    f"remove {rel}"
                    + ("" if current is not None or path.is_dir() else " (already gone)")
                )
            else:
                restored += 1
                sections.append(_diff(rel, current, target))
        summary = f"undo {args['source']}: restore {restored} file(s), remove {removed}"
        text = "\n".join(sections) + "\n(this undo is itself recorded and can be undone)"
        return Action(
            tool=self.name,
            args=dict(args),
            effect=Effect.WRITE,
            summary=summary,
            preview=Preview("diff", escape_text(text), {"files": list(state)}),
            targets=tuple(f"path:{p}" for p in state),
            fingerprint=fingerprint(args, state),
            state={"files": state},
        )

    def run(self, action: Action, ctx: ToolContext) -> Result:
        assert ctx.read_blob is not None
        before: dict[str, bytes | None] = {}
        planned = action.state["files"]
        for entry in action.args["files"]:
            path = ctx.workspace.resolve(entry["path"])
            rel = ctx.workspace.relative(path)
            now = "dir" if path.is_dir() else file_sha256(path)
            if now != planned[rel]:
                raise StaleActionError(
                    f"{rel} changed since the preview; nothing more was restored"
                )
        for entry in action.args["files"]:
            path = ctx.workspace.resolve(entry["path"])
            rel = ctx.workspace.relative(path)
            if path.is_dir():
                if not entry["blob"]:
                    try:
                        path.rmdir()
                    except OSError:
                        raise ToolError(f"{rel}/ is not empty; it was left in place") from None
                continue
            before[rel] = path.read_bytes() if path.exists() else None
            if entry["blob"]:
                path.parent.mkdir(parents=True, exist_ok=True)
                ctx.workspace.atomic_write(path, ctx.read_blob(entry["blob"]))
            elif path.exists():
                os.unlink(path)
        return Result(
            True,
            f"restored {len(action.args['files'])} path(s)",
            display=action.summary,
            before_images=before,
        )


def _diff(rel: str, current: bytes | None, target: bytes) -> str:
    if current == target:
        return f"{rel}: already as it was"
    try:
        old = (current or b"").decode("utf-8").splitlines(keepends=True)
        new = target.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"{rel}: binary, {len(current or b'')} → {len(target)} bytes"
    lines = list(difflib.unified_diff(old, new, f"{rel} (now)", f"{rel} (restored)"))
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"… {len(lines) - MAX_DIFF_LINES} more diff lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")
