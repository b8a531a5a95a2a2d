"""`assistant recipe run FILE`: re-run a recipe's steps with no model, or preview them (--dry-run)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from assistant.cli.common import (
    EXIT_DENIED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    err,
    load_settings,
)

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.recipes import Recipe


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "recipe",
        help="run a recipe made with `assistant export ID --format recipe`",
        description="Recipes re-run a session's approved actions through the same tools, "
        "policy and approvals, with no model.",
    )
    rs = p.add_subparsers(dest="recipe_command", metavar="SUBCOMMAND", required=True)
    r = rs.add_parser(
        "run",
        help="run (or with --dry-run, preview) a recipe's steps",
        description="Run the recipe's steps in order as a new journaled session linked to its "
        "source. Writes are previewed and asked for as in a live session. The file is read as "
        "data, never executed. Exit codes: 0 done, 1 a step failed or the run stopped, "
        "2 bad recipe or parameters, 3 a step was denied.",
    )
    r.add_argument("file", metavar="FILE", help="the recipe file")
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="plan every step against today's files and show each preview; run nothing",
    )
    r.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter from the recipe's PARAMS (repeatable)",
    )
    r.add_argument(
        "--approve",
        choices=("ask", "never", "all"),
        default=None,
        help="ask: ask on this terminal for every write and egress (denied when stdin is not a "
        "terminal); never: deny them; all: approve them. Default: ask, or `approve` in the config.",
    )
    r.add_argument(
        "--keep-going",
        action="store_true",
        help="run on after a step fails or a write's result differs from the recording",
    )
    r.add_argument("--workspace", metavar="DIR", help="folder the steps work in (default: here)")
    r.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="let the HTTP tool reach this loopback/private host:port (repeatable)",
    )
    r.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from assistant.recipes import RecipeError, load_recipe, parse_overrides
    from assistant.runtime import SetupError

    settings = load_settings()
    try:
        recipe = load_recipe(args.file)
        overrides = parse_overrides(args.param)
        if args.dry_run:
            return asyncio.run(_dry_run(args, settings, recipe, overrides))
        return asyncio.run(_run(args, settings, recipe, overrides))
    except RecipeError as exc:
        raise CommandError(_clean(str(exc)), EXIT_USAGE) from None
    except SetupError as exc:
        raise CommandError(_clean(str(exc)), EXIT_USAGE) from None


def _clean(text: str) -> str:
    from tools.base import escape_text

    return escape_text(text).replace("\n", " ")


async def _dry_run(
    args: argparse.Namespace, settings: Settings, recipe: Recipe, overrides: dict[str, str]
) -> int:
    from assistant.recipes import dry_run

    problems = await dry_run(
        recipe,
        settings,
        overrides=overrides,
        workspace=args.workspace,
        allow_hosts=args.allow_host,
        say=_say,
    )
    return EXIT_FAILED if problems else EXIT_OK


async def _run(
    args: argparse.Namespace, settings: Settings, recipe: Recipe, overrides: dict[str, str]
) -> int:
    from pathlib import Path

    from assistant.cli.render import ConsoleRenderer
    from assistant.cli.session_args import choose_approver
    from assistant.recipes import run

    renderer = ConsoleRenderer()
    approver = choose_approver(args.approve or settings.approve, renderer.write)
    report = await run(
        recipe,
        settings,
        approver=approver,
        overrides=overrides,
        workspace=args.workspace,
        allow_hosts=args.allow_host,
        listeners=[renderer],
        keep_going=args.keep_going,
        recipe_path=str(Path(args.file).resolve()),
        say=renderer.write,
    )
    if report.message:
        err().print(f"assistant: {_clean(report.message)}")
    differed = f", {len(report.differed)} differed from the recording" if report.differed else ""
    renderer.write(
        f"\nrecipe {report.status}: {report.ran} step(s) ran{differed}; session {report.session_id}"
    )
    return {"done": EXIT_OK, "denied": EXIT_DENIED}.get(report.status, EXIT_FAILED)


def _say(line: str) -> None:
    print(line, flush=True)
    sys.stdout.flush()
