"""A streamed reply put back together: text deltas, tool calls by index, finish reason, usage."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call; ``arguments`` is the raw JSON text, unparsed and unrepaired."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Usage:
    """Tokens of one call; ``cost_usd`` None means litellm has no price (unknown, not free)."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None


@dataclass(frozen=True)
class ModelReply:
    """The end of a streamed reply: all text, the tool calls, usage and why the model stopped."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage | None
    finish_reason: str | None


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class Reassembly:
    """What has arrived so far of one streamed reply (litellm chunks, read defensively)."""

    text: list[str] = field(default_factory=list)
    calls: list[_PartialCall] = field(default_factory=list)
    by_index: dict[int, _PartialCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: Any = None

    def absorb(self, chunk: Any) -> str:
        """Fold one chunk in; return its text delta ("" when none)."""
        choices = getattr(chunk, "choices", None) or []
        if not choices:
            self._take_usage(chunk)
            return ""
        choice = choices[0]
        delta = getattr(choice, "delta", None)
        calls = getattr(delta, "tool_calls", None) or []
        for item in calls:
            self._add_call_piece(item)
        finish = getattr(choice, "finish_reason", None)
        if isinstance(finish, str) and finish:
            self.finish_reason = finish
        content = getattr(delta, "content", None)
        if isinstance(content, str) and content:
            self.text.append(content)
            if not finish:
                return content  # a text chunk: usage comes at the end (thousands per reply)
        if finish or not calls:
            self._take_usage(chunk)  # a provider may put it on the last choice, or on its own
        return content if isinstance(content, str) else ""

    def _take_usage(self, chunk: Any) -> None:
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage

    def _add_call_piece(self, item: Any) -> None:
        """Calls are keyed by index: id and name come in a call's first piece, arguments in many."""
        index = getattr(item, "index", None)
        index = index if isinstance(index, int) and not isinstance(index, bool) else None
        call_id = _text(getattr(item, "id", None))
        function = getattr(item, "function", None)
        name = _text(getattr(function, "name", None))
        arguments = getattr(function, "arguments", None)
        part = self.by_index.get(index) if index is not None else None
        if part is not None and call_id and part.id and call_id != part.id:
            part = None  # a provider that reuses index 0 for each new call
        if part is None and index is None and self.calls:
            last = self.calls[-1]
            part = last if not call_id or call_id == last.id else None
        if part is None:
            part = _PartialCall()
            self.calls.append(part)
            if index is not None:
                self.by_index[index] = part
        if call_id and not part.id:
            part.id = call_id
        if name and not part.name:  # some providers repeat the name: never concatenate it
            part.name = name
        if isinstance(arguments, str):
            part.arguments.append(arguments)
        elif isinstance(arguments, dict):  # some providers send parsed arguments: serialise only
            part.arguments.append(json.dumps(arguments))

    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The complete calls; one without an id (some local servers) gets a made-up one, since
        the tool result must name the call it answers."""
        for part in self.calls:
            part.id = part.id or f"call_{uuid.uuid4().hex[:24]}"
        return tuple(ToolCall(p.id, p.name, "".join(p.arguments)) for p in self.calls)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
