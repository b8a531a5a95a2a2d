"""`assistant history`: list, show, search and verify the sessions kept in the journal.

Everything shown comes from the journal and may hold model or tool text, so it is printed with
control sequences escaped (``escape_text``) and never as markup; ``--json`` prints JSON Lines
with non-ASCII escaped, which a terminal cannot interpret either.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant import present
from assistant.cli import common
from assistant.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.agent import events as ev
    from assistant.agent.action_life import ActionFold, Life
    from assistant.journal import Journal, JournalReport, SessionInfo

PREVIEW_LINES = 40
"""Lines of a preview or an output `show` prints before cutting (``--full`` prints all)."""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "history",
        help="list, show, search and verify past sessions",
        description="Browse the journal of past sessions and check that it was not altered. "
        "Exit codes: 0 ok, 1 verification failed or journal unusable, 2 unknown session or usage.",
    )
    hs = p.add_subparsers(dest="history_command", metavar="SUBCOMMAND", required=True)

    ls = hs.add_parser("list", help="sessions, most recently active first")
    ls.add_argument("--limit", type=_count, default=50, help="rows to show (default 50)")
    ls.add_argument("--offset", type=_count, default=0, help="rows to skip (for paging)")
    ls.add_argument("--writes", action="store_true", help="only sessions that proposed writes")
    ls.add_argument("--denied", action="store_true", help="only sessions with a denied action")
    ls.add_argument("--errors", action="store_true", help="only sessions with an error")
    ls.add_argument("--tool", help="only sessions that used this tool")
    ls.add_argument("--host", help="only sessions that targeted this host (host or host:port)")
    ls.add_argument("--file", help="only sessions that targeted this file, or a file under it")
    ls.add_argument("--search", metavar="TEXT", help="only sessions whose text has these words")
    ls.set_defaults(func=list_sessions)

    show = hs.add_parser("show", help="a session's prompts, answers and actions")
    show.add_argument("session", metavar="ID", help="session id or a unique prefix (4+ chars)")
    show.add_argument("--full", action="store_true", help="do not cut long previews and outputs")
    show.set_defaults(func=show_session)

    search = hs.add_parser("search", help="events whose text holds all the words")
    search.add_argument("text", nargs="+", metavar="TEXT")
    search.add_argument("--limit", type=_count, default=50, help="hits to show (default 50)")
    search.set_defaults(func=search_events)

    verify = hs.add_parser(
        "verify",
        help="check the journal and its sessions; exit 1 if anything was altered",
        description="Checks the database file (SQLite integrity_check), every stored file copy "
        "(blob) against its hash, the journal-wide chain (an HMAC whose key is in the OS keyring) "
        "against its head record kept beside the file, and each session: its events' hash chain, "
        "its header (title, model, workspace, read-only flag) and every count history shows. "
        "Exit 1 when anything fails. Where no keyring was available the chain is unkeyed, which "
        "anyone with the file can recompute: verify then says so.",
    )
    verify.add_argument(
        "session", metavar="ID", nargs="?", help="one session (default: all); the journal-wide "
        "checks run either way",
    )  # fmt: skip
    verify.set_defaults(func=verify_sessions)

    for cmd in (ls, show, search, verify):
        cmd.add_argument("--json", action="store_true", help="print JSON Lines, one per row")


def _count(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, not {raw!r}")
    return value


@contextmanager
def _journal() -> Iterator[Journal]:
    """The journal, with its errors turned into one-line command errors of the right code."""
    from assistant.journal import JournalError, SessionLookupError

    try:
        journal = common.open_journal()
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    try:
        yield journal
    except SessionLookupError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    finally:
        journal.close()


def _jsonl(obj: dict[str, Any]) -> None:
    # ensure_ascii: control, bidi and all non-ASCII characters become \u escapes.
    print(json.dumps(obj, ensure_ascii=True))


def _text(value: Any, *, one_line: bool = False) -> str:
    from tools.base import escape_text

    text = escape_text(value if isinstance(value, str) else str(value))
    return text.replace("\n", "\\n").replace("\t", " ") if one_line else text


def _when(ts: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return present.stamp(ts, fmt) if present.parse_ts(ts) else _text(ts, one_line=True)


def _needs_words(text: str) -> str:
    if not re.search(r"\w", text):
        raise CommandError("search text has no words to look for", EXIT_USAGE)
    return text


# -- list ------------------------------------------------------------------------------------


def list_sessions(args: argparse.Namespace) -> int:
    filters: dict[str, Any] = {
        "has_writes": args.writes,
        "has_denials": args.denied,
        "has_errors": args.errors,
        "tool": args.tool,
        "host": args.host,
        "file": args.file,
        "query": _needs_words(args.search) if args.search is not None else None,
    }
    with _journal() as journal:
        rows = journal.sessions(limit=args.limit, offset=args.offset, **filters)
        total = journal.count_sessions(**filters) if not args.json else 0
    if args.json:
        for info in rows:
            _jsonl(info.to_json())
        return EXIT_OK
    console = common.out()
    if not rows:
        console.print("no sessions" + (" match these filters" if any(filters.values()) else " yet"))
        return EXIT_OK
    console.print(_table(rows))
    first = args.offset + 1
    console.print(f"{first}–{args.offset + len(rows)} of {present.plural(total, 'session')}")
    return EXIT_OK


def _table(rows: list[SessionInfo]) -> Any:
    from rich.table import Table
    from rich.text import Text

    # Sized to fit 80 columns: the title takes what is left and is cut with "…".
    table = Table(box=None, pad_edge=False, collapse_padding=True, header_style="bold")
    table.add_column("id", no_wrap=True, min_width=8)
    table.add_column("when", no_wrap=True, min_width=11)
    table.add_column("title", overflow="ellipsis", no_wrap=True, ratio=1, min_width=10)
    table.add_column("model", overflow="ellipsis", no_wrap=True, min_width=8, max_width=24)
    for name in ("actions", "writes", "denied", "errors"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    table.add_column("cost", justify="right", no_wrap=True, min_width=8)
    now = datetime.now().astimezone()
    for info in rows:
        table.add_row(
            info.id[:8],
            present.when(info.updated_at, now),
            Text(_text(info.title or "(untitled)", one_line=True)),
            Text(_text(info.model or "–", one_line=True)),
            str(info.n_actions),
            str(info.n_writes),
            str(info.n_denied),
            str(info.n_errors),
            present.session_cost(info),
        )
    return table


# -- show ------------------------------------------------------------------------------------


def show_session(args: argparse.Namespace) -> int:
    from assistant.agent.action_life import fold_stored

    with _journal() as journal:
        info = journal.get_session(args.session)
        stored = journal.events(info.id)
        check = journal.verify(info.id)
    if args.json:
        for row in stored:
            _jsonl(row.to_json())
        return EXIT_OK
    from rich.text import Text

    console = common.out()
    for line in _header(info, check.ok, check.reason):
        console.print(Text(line))
    events, lives = fold_stored(stored)
    last: dict[int, int] = {}  # life -> the index of its last event: where its story ends
    for index, owner in lives.owner.items():
        last[id(owner)] = max(index, last.get(id(owner), index))
    cut = None if args.full else PREVIEW_LINES
    for index, (event, row) in enumerate(zip(events, stored, strict=True)):
        console.print(Text(""))
        head = f"[{row.seq}] {_when(row.ts, '%H:%M:%S')} "
        for line in render_event(event, head, lives, cut):
            console.print(Text(line))
        life = lives.owner.get(index)
        if life is not None and last[id(life)] == index:
            for line in _ending(life):
                console.print(Text(line))
    return EXIT_OK


def _ending(life: Life) -> list[str]:
    """A line where an action's story stops short of a result: why it has none."""
    from assistant.agent import action_life as al

    state = life.state
    if state == al.OUTCOME_UNKNOWN:
        return [
            "    ⚠ outcome unknown: approved, but no result was recorded (the app stopped while"
            " it ran); it was not re-run"
        ]
    if state == al.PROPOSED:
        return ["    ⚠ no decision recorded: it was not run"]
    if state == al.EDITED:
        return ["    ✎ " + _text(present.outcome(life), one_line=True)]
    return []


def _header(info: SessionInfo, ok: bool, reason: str) -> list[str]:
    lines = [
        f"session {info.id}",
        f"  title:     {_text(info.title or '(untitled)', one_line=True)}",
        f"  model:     {_text(info.model or '–', one_line=True)}",
        f"  workspace: {_text(info.workspace, one_line=True)}",
        f"  started:   {_when(info.created_at, '%Y-%m-%d %H:%M:%S')}"
        f"   last event: {_when(info.updated_at, '%Y-%m-%d %H:%M:%S')}",
        f"  actions:   {info.n_actions} (writes {info.n_writes}, denied {info.n_denied})"
        f"   errors: {info.n_errors}   tokens: {info.tokens}   cost: {present.session_cost(info)}",
    ]
    if info.parent:
        lines.insert(2, f"  parent:    {info.parent}")
    recipe = info.meta.get("recipe") if isinstance(info.meta, dict) else None
    if isinstance(recipe, dict):
        shown = f"{recipe.get('name') or recipe.get('path') or '?'} ({recipe.get('mode', 'run')})"
        lines.insert(2, f"  recipe:    {_text(shown, one_line=True)}")
    lines.append("  journal:   " + ("chain intact" if ok else f"ALTERED: {reason}"))
    return lines


def _block(text: Any, cut: int | None, indent: str = "    ") -> list[str]:
    lines = _text(text).splitlines() if isinstance(text, str) and text else []
    shown = lines if cut is None else lines[:cut]
    out = [indent + line for line in shown]
    if len(lines) > len(shown):
        more = present.plural(len(lines) - len(shown), "more line", "more lines")
        out.append(f"{indent}… {more} (--full shows them)")
    return out


def render_event(
    event: ev.Event, head: str, lives: ActionFold, cut: int | None = PREVIEW_LINES
) -> list[str]:
    """Plain, escaped lines for one stored event (one this version cannot read shows its JSON)."""
    from assistant.agent import events as ev

    def t(value: Any) -> str:
        return _text(value if isinstance(value, str) else "", one_line=True)

    match event:
        case ev.UserMessage(text=text):
            return [head + "you:", *_block(text, cut)]
        case ev.AssistantMessage(text=text, tool_calls=calls):
            names = [t(c.get("name")) or "?" for c in calls if isinstance(c, dict)]
            lines = [head + "assistant:", *_block(text, cut)]
            return lines + ([f"    (calls {', '.join(names)})"] if names else [])
        case ev.ActionProposed():
            lines = [
                f"{head}action {t(event.action_id)} · {t(event.effect)} · {t(event.tool)}",
                f"    {t(event.summary)}",
            ]
            return lines + _block(event.preview.get("text"), cut, "    │ ")
        case ev.ActionDecided(action_id=aid, verdict=verdict, by=by, reason=reason):
            by_rule = by.startswith("rule:")
            who = present.decider(by, person="the person", rule=reason if by_rule else "")
            why = f" — {t(reason)}" if reason and not by_rule else ""
            did = present.VERBS.get(verdict, verdict)
            return [f"{head}decision: {t(did)} by {t(who)}{why} (action {t(aid)})"]
        case ev.ActionApproved(action_id=aid, by=by):
            who = present.decider(by, person="the person")
            return [f"{head}approved by {t(who)}; running (action {t(aid)})"]
        case ev.ActionResult(action_id=aid, ok=ok, display=display, output=output):
            outcome = "done" if ok else "FAILED"
            shown = f" · {t(display)}" if display else ""
            return [f"{head}{outcome}{shown} (action {t(aid)})", *_block(output, cut)]
        case ev.ActionError(tool=tool, message=message, action_id=aid):
            which = f" (action {t(aid)})" if aid else ""
            return [f"{head}tool call refused · {t(tool)}: {t(message)}{which}"]
        case ev.ToolFault():
            which = f" (action {t(event.action_id)})" if event.action_id else ""
            lines = [
                f"{head}internal error while {t(event.phase)} · {t(event.tool)}:"
                f" {t(event.error)}: {t(event.message)}{which}"
            ]
            return lines + [f"    at {t(frame)}" for frame in event.frames[: cut or None]]
        case ev.TurnUsage():
            tokens = f"{event.prompt_tokens}+{event.completion_tokens} tokens"
            return [
                f"{head}usage · {t(event.model)} · {tokens} · cost {present.cost(event.cost_usd)}"
            ]
        case ev.TurnError(message=message, error=error):
            return [f"{head}turn failed ({t(error)}): {t(message)}"]
        case ev.TurnEnd(reason=reason):
            return [f"{head}turn ended: {t(reason)}"]
        case ev.GrantAdded():
            return [
                f"{head}allowed for this session: {t(event.label)}"
                f" ({t(event.tool)}, rule {t(event.grant_id)})"
            ]
        case ev.HostUnlocked():
            who = present.decider(event.by, person="the person")
            return [
                f"{head}unlocked for this session: {t(event.label)}"
                f" (unlock {t(event.unlock_id)}, approved by {t(who)})"
            ]
        case ev.GrantRevoked(grant_id=rule_id):
            return [f"{head}{_revoked(rule_id, lives)}"]
        case ev.Unreadable(stored_kind=kind, problem=problem, payload=payload):
            lines = [f"{head}{t(kind)} (cannot be read: {t(problem)})"]
            return lines + _block(json.dumps(payload, ensure_ascii=False), cut)
    return [head + t(event.kind)]


def _revoked(rule_id: str, lives: ActionFold) -> str:
    from assistant.agent import events as ev

    rule = lives.rules.get(rule_id)
    if isinstance(rule, ev.HostUnlocked):
        return f"unlock {_text(rule_id, one_line=True)} revoked: {_text(rule.label, one_line=True)}"
    label = f": {_text(rule.label, one_line=True)}" if rule is not None else ""
    return f"rule {_text(rule_id, one_line=True)} revoked{label}"


# -- search and verify -----------------------------------------------------------------------


def search_events(args: argparse.Namespace) -> int:
    text = _needs_words(" ".join(args.text))
    with _journal() as journal:
        hits = journal.search(text, limit=args.limit)
        titles = {sid: journal.get_session(sid).title for sid in {h.session_id for h in hits}}
    if args.json:
        for hit in hits:
            _jsonl({**hit.to_json(), "title": titles.get(hit.session_id)})
        return EXIT_OK
    console = common.out()
    if not hits:
        console.print("no matches")
        return EXIT_OK
    from rich.text import Text

    for hit in hits:
        title = _text(titles.get(hit.session_id) or "(untitled)", one_line=True)
        console.print(Text(f"{hit.session_id[:8]} [{hit.seq}] {hit.kind} · {title}"))
        console.print(Text("    " + _text(hit.snippet, one_line=True)))
    return EXIT_OK


def verify_sessions(args: argparse.Namespace) -> int:
    with _journal() as journal:
        if args.session:  # that session, and the journal-wide checks that bear on every one
            results = [journal.verify(args.session)]
            report = journal.verify_journal(sessions=False)
        else:
            report = journal.verify_journal()
            results = list(report.sessions)
    broken = [r for r in results if not r.ok]
    if args.json:
        for result in results:
            _jsonl(result.to_json())
        _jsonl(report.to_json())
    else:
        _print_verify(common.out(), report, results, broken)
    return EXIT_FAILED if broken or report.problems else EXIT_OK


def _print_verify(
    console: Console, report: JournalReport, results: list[Any], broken: list[Any]
) -> None:
    from rich.text import Text

    def line(text: str) -> None:
        console.print(Text(_text(text, one_line=True)))

    for r in results:
        if r.ok and len(results) > 1:
            continue  # with many sessions, list only the broken ones
        if r.ok:
            mark = "ok"
        elif r.first_bad_seq:
            mark = f"ALTERED at event {r.first_bad_seq}"
        else:
            mark = "ALTERED"
        line(f"{r.session_id}  {mark}: {r.reason}")
    for problem in report.problems:
        line(f"journal ALTERED: {problem}")
    warnings = list(dict.fromkeys(report.warnings))
    if not report.keyed and not warnings and report.records:
        warnings.append("the chain is unkeyed: anyone with the file could recompute it")
    for warning in warnings:
        line(f"warning: {warning}")
    keyed = "keyed (HMAC, key in the keyring)" if report.keyed else "UNKEYED"
    state = "ok" if not report.problems and not broken else "ALTERED"
    records, blobs = present.plural(report.records, "record"), present.plural(report.blobs, "blob")
    console.print(f"journal {state}: {records}, {blobs}, {keyed}")
    if len(results) > 1:
        console.print(f"{present.plural(len(results), 'session')} checked, {len(broken)} altered")
    elif not results:
        console.print("no sessions to verify")
