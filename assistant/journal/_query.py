"""SQL the Journal shares: id lookup, list filters, search syntax, summary upkeep, row decoding."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from assistant.journal._chain import verify_rows
from assistant.journal._records import JournalError, SessionInfo, SessionLookupError, VerifyResult
from assistant.journal._summary import Summary

_HEX = re.compile(r"[0-9a-f]+")
_WORD = re.compile(r"\w+")
MIN_PREFIX = 4
MAX_SEARCH_WORDS = 32
_CHUNK = 500  # ids per IN (...) query, well under SQLite's bound-parameter limit

_SESSION_COLUMNS = (
    "id, created_at, updated_at, title, model, workspace, parent, n_events, n_actions,"
    " n_writes, n_denied, n_errors, cost_usd, tokens, meta, cost_unknown"
)


def resolve(db: sqlite3.Connection, id_or_prefix: str) -> str:
    """The full id of the one session matching an id or a prefix of at least 4 hex characters."""
    if not isinstance(id_or_prefix, str):
        raise SessionLookupError("a session id must be text")
    shown = repr(id_or_prefix[:40])
    key = id_or_prefix.strip().lower().replace("-", "")
    if not _HEX.fullmatch(key) or len(key) > 32:
        raise SessionLookupError(f"no session {shown}: session ids are 32 hex characters")
    if len(key) < MIN_PREFIX:
        raise SessionLookupError(
            f"session prefix {shown} is too short: give at least {MIN_PREFIX} characters"
        )
    rows = db.execute(
        "SELECT id FROM sessions WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
        (key, key + "g"),  # every hex continuation of key sorts below key + "g"
    ).fetchall()
    if not rows:
        raise SessionLookupError(f"no session matches {shown}")
    if len(rows) > 1:
        raise SessionLookupError(
            f"session prefix {shown} is ambiguous: it matches {rows[0][0][:12]}…,"
            f" {rows[1][0][:12]}… and perhaps more; give more characters"
        )
    return str(rows[0][0])


def resolve_action(db: sqlite3.Connection, action_id: str) -> tuple[str, str]:
    """(session_id, action_id) for an action id or a unique prefix of at least 4 characters."""
    if not isinstance(action_id, str):
        raise JournalError("an action id must be text")
    key = action_id.strip()
    shown = repr(key[:40])
    if len(key) < MIN_PREFIX or len(key) > 500:
        raise JournalError(f"action id {shown} must be at least {MIN_PREFIX} characters")
    rows = db.execute(
        "SELECT action_id, session_id FROM actions WHERE action_id >= ? AND action_id < ?"
        " ORDER BY action_id LIMIT 2",
        (key, key + "\U0010ffff"),
    ).fetchall()
    exact = [row for row in rows if row[0] == key]
    if exact:
        rows = exact
    if not rows:
        raise JournalError(f"no action {shown} in the journal")
    if len(rows) > 1:
        raise JournalError(
            f"action prefix {shown} is ambiguous: it matches {rows[0][0]} and {rows[1][0]}"
        )
    return str(rows[0][1]), str(rows[0][0])


def fts_query(text: str) -> str:
    """Plain words as an FTS5 expression: each word a quoted prefix term, all required.

    Quoting every word means no input (quotes, AND, NEAR, *, column filters) is read as syntax.
    """
    if not isinstance(text, str):
        raise JournalError("search text must be text")
    words = _WORD.findall(text)
    if not words:
        raise JournalError("search text has no words to look for")
    return " ".join(f'"{w}"*' for w in words[:MAX_SEARCH_WORDS])


def filters(
    has_writes: bool,
    has_denials: bool,
    has_errors: bool,
    tool: str | None,
    host: str | None,
    file: str | None,
    query: str | None,
    manual: bool = False,
) -> tuple[str, list[Any]]:
    """A WHERE clause (or "") and its parameters for the session list filters. ``manual``:
    sessions with work done by hand (a tool a person ran: its proposal has no model call id)."""
    clauses: list[str] = []
    params: list[Any] = []
    if manual:  # read from the chained events themselves; a payload that is not JSON is skipped
        clauses.append(
            "id IN (SELECT session_id FROM events WHERE kind = 'action.proposed' AND"
            " CASE WHEN json_valid(payload) THEN json_type(payload, '$.call_id') END = 'null')"
        )
    if has_writes:
        clauses.append("n_writes > 0")
    if has_denials:
        clauses.append("n_denied > 0")
    if has_errors:
        clauses.append("n_errors > 0")
    for name, value in (("tool", tool), ("host", host), ("file", file), ("query", query)):
        if value is not None and not isinstance(value, str):
            raise JournalError(f"the {name} filter must be text")
    targets = "id IN (SELECT session_id FROM session_targets WHERE "
    if tool is not None:
        clauses.append(targets + "kind = 'tool' AND value = ?)")
        params.append(tool)
    if host is not None:
        clauses.append(targets + "kind IN ('host', 'hostname') AND value = ?)")
        params.append(host.strip().lower())
    if file is not None:
        path = file.strip().removeprefix("./").rstrip("/")
        if path in ("", "."):
            clauses.append(targets + "kind = 'file')")
        else:  # the path itself, or anything under it: "dir/" <= value < "dir0" ("0" follows "/")
            clauses.append(targets + "kind = 'file' AND (value = ? OR (value > ? AND value < ?)))")
            params.extend([path, path + "/", path + "0"])
    if query is not None:
        match = fts_query(query)
        clauses.append(
            "(id IN (SELECT e.session_id FROM events_fts JOIN events e"
            " ON e.id = events_fts.rowid WHERE events_fts MATCH ?)"
            " OR id IN (SELECT session_id FROM titles_fts WHERE titles_fts MATCH ?))"
        )
        params.extend([match, match])
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def apply_summary(db: sqlite3.Connection, session_id: str, ts: str, s: Summary) -> None:
    """Add one event's increments to its session row and target index."""
    db.execute(
        "UPDATE sessions SET n_events = n_events + 1, updated_at = ?,"
        " n_actions = n_actions + ?, n_writes = n_writes + ?, n_denied = n_denied + ?,"
        " n_errors = n_errors + ?,"
        " cost_usd = CASE WHEN ? IS NULL THEN cost_usd ELSE coalesce(cost_usd, 0) + ? END,"
        " cost_unknown = max(cost_unknown, ?), tokens = tokens + ?, title = coalesce(title, ?)"
        " WHERE id = ?",
        (
            ts,
            s.n_actions,
            s.n_writes,
            s.n_denied,
            s.n_errors,
            s.cost,
            s.cost,
            int(s.cost_unknown),
            s.tokens,
            s.title,
            session_id,
        ),
    )
    if s.action_id:
        db.execute(
            "INSERT OR IGNORE INTO actions (action_id, session_id) VALUES (?, ?)",
            (s.action_id, session_id),
        )
    if s.targets:
        db.executemany(
            "INSERT OR IGNORE INTO session_targets (kind, value, session_id) VALUES (?, ?, ?)",
            [(kind, value, session_id) for kind, value in s.targets],
        )


def load_payload(text: str) -> dict[str, Any]:
    """A stored payload; one that no longer parses (edited by hand) comes back marked, not raised."""
    try:
        data = json.loads(text)
    except ValueError:
        return {"_unreadable": text}
    return data if isinstance(data, dict) else {"_unreadable": text}


def session_infos(db: sqlite3.Connection, ids: Sequence[str]) -> list[SessionInfo]:
    """SessionInfo for ids, in the order given, with their tools, hosts and files."""
    rows: dict[str, tuple[Any, ...]] = {}
    targets: dict[str, dict[str, list[str]]] = {
        i: {"tool": [], "host": [], "file": []} for i in ids
    }
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id IN ({marks})", chunk
        ):
            rows[row[0]] = row
        for sid, kind, value in db.execute(
            "SELECT session_id, kind, value FROM session_targets"
            f" WHERE session_id IN ({marks}) AND kind IN ('tool', 'host', 'file')"
            " ORDER BY session_id, kind, value",
            chunk,
        ):
            targets[sid][kind].append(value)
    out = []
    for sid in ids:
        row = rows.get(sid)
        if row is None:
            continue
        (sid_, created, updated, title, model, workspace, parent, *counts) = row[:12]
        cost, tokens, meta, cost_unknown = row[12:]
        n_events, n_actions, n_writes, n_denied, n_errors = counts
        out.append(
            SessionInfo(
                id=sid_,
                created_at=created,
                updated_at=updated,
                title=title,
                model=model,
                workspace=workspace,
                parent=parent,
                n_events=n_events,
                n_actions=n_actions,
                n_writes=n_writes,
                n_denied=n_denied,
                n_errors=n_errors,
                cost_usd=cost,
                tokens=tokens,
                meta=load_payload(meta),
                cost_unknown=bool(cost_unknown),
                tools=tuple(targets[sid]["tool"]),
                hosts=tuple(targets[sid]["host"]),
                files=tuple(targets[sid]["file"]),
            )
        )
    return out


def verify_session(db: sqlite3.Connection, sid: str) -> VerifyResult:
    """Recompute one session's chain from its rows, inside the caller's read transaction."""
    recorded = db.execute("SELECT n_events FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
    # Read as bytes: an edit that breaks the text encoding is reported, not raised.
    rows = db.execute(
        "SELECT seq, CAST(ts AS BLOB), CAST(kind AS BLOB), CAST(payload AS BLOB),"
        " CAST(prev_hash AS BLOB), CAST(hash AS BLOB) FROM events"
        " WHERE session_id = ? ORDER BY seq",
        (sid,),
    )
    return verify_rows(sid, rows, int(recorded))
