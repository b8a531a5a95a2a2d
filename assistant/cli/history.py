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

from assistant.cli import common
from assistant.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.journal import Journal, JournalReport, SessionInfo, StoredEvent

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
    try:
        return datetime.fromisoformat(ts).astimezone().strftime(fmt)
    except (TypeError, ValueError):
        return _text(ts, one_line=True)


def format_cost(info: SessionInfo) -> str:
    """ "–" when no model call was priced or made, "unknown" when none had a price,
    "≥$x" when some had none (the known part is a lower bound)."""
    if info.cost_usd is None:
        return "unknown" if info.cost_unknown else "–"
    amount = f"${info.cost_usd:.4f}" if info.cost_usd < 1 else f"${info.cost_usd:.2f}"
    return "≥" + amount if info.cost_unknown else amount


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
    console.print(f"{first}–{args.offset + len(rows)} of {total} sessions")
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
    this_year = datetime.now().year
    for info in rows:
        table.add_row(
            info.id[:8],
            _when(
                info.updated_at,
                "%m-%d %H:%M" if info.updated_at[:4] == str(this_year) else "%Y-%m-%d",
            ),
            Text(_text(info.title or "(untitled)", one_line=True)),
            Text(_text(info.model or "–", one_line=True)),
            str(info.n_actions),
            str(info.n_writes),
            str(info.n_denied),
            str(info.n_errors),
            format_cost(info),
        )
    return table


# -- show ------------------------------------------------------------------------------------


def show_session(args: argparse.Namespace) -> int:
    with _journal() as journal:
        info = journal.get_session(args.session)
        events = journal.events(info.id)
        states = journal.action_states(info.id)
        check = journal.verify(info.id)
    if args.json:
        for event in events:
            _jsonl(event.to_json())
        return EXIT_OK
    from rich.text import Text

    console = common.out()
    for line in _header(info, check.ok, check.reason):
        console.print(Text(line))
    # Where an action's story ends, say so when it never got a result.
    last_seq: dict[str, int] = {}
    for event in events:
        action_id = event.payload.get("action_id")
        if event.kind.startswith("action.") and isinstance(action_id, str):
            last_seq[action_id] = event.seq
    cut = None if args.full else PREVIEW_LINES
    for event in events:
        console.print(Text(""))
        for line in render_event(event, cut):
            console.print(Text(line))
        for action_id, seq in last_seq.items():
            state = states.get(action_id)
            if seq == event.seq and state is not None:
                if state.state == "outcome unknown":
                    console.print(
                        Text(
                            "    ⚠ outcome unknown: approved, but no result was recorded (the app"
                            " stopped while it ran); it was not re-run"
                        )
                    )
                elif state.state == "proposed":
                    console.print(Text("    ⚠ no decision recorded: it was not run"))
    return EXIT_OK


def _header(info: SessionInfo, ok: bool, reason: str) -> list[str]:
    lines = [
        f"session {info.id}",
        f"  title:     {_text(info.title or '(untitled)', one_line=True)}",
        f"  model:     {_text(info.model or '–', one_line=True)}",
        f"  workspace: {_text(info.workspace, one_line=True)}",
        f"  started:   {_when(info.created_at, '%Y-%m-%d %H:%M:%S')}"
        f"   last event: {_when(info.updated_at, '%Y-%m-%d %H:%M:%S')}",
        f"  actions:   {info.n_actions} (writes {info.n_writes}, denied {info.n_denied})"
        f"   errors: {info.n_errors}   tokens: {info.tokens}   cost: {format_cost(info)}",
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
        out.append(f"{indent}… {len(lines) - len(shown)} more lines (--full shows them)")
    return out


def render_event(event: StoredEvent, cut: int | None = PREVIEW_LINES) -> list[str]:
    """Plain, escaped lines for one stored event (unknown kinds show their JSON)."""
    p = event.payload
    head = f"[{event.seq}] {_when(event.ts, '%H:%M:%S')} "

    def s(key: str) -> str:
        return _text(p.get(key) if isinstance(p.get(key), str) else "", one_line=True)

    kind = event.kind
    if kind == "user.message":
        return [head + "you:", *_block(p.get("text"), cut)]
    if kind == "assistant.message":
        calls = p.get("tool_calls")
        calls = calls if isinstance(calls, list) else []
        names = [_text(c.get("name", "?"), one_line=True) for c in calls if isinstance(c, dict)]
        lines = [head + "assistant:", *_block(p.get("text"), cut)]
        return lines + ([f"    (calls {', '.join(names)})"] if names else [])
    if kind == "action.proposed":
        preview = p.get("preview")
        preview = preview if isinstance(preview, dict) else {}
        lines = [
            f"{head}action {s('action_id')} · {s('effect')} · {s('tool')}",
            f"    {s('summary')}",
        ]
        return lines + _block(preview.get("text"), cut, "    │ ")
    if kind == "action.decided":
        reason = f" — {s('reason')}" if p.get("reason") else ""
        return [f"{head}decision: {s('verdict')} by {s('by')}{reason} (action {s('action_id')})"]
    if kind == "action.approved":
        return [f"{head}approved by {s('by')}; running (action {s('action_id')})"]
    if kind == "action.result":
        outcome = "done" if p.get("ok") is True else "FAILED"
        display = f" · {s('display')}" if p.get("display") else ""
        return [
            f"{head}{outcome}{display} (action {s('action_id')})",
            *_block(p.get("output"), cut),
        ]
    if kind == "action.error":
        return [f"{head}tool call refused · {s('tool')}: {s('message')}"]
    if kind == "turn.usage":
        cost = p.get("cost_usd")
        priced = f"${cost:.4f}" if isinstance(cost, int | float) else "cost unknown"
        tokens = f"{p.get('prompt_tokens', '?')}+{p.get('completion_tokens', '?')} tokens"
        return [f"{head}usage · {s('model')} · {_text(tokens, one_line=True)} · {priced}"]
    if kind == "turn.error":
        return [f"{head}turn failed ({s('error')}): {s('message')}"]
    if kind == "turn.end":
        return [f"{head}turn ended: {s('reason')}"]
    if kind == "grant.added":
        return [f"{head}allowed for this session: {s('label')} ({s('tool')}, rule {s('grant_id')})"]
    if kind == "grant.revoked":
        return [f"{head}rule {s('grant_id')} revoked"]
    return [head + _text(kind, one_line=True), *_block(json.dumps(p, ensure_ascii=False), cut)]


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
    console.print(f"journal {state}: {report.records} records, {report.blobs} blobs, {keyed}")
    if len(results) > 1:
        console.print(f"{len(results)} sessions checked, {len(broken)} altered")
    elif not results:
        console.print("no sessions to verify")
