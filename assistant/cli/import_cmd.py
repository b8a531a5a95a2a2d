"""`assistant import FILE`: load a JSONL session export as a read-only session, chain verified."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant import present
from assistant.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError, open_journal


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import",
        help="load a session exported with --format jsonl (read-only, chain verified)",
        description="Verify the file's hash chain and store it as a new read-only session, in "
        "one transaction, its read-only flag chained with it (it can be shown, searched, "
        "exported and made into a recipe; never resumed or undone). A session this journal "
        "already holds, or imported before, is refused. Exit codes: 0 imported, 1 refused (the "
        "chain or the format does not hold, or a duplicate), 2 usage.",
    )
    p.add_argument("file", metavar="FILE", help="a .jsonl export ('-' reads stdin)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.export import ImportRefused, import_jsonl
    from assistant.journal import JournalError
    from tools.base import escape_text

    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise CommandError(
                f"cannot read {escape_text(args.file)}: {exc.strerror}", EXIT_USAGE
            ) from None
    try:
        journal = open_journal()
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    try:
        result = import_jsonl(journal, data)
    except ImportRefused as exc:
        raise CommandError(f"not imported: {escape_text(str(exc))}", EXIT_FAILED) from None
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    finally:
        journal.close()
    if args.json:
        print(json.dumps({**result.__dict__, "verified": True}, ensure_ascii=True))
        return EXIT_OK
    print(
        f"imported session {result.session_id} from {result.source_session}: "
        f"{present.plural(result.events, 'event')}, hash chain verified; read-only"
    )
    if result.redacted:
        print(
            f"note: {present.plural(result.redacted, 'event')} held known secret values, now"
            " marked as raw secret values"
        )
    return EXIT_OK
