"""What each event kind adds to its session's summary row, target index and search text.

The journal stores kinds and JSON payloads without importing the agent; the shapes read here are
those of assistant/agent/events.py, read defensively since a payload may hold anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

TITLE_CHARS = 80
SEARCH_FIELD_CHARS = 20_000
"""Text indexed per field: enough to find an output by its opening, bounded for huge outputs."""
MAX_TARGETS = 100
TARGET_CHARS = 500


@dataclass
class Summary:
    """The increments one event makes to its session row."""

    n_actions: int = 0
    n_writes: int = 0
    n_denied: int = 0
    n_errors: int = 0
    cost: float | None = None
    cost_unknown: bool = False
    tokens: int = 0
    title: str | None = None
    targets: list[tuple[str, str]] = field(default_factory=list)
    action_id: str | None = None
    """Set for action.proposed: indexed so an action can be found by its id alone."""


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def make_title(text: str) -> str | None:
    """The first non-blank line, cut to at most 80 characters at the end of a word (a word
    longer than half of that is cut where it must be)."""
    line = _first_line(text)
    if line is None or len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS - 1]
    space = cut.rfind(" ")
    if space >= TITLE_CHARS // 2 and line[TITLE_CHARS - 1] != " ":
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def legacy_title(text: str) -> str | None:
    """The title journals written before titles ended at a word kept (cut mid-word): verify
    accepts it for their sessions, since both come from the same chained text."""
    line = _first_line(text)
    if line is None or len(line) <= TITLE_CHARS:
        return line
    return line[: TITLE_CHARS - 1].rstrip() + "…"


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line
    return None


def _targets(tool: str, raw: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if tool:
        out.append(("tool", tool[:TARGET_CHARS]))
    if not isinstance(raw, list):
        return out
    for target in raw[:MAX_TARGETS]:
        if not isinstance(target, str) or len(target) > TARGET_CHARS:
            continue
        scheme, _, rest = target.partition(":")
        if not rest:
            continue
        if scheme == "path":
            out.append(("file", rest))
        elif scheme == "host":
            host = rest.lower()
            out.append(("host", host))
            out.append(("hostname", host_name(host)))
    return out


def host_name(host: str) -> str:
    """ "example.com:443" -> "example.com"; "[::1]:8080" -> "::1" (what a --host filter matches)."""
    name, sep, port = host.rpartition(":")
    if not sep or not port.isdigit() or (name.count(":") and not name.startswith("[")):
        name = host  # no port, or a bare IPv6 address
    return name.removeprefix("[").removesuffix("]").lower()


def summarize(kind: str, payload: dict[str, Any]) -> Summary:
    """Fold one event into counters; unknown kinds and odd payloads add nothing."""
    s = Summary()
    if kind == "user.message":
        s.title = make_title(_str(payload.get("text")))
    elif kind == "action.proposed":
        s.n_actions = 1
        s.n_writes = int(payload.get("effect") == "write")
        s.targets = _targets(_str(payload.get("tool")), payload.get("targets"))
        action_id = _str(payload.get("action_id"))
        s.action_id = action_id[:TARGET_CHARS] or None
    elif kind == "action.decided":
        s.n_denied = int(payload.get("verdict") == "deny")
    elif kind in ("action.error", "turn.error"):
        s.n_errors = 1
    elif kind == "action.result":
        s.n_errors = int(payload.get("ok") is False)
    elif kind == "turn.usage":
        s.tokens = _count(payload.get("prompt_tokens")) + _count(payload.get("completion_tokens"))
        cost = payload.get("cost_usd")
        if isinstance(cost, int | float) and not isinstance(cost, bool) and math.isfinite(cost):
            s.cost = float(cost)
        else:
            s.cost_unknown = True
    return s


def search_text(kind: str, payload: dict[str, Any]) -> str:
    """The words of an event worth finding later: what people and the model said, what ran."""
    if kind in ("user.message", "assistant.message"):
        parts = [payload.get("text")]
    elif kind == "action.proposed":
        targets = payload.get("targets")
        parts = [payload.get("tool"), payload.get("summary")]
        if isinstance(targets, list):
            parts.extend(t for t in targets[:MAX_TARGETS] if isinstance(t, str))
    elif kind == "action.decided":
        parts = [payload.get("reason")]
    elif kind == "action.result":
        parts = [payload.get("display"), payload.get("output")]
    elif kind in ("action.error", "turn.error"):
        parts = [payload.get("tool"), payload.get("message")]
    else:
        parts = []
    return "\n".join(p[:SEARCH_FIELD_CHARS] for p in parts if isinstance(p, str) and p)
