"""`assistant history`: list, show, search and verify the sessions kept in the journal.

Everything shown comes from the journal and may hold model or tool text, so it is printed with
control sequences escaped (``escape_text``) and never as markup; ``--json`` prints JSON Lines
with non-ASCII escaped, which a terminal cannot interpret either.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant import present
from assistant.cli import common
from assistant.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError
from assistant.cli.history_show import show_session

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.journal import JournalReport, SessionInfo


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
    ls.add_argument(
        "--manual",
        action="store_true",
        help="only sessions with work done by hand (/tool in the app, `assistant tool`)",
    )
    ls.set_defaults(func=list_sessions)

    show = hs.add_parser("show", help="a session's prompts, answers and actions")
    show.add_argument("session", metavar="ID", help="session id or a unique prefix (4+ chars)")
    show.add_argument("--full", action="store_true", help="do not cut long previews and outputs")
    show.set_defaults(func=show_session)

    search = hs.add_parser("search", help="events whose text holds all the words")
    search.add_argument("text", nargs="+", metavar="TEXT", help="words every hit holds")
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
        "manual": args.manual,
    }
    with common.journal() as journal:
        rows = journal.sessions(limit=args.limit, offset=args.offset, **filters)
        total = journal.count_sessions(**filters) if not args.json else 0
    if args.json:
        for info in rows:
            common.jsonl(info.to_json())
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
            Text(common.shown(info.title or "(untitled)", one_line=True)),
            Text(common.shown(info.model or "–", one_line=True)),
            str(info.n_actions),
            str(info.n_writes),
            str(info.n_denied),
            str(info.n_errors),
            present.session_cost(info),
        )
    return table


# -- search and verify -----------------------------------------------------------------------


def search_events(args: argparse.Namespace) -> int:
    text = _needs_words(" ".join(args.text))
    with common.journal() as journal:
        hits = journal.search(text, limit=args.limit)
        titles = {sid: journal.get_session(sid).title for sid in {h.session_id for h in hits}}
    if args.json:
        for hit in hits:
            common.jsonl({**hit.to_json(), "title": titles.get(hit.session_id)})
        return EXIT_OK
    console = common.out()
    if not hits:
        console.print("no matches")
        return EXIT_OK
    from rich.text import Text

    for hit in hits:
        title = common.shown(titles.get(hit.session_id) or "(untitled)", one_line=True)
        console.print(Text(f"{hit.session_id[:8]} [{hit.seq}] {hit.kind} · {title}"))
        console.print(Text("    " + common.shown(hit.snippet, one_line=True)))
    return EXIT_OK


def verify_sessions(args: argparse.Namespace) -> int:
    with common.journal() as journal:
        if args.session:  # that session, and the journal-wide checks that bear on every one
            results = [journal.verify(args.session)]
            report = journal.verify_journal(sessions=False)
        else:
            report = journal.verify_journal()
            results = list(report.sessions)
    broken = [r for r in results if not r.ok]
    if args.json:
        for result in results:
            common.jsonl(result.to_json())
        common.jsonl(report.to_json())
    else:
        _print_verify(common.out(), report, results, broken)
    return EXIT_FAILED if broken or report.problems else EXIT_OK


def _print_verify(
    console: Console, report: JournalReport, results: list[Any], broken: list[Any]
) -> None:
    from rich.text import Text

    def line(text: str) -> None:
        console.print(Text(common.shown(text, one_line=True)))

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
