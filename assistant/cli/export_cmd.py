"""`assistant export SESSION --format md|html|jsonl|recipe`: a redacted transcript or a recipe."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import present
from assistant.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError, open_journal

if TYPE_CHECKING:
    from assistant.journal import Journal

FORMATS = ("md", "html", "jsonl", "recipe")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="write a session as Markdown, HTML, JSONL or a re-runnable recipe",
        description="Export a session, redacted: md and html are readable transcripts, jsonl is "
        "the raw event stream (`assistant import` loads it back), recipe is a TOML data file "
        "(NAME.recipe.toml) that re-runs the approved actions with no model (`assistant recipe "
        "run`), optionally with fixtures to test it (`assistant recipe test`). "
        "Exit codes: 0 ok, 1 journal unusable or fixtures not reproducible, 2 unknown session "
        "or usage.",
    )
    p.add_argument("session", metavar="SESSION", help="session id or a unique prefix (4+ chars)")
    p.add_argument("--format", "-f", choices=FORMATS, default="md", help="default: md")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--force", action="store_true", help="replace FILE (and DIR) if it exists")
    p.add_argument(
        "--with-fixtures",
        metavar="DIR",
        help="recipe only: also save the files the session read, the HTTP responses it got and "
        "the files it wrote in DIR, checked by replaying the recipe from them",
    )
    p.add_argument(
        "--live",
        action="append",
        default=[],
        metavar="STEP=PROMPT",
        help="recipe only: make recorded step STEP a live step the model does at run time "
        '(e.g. 4="Map the columns of ${input_csv} to region,total"); repeatable',
    )
    p.set_defaults(func=run)


def _live_steps(pairs: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for raw in pairs:
        number, sep, prompt = raw.partition("=")
        if not sep or not number.strip().isdigit() or not prompt.strip():
            raise CommandError(f'--live {raw!r}: expected STEP=PROMPT, e.g. 4="Map the columns"')
        out[int(number)] = prompt.strip()
    return out


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
    from assistant.recipes import LiveStepError, RecipeError

    if args.format != "recipe" and (args.with_fixtures or args.live):
        raise CommandError("--with-fixtures and --live go with --format recipe")
    live = _live_steps(args.live)
    for given in (args.output, args.with_fixtures):
        if given and Path(given).exists() and not args.force:
            raise CommandError(f"{given} exists; pass --force to replace it")
    try:
        journal = open_journal()
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    notes: list[str] = []
    try:
        if args.format == "recipe":
            text = _recipe(journal, args, live, notes)
        else:
            text = export_session(journal, args.session, args.format)
    except SessionLookupError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    except (JournalError, RecipeError) as exc:
        code = EXIT_USAGE if isinstance(exc, LiveStepError) else EXIT_FAILED
        raise CommandError(escape(str(exc)), code) from None
    finally:
        journal.close()
    if args.output:
        write_private(Path(args.output), text, force=args.force)
        from tools.base import escape_text

        size = len(text.encode())
        shown = f"{escape_text(args.output)} ({args.format}, {present.plural(size, 'byte')})"
        print(f"wrote {shown}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    for note in notes:
        print(note, file=sys.stderr)
    return EXIT_OK


def escape(text: str) -> str:
    from tools.base import escape_text

    return escape_text(text)


def _recipe(
    journal: Journal, args: argparse.Namespace, live: dict[int, str], notes: list[str]
) -> str:
    """The recipe text; with --with-fixtures, its fixtures saved (and checked) first."""
    import asyncio

    from assistant.cli.common import load_settings
    from assistant.recipes import make, save_fixtures

    made = make(journal, args.session, live=live)
    if args.with_fixtures:
        coro = save_fixtures(
            made, journal, load_settings(), Path(args.with_fixtures), force=args.force
        )
        notes += asyncio.run(coro)
    return made.text
