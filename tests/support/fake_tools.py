"""Two tiny tools for testing the gate and the loop apart from the real tools: one reads, one writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    Scope,
    ToolContext,
    ToolError,
    file_sha256,
    fingerprint,
)


class NoteTool:
    """Writes text to a workspace file; counts its runs so tests can prove what ran."""

    name = "note"
    description = "Write text to a file in the workspace."
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {"path": {"type": "string"}, "text": {"type": "string"}},
        "required": ["path", "text"],
        "additionalProperties": False,
    }

    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        path = ctx.workspace.resolve(args["path"])
        rel = ctx.workspace.relative(path)
        state = file_sha256(path)
        return Action(
            tool=self.name,
            args=dict(args),
            effect=Effect.WRITE,
            summary=f"write {len(args['text'])} characters to {rel}",
            preview=Preview("diff", f"+++ {rel}\n+{args['text']}"),
            targets=(f"path:{rel}",),
            fingerprint=fingerprint(args, state),
            scope=Scope(f"note:path:{rel}", f"note writes to {rel}"),
            state={"sha": state},
        )

    def run(self, action: Action, ctx: ToolContext) -> Result:
        path = ctx.workspace.resolve(action.args["path"])
        if file_sha256(path) != action.state["sha"]:
            raise ToolError("the file changed since the preview")
        before = path.read_bytes() if path.exists() else None
        self.runs.append(dict(action.args))
        if action.args["text"] == "FAIL":
            raise ToolError("asked to fail")
        ctx.workspace.atomic_write(path, action.args["text"].encode())
        return Result(
            True,
            f"wrote {ctx.workspace.relative(path)}",
            before_images={ctx.workspace.relative(path): before},
        )


class PeekTool:
    """Reads a workspace file."""

    name = "peek"
    description = "Read a file in the workspace."
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {"path": {"type": "string"}},
        "required": ["path"],
        "additionalProperties": False,
    }

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        rel = ctx.workspace.relative(ctx.workspace.resolve(args["path"]))
        return Action(
            self.name,
            dict(args),
            Effect.READ,
            f"read {rel}",
            Preview("text", rel),
            (f"path:{rel}",),
        )

    def run(self, action: Action, ctx: ToolContext) -> Result:
        path = ctx.workspace.resolve(action.args["path"], must_exist=True)
        return Result(True, path.read_text())
