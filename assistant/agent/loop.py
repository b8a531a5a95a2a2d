"""The agent loop: ask the model, put each tool call through the gate, feed results back,
until the model answers without tools or a limit stops the turn."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from assistant import present
from assistant.agent import events as ev
from assistant.agent.conversation import Conversation
from assistant.agent.event_log import EventLog
from assistant.agent.gate import Gate
from assistant.agent.model import ModelError, ModelReply
from assistant.prompt import builtin_prompt
from tools.base import Tool


class ModelLike(Protocol):
    model: str

    def stream(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        *,
        on_wait: Callable[[ev.TurnWait], object] | None = None,
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
        conversation: Conversation | None = None,
    ) -> None:
        """``conversation``: the session's, fed every event of the log by its owner (then
        ``messages`` is ignored); without one the agent folds its own turns' events into a
        conversation that starts with ``messages``."""
        self.model = model
        self.gate = gate
        self.log = log
        self.limits = limits or TurnLimits()
        self.system_prompt = system_prompt or builtin_prompt(gate.ctx.workspace.root)
        self.conversation = conversation or Conversation(messages or [])
        self._own_conversation = conversation is None
        self._partial: list[str] = []
        """The text of the reply under way (told to the model if the person stops it)."""
        self.spent_usd = 0.0
        self.cost_unknown = False
        self.tokens = 0

    @property
    def messages(self) -> list[dict[str, Any]]:
        """What the next request sends: the system prompt, then the conversation as the
        session's events tell it (secret values marked, never raw)."""
        return [{"role": "system", "content": self.system_prompt}, *self.conversation.messages()]

    async def turn(
        self, prompt: str, *, ready: Callable[[], Awaitable[object]] | None = None
    ) -> TurnOutcome:
        """One turn for ``prompt``. ``ready`` is awaited once the prompt is recorded (and shown),
        before the model is asked: what its tools need (MCP servers still starting)."""
        listening = self._own_conversation and self.conversation.add not in self.log.listeners
        if listening:
            self.log.listeners.append(self.conversation.add)
        self._partial = []
        try:
            self.log.emit(ev.UserMessage(prompt))
            if ready is not None:
                await ready()
            return await self._turn()
        except asyncio.CancelledError:
            partial = "".join(self._partial)
            self.log.emit(ev.TurnError("stopped by the user", "cancelled", partial))
            self.log.emit(ev.TurnEnd("cancelled"))
            raise
        finally:
            if listening:
                self.log.listeners.remove(self.conversation.add)

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
            except ModelError as exc:  # a reply cut off keeps what it had shown (the journal too)
                self.log.emit(ev.TurnError(str(exc), exc.kind, "".join(self._partial)))
                self.log.emit(ev.TurnEnd("error"))
                return TurnOutcome("error", str(exc), exc)
            calls = [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in reply.tool_calls
            ]
            said = cast(ev.AssistantMessage, self.log.emit(ev.AssistantMessage(reply.text, calls)))
            self._partial = []
            if not said.tool_calls:
                self.log.emit(ev.TurnEnd("done"))
                return TurnOutcome("done", reply.text)
            stop: str | None = None
            # each outcome is recorded by the gate; the conversation reads it from the events
            for call in reply.tool_calls:
                if stop is not None:
                    continue  # not run: the conversation tells the model why (the turn's error)
                if calls_made >= self.limits.max_tool_calls:
                    stop = f"the limit of {self.limits.max_tool_calls} tool calls in one turn was reached"
                    continue
                calls_made += 1
                outcome = await self.gate.execute(call.name, call.arguments, call.id)
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
        messages, tools = self.messages, tool_schemas(self.gate.tools)
        async for item in self.model.stream(messages, tools, on_wait=self.log.emit):
            if isinstance(item, str):
                if item:
                    self._partial.append(item)
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

    def _stop(self, reason: str, message: str) -> TurnOutcome:
        self.log.emit(ev.TurnError(message, reason))
        self.log.emit(ev.TurnEnd(reason))
        return TurnOutcome(reason, message)


def _canonical(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except (ValueError, TypeError, RecursionError):  # hostile text: compare it as it came
        return arguments
