"""The gate every tool call passes: validate → plan → policy → approver → journal → run.

The model's calls, `assistant tool` and the UI's slash commands all go through ``Gate.execute``,
so nothing that writes can run without the same preview, decision and record.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from assistant.agent import events as ev
from assistant.agent.approval import Approver, Decision
from assistant.agent.policy import Policy
from assistant.agent.session import SessionLog
from tools.base import Action, Result, Tool, ToolContext, ToolError, validate_args

Status = Literal["done", "failed", "denied", "error"]
MAX_EDITS = 5


@dataclass(frozen=True)
class Outcome:
    """What became of one call; ``text`` is what the model reads as the tool result."""

    status: Status
    text: str
    action_id: str | None = None
    result: Result | None = None


class Gate:
    def __init__(
        self,
        tools: Mapping[str, Tool],
        ctx: ToolContext,
        policy: Policy,
        approver: Approver,
        log: SessionLog,
    ) -> None:
        self.tools = tools
        self.ctx = ctx
        self.policy = policy
        self.approver = approver
        self.log = log
        ctx.denied = policy.target_denied

    async def execute(
        self, name: str, raw_args: str | Mapping[str, Any], call_id: str | None = None
    ) -> Outcome:
        tool = self.tools.get(name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            return self._error(call_id, name, f"unknown tool {name!r}; the tools are: {known}")
        try:
            args = json.loads(raw_args) if isinstance(raw_args, str) else dict(raw_args)
        except json.JSONDecodeError as exc:
            return self._error(
                call_id,
                name,
                f"arguments are not valid JSON ({exc.msg} at position {exc.pos}); nothing was run",
            )
        edits = 0
        while True:
            try:
                args = validate_args(tool.parameters, args)
                action = await asyncio.to_thread(tool.plan, args, self.ctx)
            except ToolError as exc:
                return self._error(call_id, name, str(exc))
            action_id = uuid.uuid4().hex[:12]
            self.log.emit(_proposed(action, action_id, call_id))
            decision = await self._decide(action, action_id)
            if (
                decision.verdict == "edit"
                and decision.edited_args is not None
                and edits < MAX_EDITS
            ):
                edits += 1
                args = decision.edited_args
                continue  # re-planned and previewed again before anything can run
            break
        if decision.verdict != "approve":
            reason = decision.reason or "no reason given"
            who = "the user" if decision.by == "human" else decision.by
            return Outcome(
                "denied", f"Denied by {who}: {reason}. The action was not run.", action_id
            )
        return await self._run(tool, action, action_id, decision.by)

    async def _decide(self, action: Action, action_id: str) -> Decision:
        verdict = self.policy.decide(action)
        if verdict.outcome == "ask":
            decision = await self.approver.decide(action)
        else:
            verb = "approve" if verdict.outcome == "allow" else "deny"
            decision = Decision(verb, by=verdict.by, reason=verdict.reason)  # type: ignore[arg-type]
        grant = None
        remember = decision.verdict == "approve" and decision.remember and decision.by == "human"
        if remember and action.scope is not None and not action.needs_person:
            g = self.policy.add_grant(action)
            grant = g.id
            self.log.emit(ev.GrantAdded(g.id, g.tool, g.key, g.label))
        self.log.emit(
            ev.ActionDecided(
                action_id,
                decision.verdict,
                decision.by,
                decision.reason,
                decision.edited_args,
                grant,
            )
        )
        return decision

    async def _run(self, tool: Tool, action: Action, action_id: str, by: str) -> Outcome:
        # Durable before the tool starts: a crash from here on reads "outcome unknown".
        self.log.emit(ev.ActionApproved(action_id, by))
        hosts = {t.removeprefix("host:") for t in action.targets if t.startswith("host:")}
        self.ctx.allowed_hosts |= hosts
        if action.needs_person and by == "human":
            self.ctx.approved_private |= hosts
        started = time.monotonic()
        try:
            result = await asyncio.to_thread(tool.run, action, self.ctx)
        except ToolError as exc:
            result = Result(ok=False, output=f"error: {exc}", display=str(exc))
        except Exception as exc:  # a tool bug must not end the session or lose the record
            result = Result(
                ok=False, output=f"internal error in {tool.name}: {type(exc).__name__}: {exc}"
            )
        elapsed = time.monotonic() - started
        blobs = {}
        for path, data in result.before_images.items():
            blobs[path] = self.log.put_blob(data) if data is not None else None
        for data in result.after_images.values():  # named by sha256 in data["undo"]
            self.log.put_blob(data)
        emitted = self.log.emit(
            ev.ActionResult(
                action_id,
                result.ok,
                result.output,
                result.display,
                round(elapsed, 3),
                dict(result.data),
                blobs,
            )
        )
        assert isinstance(emitted, ev.ActionResult)
        return Outcome("done" if result.ok else "failed", emitted.output, action_id, result)

    def _error(self, call_id: str | None, tool: str, message: str) -> Outcome:
        self.log.emit(ev.ActionError(call_id, tool, message))
        return Outcome("error", f"error: {message}")


def _proposed(action: Action, action_id: str, call_id: str | None) -> ev.ActionProposed:
    return ev.ActionProposed(
        action_id=action_id,
        call_id=call_id,
        tool=action.tool,
        args=dict(action.args),
        effect=action.effect.value,
        summary=action.summary,
        preview=action.preview.to_json(),
        targets=list(action.targets),
        fingerprint=action.fingerprint,
        scope=action.scope.label if action.scope else None,
        needs_person=action.needs_person,
    )
