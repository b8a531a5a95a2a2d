"""The agent loop: ask the model, put each tool call through the gate, feed results back,
until the model answers without tools or a limit stops the turn."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from assistant import present
from assistant.agent import events as ev
from assistant.agent.event_log import EventLog
from assistant.agent.gate import Gate
from assistant.agent.model import ModelError, ModelReply
from assistant.prompt import builtin_prompt
from tools.base import Tool


class ModelLike(Protocol):
    model: str

    def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AsyncIterator[str | ModelReply]: ...


@dataclass(frozen=True)
class TurnLimits:
    max_tool_calls: int = 25
    max_identical_failures: int = 3
    budget_usd: float | None = None


@dataclass(frozen=True)
class TurnOutcome:
    """``reason``: done, error, limit, budget or cancelled; ``text`` is the last answer."""

    reason: str
    text: str = ""
    error: ModelError | None = None


def tool_schemas(tools: Mapping[str, Tool]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": dict(t.parameters),
            },
        }
        for t in tools.values()
    ]


class Agent:
    def __init__(
        self,
        model: ModelLike,
        gate: Gate,
        log: EventLog,
        *,
        limits: TurnLimits | None = None,
        messages: list[dict[str, Any]] | None = None,
        system_prompt: str | None = None,
    ) -> None:
        self.model = model
        self.gate = gate
        self.log = log
        self.limits = limits or TurnLimits()
        prompt = system_prompt or builtin_prompt(gate.ctx.workspace.root)
        self.messages: list[dict[str, Any]] = [{"role": "system", "content": prompt}]
        self.messages += messages or []
        self.spent_usd = 0.0
        self.cost_unknown = False
        self.tokens = 0

    async def turn(self, prompt: str) -> TurnOutcome:
        said = self.log.emit(ev.UserMessage(prompt))
        # the model is sent what the journal keeps: secret values marked, never raw
        self.messages.append({"role": "user", "content": cast(ev.UserMessage, said).text})
        try:
            return await self._turn()
        except asyncio.CancelledError:
            self.log.emit(ev.TurnError("stopped by the user", "cancelled"))
            self.log.emit(ev.TurnEnd("cancelled"))
            raise

    async def _turn(self) -> TurnOutcome:
        calls_made = 0
        failures: Counter[tuple[str, str]] = Counter()
        while True:
            budget = self.limits.budget_usd
            if budget is not None and self.spent_usd >= budget:
                return self._stop(
                    "budget",
                    f"session budget of {present.cost(budget)} reached"
                    f" (spent {present.cost(self.spent_usd)})",
                )
            try:
                reply = await self._ask_model()
            except ModelError as exc:
                self.log.emit(ev.TurnError(str(exc), exc.kind))
                self.log.emit(ev.TurnEnd("error"))
                return TurnOutcome("error", str(exc), exc)
            calls = [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in reply.tool_calls
            ]
            said = cast(ev.AssistantMessage, self.log.emit(ev.AssistantMessage(reply.text, calls)))
            calls = said.tool_calls  # as recorded: a raw secret value the model wrote is marked
            message: dict[str, Any] = {"role": "assistant", "content": said.text or None}
            if calls:
                message["tool_calls"] = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": c["arguments"]},
                    }
                    for c in calls
                ]
            self.messages.append(message)
            if not calls:
                self.log.emit(ev.TurnEnd("done"))
                return TurnOutcome("done", reply.text)
            stop: str | None = None
            for call in reply.tool_calls:
                if stop is not None:
                    self._tool_message(call.id, f"not run: {stop}")
                    continue
                if calls_made >= self.limits.max_tool_calls:
                    stop = f"the limit of {self.limits.max_tool_calls} tool calls in one turn was reached"
                    self._tool_message(call.id, f"not run: {stop}")
                    continue
                calls_made += 1
                outcome = await self.gate.execute(call.name, call.arguments, call.id)
                self._tool_message(call.id, outcome.text)
                if outcome.status in ("failed", "error"):
                    key = (call.name, _canonical(call.arguments))
                    failures[key] += 1
                    if failures[key] >= self.limits.max_identical_failures:
                        times = present.plural(failures[key], "time")
                        stop = f"the same {call.name} call failed {times}"
            if stop is not None:
                return self._stop("limit", f"turn stopped: {stop}")

    async def _ask_model(self) -> ModelReply:
        reply: ModelReply | None = None
        # the tools as they are now: an MCP server's come and go as it starts and fails
        async for item in self.model.stream(self.messages, tool_schemas(self.gate.tools)):
            if isinstance(item, str):
                if item:
                    self.log.emit(ev.AssistantDelta(item))
            else:
                reply = item
        if reply is None:  # the adapter promises a reply; guard anyway so no call runs unseen
            raise ModelError(
                "the model's stream ended without a reply", kind="stream_cut", provider=""
            )
        usage = reply.usage
        if usage is not None:
            self.tokens += usage.prompt_tokens + usage.completion_tokens
            if usage.cost_usd is None:
                self.cost_unknown = True
            else:
                self.spent_usd += usage.cost_usd
            self.log.emit(
                ev.TurnUsage(
                    self.model.model, usage.prompt_tokens, usage.completion_tokens, usage.cost_usd
                )
            )
        return reply

    def _tool_message(self, call_id: str, text: str) -> None:
        content = self.log.redact(text)  # every tool outcome, errors and denials included
        self.messages.append({"role": "tool", "tool_call_id": call_id, "content": content})

    def _stop(self, reason: str, message: str) -> TurnOutcome:
        self.log.emit(ev.TurnError(message, reason))
        self.log.emit(ev.TurnEnd(reason))
        return TurnOutcome(reason, message)


def _canonical(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except (ValueError, TypeError, RecursionError):  # hostile text: compare it as it came
        return arguments
