"""What a session's stored summary must be, derived again from its chained events.

The sessions row keeps counters, cost, title and last-event time, and side tables keep its
targets, action ids and search text, so that history lists fast. None of that is chained; verify
derives it again from the events (which are) and compares, so an edited count or title shows.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.journal._summary import legacy_title, search_text, summarize


@dataclass
class Derived:
    """A session's summary as its events say it is (see ``_query.apply_summary``)."""

    n_events: int = 0
    n_actions: int = 0
    n_writes: int = 0
    n_denied: int = 0
    n_errors: int = 0
    tokens: int = 0
    cost: float | None = None
    cost_unknown: bool = False
    title: str | None = None
    """The first prompt's title (used when the session was created without one)."""
    legacy_title: str | None = None
    """The same title as older versions cut it (mid-word), accepted for their sessions."""
    last_ts: str | None = None
    targets: set[tuple[str, str]] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    search: dict[int, str] = field(default_factory=dict)
    """events.id -> the text indexed for search (events with no words are absent)."""


def derive(events: Iterable[tuple[int, str, str, dict[str, Any]]]) -> Derived:
    """Fold (events.id, ts, kind, payload) in seq order, as every append did."""
    d = Derived()
    for rowid, ts, kind, payload in events:
        s = summarize(kind, payload)
        d.n_events += 1
        d.n_actions += s.n_actions
        d.n_writes += s.n_writes
        d.n_denied += s.n_denied
        d.n_errors += s.n_errors
        d.tokens += s.tokens
        if s.cost is not None:
            d.cost = (d.cost or 0.0) + s.cost
        d.cost_unknown = d.cost_unknown or s.cost_unknown
        if d.title is None and s.title:
            d.title = s.title
            d.legacy_title = legacy_title(str(payload.get("text", "")))
        d.last_ts = ts
        d.targets.update(s.targets)
        if s.action_id:
            d.actions.add(s.action_id)
        words = search_text(kind, payload)
        if words:
            d.search[rowid] = words
    return d


def _same_cost(a: Any, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return isinstance(a, int | float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def summary_mismatch(
    db: sqlite3.Connection, sid: str, d: Derived, header: dict[str, Any]
) -> str | None:
    """The first stored summary field of ``sid`` that its events do not bear out, in words."""
    row = db.execute(
        "SELECT n_events, n_actions, n_writes, n_denied, n_errors, tokens, cost_usd,"
        " cost_unknown, title, updated_at FROM sessions WHERE id = ?",
        (sid,),
    ).fetchone()
    counts = dict(
        zip(
            ("events", "actions", "writes", "denied", "errors", "tokens"),
            row[:6],
            strict=True,
        )
    )
    expected = (d.n_events, d.n_actions, d.n_writes, d.n_denied, d.n_errors, d.tokens)
    for (name, stored), want in zip(counts.items(), expected, strict=True):
        if stored != want:
            return f"its stored {name} count is {stored!r} but its events say {want}"
    if not _same_cost(row[6], d.cost) or bool(row[7]) != d.cost_unknown:
        return f"its stored cost ({row[6]!r}) is not what its events add up to ({d.cost!r})"
    title = header.get("title") or d.title
    if row[8] != title and (header.get("title") or row[8] != d.legacy_title):
        return f"its title was changed: the chain says {title!r}"
    last = d.last_ts or header.get("created_at")
    if row[9] != last:
        return f"its last-event time was changed: the chain says {last!r}"
    targets = set(
        db.execute(
            "SELECT kind, value FROM session_targets WHERE session_id = ?", (sid,)
        ).fetchall()
    )
    if targets != d.targets:
        return "its tools, hosts or files (the history filters) differ from its events"
    return None


def index_mismatch(
    db: sqlite3.Connection,
    sid: str,
    d: Derived,
    header: dict[str, Any],
    actions: set[str],
    titles: list[str],
    legacy: bool,
) -> str | None:
    """Search rows and action ids of ``sid`` that its events and header do not bear out."""
    if actions != d.actions:
        return "its action ids (what `assistant undo` looks up) differ from its events"
    ids = list(d.search) + [
        rowid
        for (rowid,) in db.execute(
            "SELECT id FROM events WHERE session_id = ? ORDER BY seq", (sid,)
        )
        if rowid not in d.search
    ]
    stored: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for rowid, text in db.execute(
            f"SELECT rowid, text FROM events_fts WHERE rowid IN ({marks})", chunk
        ):
            stored[int(rowid)] = text
    if stored != d.search:
        return "its search index differs from its events (what search finds and shows)"
    given = [header["title"]] if header.get("title") else []
    if sorted(titles) != given and not (legacy and set(titles) <= set(given)):
        return "its title in the search index differs from the chain"
    return None
