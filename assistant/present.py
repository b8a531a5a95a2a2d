"""How the CLI, the app and the exports say the same things: cost, times, sizes, counts and who
decided. One notation each; no Textual, no Rich. A leaf: the agent uses it too (a budget stop
says the cost), so it imports nothing of the agent (``assistant.agent.action_life`` says where
an action ended up, with these words).

Counts and sizes live in ``tools.words`` (tools may not import the app) and are reused here.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from tools.words import exact_size, noun, plural, size

if TYPE_CHECKING:
    from assistant.journal import SessionInfo

__all__ = [
    "cost",
    "cut_off",
    "decider",
    "LOADING",
    "THINKING",
    "effect_tag",
    "elapsed",
    "exact_size",
    "first_line",
    "noun",
    "parse_ts",
    "plural",
    "retrying",
    "session_cost",
    "size",
    "size_change",
    "stamp",
    "tokens",
    "utc",
    "when",
]

# -- money and tokens -----------------------------------------------------------------------------


def cost(usd: float | None, *, partial: bool = False) -> str:
    """ "$0.012", "$12.40", "<$0.001", "$0"; "unknown" when no price was known (not free);
    ``partial``: some calls had no price, so the sum is a lower bound ("≥$0.012")."""
    if usd is None:
        return "unknown"
    if usd == 0:
        text = "$0"
    elif usd < 0.001:
        return "<$0.001"
    else:
        text = f"${usd:.3f}" if usd < 10 else f"${usd:,.2f}"
    return "≥" + text if partial else text


def session_cost(info: SessionInfo) -> str:
    """A session's spend: "–" when it made no priced call, else as ``cost``."""
    if info.cost_usd is None and not info.cost_unknown:
        return "–"
    return cost(info.cost_usd, partial=info.cost_unknown)


def tokens(n: int) -> str:
    """ "850 tok", "3.1k tok"."""
    return f"{n / 1000:.1f}k tok" if n >= 1000 else f"{n} tok"


def elapsed(seconds: float) -> str:
    """How long a tool ran: "0.40 s"."""
    return f"{seconds:.2f} s"


THINKING = "thinking…"
"""While a request is out to the model and nothing has come back (the app's activity line, the
CLI's stderr on a terminal)."""
LOADING = "model library loading… your message is sent the moment it is ready"
"""While the model library is still importing, with a message waiting to be sent."""


def starting(servers: list[str]) -> str:
    """While a turn waits for MCP servers still starting (their tools are offered to the
    model): "starting MCP servers fs, git…"."""
    return f"starting MCP server{'s' if len(servers) != 1 else ''} {', '.join(servers)}…"


def retrying(seconds: float, reason: str) -> str:
    """A back-off as the person reads it: "retrying in 4 s (rate limited)" (whole seconds,
    rounded up, so a wait never reads as 0 s before it is over)."""
    whole = max(1, math.ceil(seconds)) if seconds > 0 else 0
    return f"retrying in {whole} s" + (f" ({reason})" if reason else "")


def size_change(before: int | None, after: int | None) -> str:
    """A file's size across a write: "12 B" (new), "was 12 B" (removed), "12 → 1,034 B"."""
    if before is None and after is None:
        return ""
    if before is None:
        return exact_size(after or 0)
    if after is None:
        return "was " + exact_size(before)
    return f"{before:,} → {exact_size(after)}"


# -- times ----------------------------------------------------------------------------------------


def parse_ts(ts: str | None) -> datetime | None:
    """A journal time ("2025-01-31T09:15:02.123Z") as an aware datetime (no zone: UTC), or None
    when it is not one (a hand-edited or foreign row)."""
    if not isinstance(ts, str):
        return None
    try:
        moment = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stamp(ts: str | None, fmt: str = "%Y-%m-%d %H:%M:%S", zone: tzinfo | None = None) -> str:
    """A journal time in ``zone`` (default: this machine's), or "?" when unreadable."""
    moment = parse_ts(ts)
    return moment.astimezone(zone).strftime(fmt) if moment is not None else "?"


def utc(ts: str) -> str:
    """A journal time for a record read anywhere: "2025-03-14 09:15:02 UTC" (as stored when
    unreadable, so nothing is lost)."""
    moment = parse_ts(ts)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else str(ts)


def when(ts: str | None, now: datetime) -> str:
    """A list cell: "today 14:02", "yest. 17:15", "Mar 04 09:30" this year, "2024-03-04" before,
    in the time zone of ``now``."""
    moment = parse_ts(ts)
    if moment is None:
        return "?"
    local = moment.astimezone(now.tzinfo)
    if local.date() == now.date():
        return f"today {local:%H:%M}"
    if local.date() == (now - timedelta(days=1)).date():
        return f"yest. {local:%H:%M}"
    if local.year == now.year:
        return f"{local:%b %d %H:%M}"
    return f"{local:%Y-%m-%d}"


# -- actions -------------------------------------------------------------------------------------


def effect_tag(effect: str) -> str:
    """An effect as the tag in front of an action: READ, WRITE, EGRESS ("?" when none)."""
    return effect.upper() or "?"


def first_line(text: str, width: int | None = None) -> str:
    """The first non-blank line of an output, cut to ``width`` with "…" (a one-line outcome)."""
    stripped = text.strip()
    line = stripped.splitlines()[0] if stripped else ""
    return line if width is None or len(line) <= width else line[: width - 1] + "…"


# -- decisions and outcomes -----------------------------------------------------------------------


def decider(by: str | None, *, person: str = "you", rule: str = "") -> str:
    """Who decided, in words: ``person`` for a human ("you" live, "the person" in a record),
    'rule "<label>"' for a session rule (its id when the label is not known), "read policy",
    "deny rule", or the approval mode ("--approve all")."""
    by = by or ""
    if by == "human":
        return person
    if by.startswith("rule:"):
        return f'rule "{rule}"' if rule else f"rule {by[5:]}"
    if by == "policy:read":
        return "read policy"
    if by == "policy:deny":
        return "deny rule"
    return by or "unknown"


def granted(lasting: bool) -> str:
    """What a person's "allow" made, in words: a rule for this session, or one saved for the
    workspace that lasts until revoked."""
    return "saved as a rule for this workspace" if lasting else "allowed for this session"


def cut_off(error: str) -> str:
    """The mark after a reply that did not finish, where its text is shown again (history,
    replay, exports): "… (stopped)" when the person stopped it, "… (cut off)" when the model's
    stream broke or timed out. ``error`` is the ``turn.error``'s (cancelled: the person)."""
    return "… (stopped)" if error == "cancelled" else "… (cut off)"


VERBS = {"approve": "approved", "deny": "denied", "edit": "edited"}
"""A verdict as a past participle."""
