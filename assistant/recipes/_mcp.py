"""MCP calls in recipes: a real run starts the servers its steps need and re-runs each call
through the same gate; ``recipe test`` answers each call from its recording (no server, no
config, no secret), planned by the real MCP tool so the preview and the approval are the same.

A call must match its recording: same tool and the same arguments. A recipe that no longer
sends what the session sent fails its test.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.recipes._spec import Recipe
from tools.base import Action, Result, ToolContext, ToolError, escape_text

if TYPE_CHECKING:
    from assistant.agent.action_life import Life

FOLDER = "mcp"


@dataclass(frozen=True)
class McpRecording:
    """One MCP call a session made and what came back (as the journal kept it: redacted)."""

    tool: str
    server: str
    remote: str
    args: dict[str, Any]
    declared: dict[str, Any]
    read_only: bool
    ok: bool
    output: str
    display: str
    data: dict[str, Any]
    step: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "call": {
                "tool": self.tool,
                "server": self.server,
                "remote": self.remote,
                "arguments": self.args,
                "declared": self.declared,
                "read_only_in_config": self.read_only,
            },
            "result": {
                "ok": self.ok,
                "display": self.display,
                "output": self.output,
                "data": self.data,
            },
        }

    @classmethod
    def from_json(cls, raw: Any, where: str) -> McpRecording:
        try:
            call, result = raw["call"], raw["result"]
            values = (
                call["tool"],
                call["server"],
                call["remote"],
                call["arguments"],
                call.get("declared", {}),
                call.get("read_only_in_config", False),
                result["ok"],
                result.get("output", ""),
                result.get("display", ""),
                result.get("data", {}),
            )
        except (KeyError, TypeError):
            raise ToolError(f"{where}: not a recorded MCP call") from None
        types = (str, str, str, dict, dict, bool, bool, str, str, dict)
        if not all(isinstance(v, t) for v, t in zip(values, types, strict=True)):
            raise ToolError(f"{where}: a field of the recorded MCP call has the wrong type")
        step = raw.get("step", 0)
        return cls(*values, step=step if isinstance(step, int) else 0)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


def recording_of(life: Life, number: int) -> McpRecording | None:
    """The recording of a step's MCP call (None: the step is not an MCP call)."""
    p = life.proposed
    data = p.preview.get("data")
    if p.preview.get("kind") != "mcp" or not isinstance(data, dict) or life.result is None:
        return None
    r = life.result
    return McpRecording(
        p.tool,
        str(data.get("server", "")),
        str(data.get("tool", "")),
        dict(p.args),
        dict(data.get("declared") or {}),
        data.get("read_only_in_config") is True,
        r.ok,
        r.output,
        r.display,
        dict(r.data),
        number,
    )


def _key(args: Mapping[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)


class _Recorded:
    """Answers calls of one tool from its recordings, first come first served per arguments."""

    def __init__(self, recordings: Sequence[McpRecording]) -> None:
        self.queue: dict[str, list[McpRecording]] = {}
        for rec in recordings:
            self.queue.setdefault(_key(rec.args), []).append(rec)

    def take(self, tool: str, args: Mapping[str, Any]) -> McpRecording:
        queue = self.queue.get(_key(args))
        if not queue:
            raise ToolError(
                f"no recorded answer for {escape_text(tool)} with these arguments: a test calls "
                "no server, so every MCP call must match one the session made"
            )
        return queue.pop(0)

    def call(
        self, tool: str, arguments: Mapping[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        raise ToolError("a recorded MCP tool is answered by ReplayMcp.run")  # never reached


class ReplayMcp:
    """An MCP tool rebuilt from its recordings: the real ``McpTool`` plans (same preview, same
    effect from the recorded config mark), and the recorded result comes back."""

    def __init__(self, recordings: Sequence[McpRecording]) -> None:
        from tools.mcp import McpTool

        first = recordings[0]
        remote = {
            "name": first.remote,
            "description": "recorded MCP tool",
            "inputSchema": {"type": "object"},
            "annotations": first.declared,
        }
        self._answers = _Recorded(recordings)
        self._tool = McpTool(first.server, remote, self._answers, read_only=first.read_only)
        self.name = first.tool
        self.description = self._tool.description
        self.parameters = self._tool.parameters

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        return dataclasses.replace(self._tool.plan(args, ctx), tool=self.name)

    def run(self, action: Action, ctx: ToolContext) -> Result:
        rec = self._answers.take(self.name, action.args)
        return Result(rec.ok, rec.output, rec.display, dict(rec.data))


def replay_tools(recordings: Iterable[McpRecording]) -> dict[str, ReplayMcp]:
    by_tool: dict[str, list[McpRecording]] = {}
    for rec in recordings:
        by_tool.setdefault(rec.tool, []).append(rec)
    return {name: ReplayMcp(recs) for name, recs in by_tool.items()}


def needed_servers(recipe: Recipe, known: Iterable[str]) -> list[str]:
    """The MCP servers whose tools the recipe's steps call and ``known`` lacks."""
    from assistant.mcp.servers import server_of

    have = set(known)
    out: list[str] = []
    for step in recipe.steps:
        names = [step.tool] if step.kind == "tool" else [*step.tools, *(c.tool for c in step.calls)]
        for name in names:
            server = server_of(name)
            if name not in have and server is not None and server not in out:
                out.append(server)
    return out
