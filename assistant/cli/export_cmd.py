"""`assistant export SESSION --format md|html|jsonl|recipe`: a redacted transcript or a recipe."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from assistant.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError, open_journal

FORMATS = ("md", "html", "jsonl", "recipe")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="write a session as Markdown, HTML, JSONL or a re-runnable recipe",
        description="Export a session, redacted: md and html are readable transcripts, jsonl is "
        "the raw event stream (`assistant import` loads it back), recipe is a Python script that "
        "re-runs the approved actions with no model (`assistant recipe run`). "
        "Exit codes: 0 ok, 1 journal unusable, 2 unknown session or usage.",
    )
    p.add_argument("session", metavar="SESSION", help="session id or a unique prefix (4+ chars)")
    p.add_argument("--format", "-f", choices=FORMATS, default="md", help="default: md")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=run)


def write_private(path: Path, text: str, *, force: bool) -> None:
    """Write a new file readable by its owner only (transcripts are as private as the journal)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise CommandError(f"{path} exists; pass --force to replace it") from None
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}", EXIT_FAILED) from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def run(args: argparse.Namespace) -> int:
    from assistant.export import export_session
    from assistant.journal import JournalError, SessionLookupError
    from assistant.recipes import RecipeError

    try:
        journal = open_journal()
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    try:
        text = export_session(journal, args.session, args.format)
    except SessionLookupError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    except (JournalError, RecipeError) as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    finally:
        journal.close()
    if args.output:
        write_private(Path(args.output), text, force=args.force)
        from tools.base import escape_text

        size = len(text.encode())
        print(f"wrote {escape_text(args.output)} ({args.format}, {size:,} bytes)", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return EXIT_OK
