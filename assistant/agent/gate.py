"""The gate every tool call passes: validate → plan → policy → approver → journal → run.

The model's calls, `assistant tool` and the UI's slash commands all go through ``Gate.execute``,
so nothing that writes can run without the same preview, decision and record.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from assistant.agent import events as ev
from assistant.agent import faults
from assistant.agent.approval import ApprovalRequest, Approver, Decision
from assistant.agent.event_log import EventLog
from assistant.agent.policy import Grant, Policy, UnlockRule
from assistant.errors import AssistantError
from assistant.secrets import plan_checked
from tools.base import (
    Action,
    Result,
    RuleRefusal,
    Tool,
    ToolContext,
    ToolError,
    approval_unlocks,
    escape_text,
    validate_args,
)

CallStatus = Literal["done", "failed", "denied", "error"]
MAX_EDITS = 5


@dataclass(frozen=True)
class CallOutcome:
    """What became of one call; ``text`` is what the model reads as the tool result."""

    status: CallStatus
    text: str
    action_id: str | None = None
    result: Result | None = None
    by_rule: bool = False
    """An "error" because a deny rule covers what the call would touch (refused while planning):
    the command line says "denied" for it."""


class Gate:
    def __init__(
        self,
        tools: Mapping[str, Tool],
        ctx: ToolContext,
        policy: Policy,
        approver: Approver,
        log: EventLog,
    ) -> None:
        self.tools = tools
        self.ctx = ctx
        self.policy = policy
        self.approver = approver
        self.log = log
        ctx.denied = policy.target_denied
        ctx.unlocked = policy.unlocked

    async def execute(
        self, name: str, raw_args: str | Mapping[str, Any], call_id: str | None = None
    ) -> CallOutcome:
        """Put one call through; whatever the arguments, this returns an CallOutcome (it never
        raises but for cancellation), and the text holds no traceback or outside path."""
        try:
            return await self._execute(name, raw_args, call_id)
        except Exception as exc:  # a failing approver or journal: the turn goes on, recorded
            return self._fault(call_id, name, "decide", exc)

    def look_ahead(self, name: str, raw_args: str | Mapping[str, Any]) -> Action:
        """Plan a call without proposing, deciding or running it, through the same checks as
        :meth:`execute` (arguments, schema, the outbound secret check): what a person may read
        of a call that waits behind another of the same reply. Nothing is journaled, and the
        call is planned again (and shown again) when its turn comes. Blocking: run it in a
        thread. Raises ToolError in the words the model would read."""
        tool = self.tools.get(name)
        if tool is None:
            raise ToolError(f"unknown tool {faults.shorten(escape_text(str(name)), 100)!r}")
        try:
            args: Any = faults.parse_args(raw_args) if isinstance(raw_args, str) else raw_args
            faults.check_args(args)
            args = validate_args(tool.parameters, args)
            return plan_checked(tool, args, self.ctx)
        except ToolError as exc:
            raise ToolError(self._scrub(str(exc))) from None
        except Exception as exc:  # a tool's bug: said, never raised into the app
            raise ToolError(f"{name} could not plan it ({type(exc).__name__})") from None

    async def _execute(
        self, name: str, raw_args: str | Mapping[str, Any], call_id: str | None
    ) -> CallOutcome:
        tool = self.tools.get(name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            shown = faults.shorten(escape_text(str(name)), 100)
            return self._error(call_id, shown, f"unknown tool {shown!r}; the tools are: {known}")
        try:
            args: Any = faults.parse_args(raw_args) if isinstance(raw_args, str) else raw_args
        except faults.ArgumentError as exc:
            return self._error(call_id, name, f"{exc}; nothing was run")
        edits = 0
        edited_from: dict[str, Any] | None = None
        while True:
            try:
                faults.check_args(args)
                args = validate_args(tool.parameters, args)
                # outbound secret check: a raw value in the call or its preview is refused here
                action = await asyncio.to_thread(plan_checked, tool, args, self.ctx)
            except ToolError as exc:
                by_rule = isinstance(exc, RuleRefusal)
                return self._error(call_id, name, self._scrub(str(exc)), by_rule=by_rule)
            except Exception as exc:
                return self._fault(call_id, name, "plan", exc)
            action_id = uuid.uuid4().hex[:12]
            proposed = _proposed(tool, action, action_id, call_id)
            self.log.emit(proposed)
            request = ApprovalRequest(action_id, action, edited_from, proposed.unlocks)
            decision = await self._decide(request)
            if (
                decision.verdict == "edit"
                and decision.edited_args is not None
                and edits < MAX_EDITS
            ):
                edits += 1
                edited_from = dict(action.args)
                args = decision.edited_args
                continue  # re-planned and previewed again before anything can run
            break
        if decision.verdict != "approve":
            reason = decision.reason or "no reason given"
            who = "the user" if decision.by == "human" else decision.by
            return CallOutcome(
                "denied",
                ev.escape_surrogates(f"Denied by {who}: {reason}. The action was not run."),
                action_id,
            )
        return await self._run(tool, action, action_id, decision.by)

    async def _decide(self, request: ApprovalRequest) -> Decision:
        action, action_id = request.action, request.action_id
        ruling = self.policy.decide(action)
        if ruling.kind == "ask":
            try:
                decision = await self.approver.decide(request)
            except asyncio.CancelledError:  # Ctrl+C or a stopped turn while it waited: not run
                self.log.emit(
                    ev.ActionDecided(
                        action_id, "deny", "human", "interrupted before a decision; not run"
                    )
                )
                raise
        else:
            verb = "approve" if ruling.kind == "allow" else "deny"
            decision = Decision(verb, by=ruling.by, reason=ruling.reason)  # type: ignore[arg-type]
        grant = None
        by_person = decision.verdict == "approve" and decision.by == "human"
        offered = action.scope is not None and not action.needs_person
        if by_person and offered and (decision.remember or decision.save):
            g = self._grant(action, decision.save)
            grant = g.id
            self.log.emit(ev.GrantAdded(g.id, g.tool, g.key, g.label, lasting=g.lasting))
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

    def _grant(self, action: Action, save: bool) -> Grant:
        """The rule a person's "allow" made: saved for the workspace when asked and possible,
        else for this session (a rules file that cannot be written is said, never fatal)."""
        if save and self.policy.book is not None:
            try:
                return self.policy.save_rule(action)
            except AssistantError as exc:
                self.log.emit(
                    ev.TurnError(
                        f"the rule was not saved ({exc}); allowed for this session only", "rules"
                    )
                )
        return self.policy.add_grant(action)

    async def _run(self, tool: Tool, action: Action, action_id: str, by: str) -> CallOutcome:
        # Durable before the tool starts: a crash from here on reads "outcome unknown".
        self.log.emit(ev.ActionApproved(action_id, by))
        self._unlock(tool, action, by)
        started = time.monotonic()
        try:
            result = await asyncio.to_thread(tool.run, action, self.ctx)
        except ToolError as exc:
            message = self._scrub(str(exc))
            result = Result(ok=False, output=f"error: {message}", display=message)
        except Exception as exc:  # a tool bug must not end the session or lose the record
            self._record_fault(tool.name, "run", exc, None, action_id)
            message = faults.describe(exc, self._roots())
            result = Result(ok=False, output=f"internal error in {tool.name}: {message}")
        if not result.ok:  # the tool's own words and data: only the workspace's location goes
            result = replace(
                result,
                output=faults.relative_to_roots(result.output, self._roots()),
                display=faults.relative_to_roots(result.display, self._roots()),
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
        text = ev.escape_surrogates(emitted.output)
        return CallOutcome("done" if result.ok else "failed", text, action_id, result)

    def _unlock(self, tool: Tool, action: Action, by: str) -> None:
        """Record what the tool says this approval unlocks (an HTTP request: its host, for later
        reads): journaled, listed by /grants, revocable. The tool reads it back through
        ``ctx.unlocked``; nothing here knows what a target means."""
        for unlock in approval_unlocks(tool, action, by):
            rule = self.policy.unlock(unlock, by)
            if rule is not None:
                self.log.emit(
                    ev.HostUnlocked(rule.id, unlock.subject, unlock.needs_person, unlock.label, by)
                )

    def revoke(self, rule_id: str) -> Grant | UnlockRule:
        """Take back a session rule or an unlock: the next such call asks again.
        KeyError (with the message to show) when there is none by that id."""
        rule = self.policy.revoke(rule_id)
        self.log.emit(ev.GrantRevoked(rule.id))
        return rule

    def _error(
        self, call_id: str | None, tool: str, message: str, *, by_rule: bool = False
    ) -> CallOutcome:
        emitted = self.log.emit(ev.ActionError(call_id, tool, message))
        assert isinstance(emitted, ev.ActionError)
        text = ev.escape_surrogates(f"error: {emitted.message}")
        return CallOutcome("error", text, by_rule=by_rule)

    def _fault(self, call_id: str | None, tool: str, phase: str, exc: Exception) -> CallOutcome:
        """An unexpected exception: the model reads one clean line, the journal keeps the rest."""
        message = faults.describe(exc, self._roots())
        what = {"plan": "could not plan this call", "decide": "could not complete this call"}
        text = f"{tool} {what.get(phase, 'failed')}: {message}; nothing was run"
        if phase == "decide":
            text = f"{tool} {what[phase]}: {message}"
        try:
            self._record_fault(tool, phase, exc, call_id, None)
            return self._error(call_id, tool, text)
        except Exception:  # the journal itself failed: still an answer, never a crash
            return CallOutcome("error", f"error: {ev.escape_surrogates(text)}")

    def _record_fault(
        self, tool: str, phase: str, exc: Exception, call_id: str | None, action_id: str | None
    ) -> None:
        self.log.emit(
            ev.ToolFault(
                tool=faults.shorten(str(tool), 100),
                phase=phase,
                error=type(exc).__name__,
                message=faults.shorten(_text(exc), 20_000),
                frames=faults.frames(exc),
                call_id=call_id,
                action_id=action_id,
            )
        )

    def _roots(self) -> list[str]:
        return [str(self.ctx.workspace.root)]

    def _scrub(self, text: str) -> str:
        return faults.shorten(faults.scrub(text, self._roots())) if text else text


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # an exception whose __str__ fails: still record its type
        return repr(type(exc))


def unlock_notice(tool: Tool, action: Action) -> str | None:
    """What a person's approval of an action that needs one also unlocks, in the words every
    front end shows beside the preview (None when approving unlocks nothing of the kind)."""
    if not action.needs_person:
        return None
    words = "; ".join(u.label for u in approval_unlocks(tool, action, "human") if u.needs_person)
    return (
        f"Approving also unlocks it: {words} (listed by /grants, revocable there)"
        if words
        else None
    )


def _proposed(tool: Tool, action: Action, action_id: str, call_id: str | None) -> ev.ActionProposed:
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
        unlocks=unlock_notice(tool, action),
    )
