"""`assistant recipe run|show|test FILE`: re-run a recipe (or preview it with --dry-run), print
its parameters and steps, or test it against its fixtures with no network, model or prompts."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from assistant import present
from assistant.cli.common import (
    EXIT_DENIED,
    EXIT_FAILED,
    EXIT_MODEL,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    err,
    load_settings,
)

if TYPE_CHECKING:
    from assistant.agent.approval import Approver
    from assistant.agent.model import Model
    from assistant.config import Settings
    from assistant.recipes import Recipe

EXIT_ESCALATED = 5
"""A live step failed, went over its bounds or missed its expectation, and no person was at a
terminal to choose retry, skip or stop."""

RUN_HELP = (
    "Run the recipe's steps in order as a new journaled session linked to the recipe and its "
    "source session. Tool steps are replayed exactly as recorded (unless a parameter changes "
    "them) through the same gate: reads run, writes are previewed and asked for. Live steps "
    "ask the model to do one bounded task. A result that misses the step's expectations is "
    "shown; at a terminal you choose to continue or stop, --keep-going continues, and "
    "otherwise the run stops. The file is read as data, never executed. Exit codes: 0 done, "
    "1 a step failed or differed and the run stopped, 2 bad recipe or parameters, 3 a step was "
    "denied, 4 no model for a live step, 5 a live step needed a person and none was there."
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "recipe",
        help="run, show or test a recipe made with `assistant export ID --format recipe`",
        description="Recipes (NAME.recipe.toml) re-run a session's approved actions through "
        "the same tools, policy and approvals; they are data files, never executed.",
    )
    rs = p.add_subparsers(dest="recipe_command", metavar="SUBCOMMAND", required=True)
    r = rs.add_parser("run", help="run (or with --dry-run, preview) a recipe", description=RUN_HELP)
    r.add_argument("file", metavar="FILE", help="the recipe file (NAME.recipe.toml)")
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="plan every step against today's files and show each preview; run nothing",
    )
    _param_option(r)
    r.add_argument(
        "--approve",
        choices=("ask", "never", "all"),
        default=None,
        help="ask: ask on this terminal for every write and egress (denied when stdin is not a "
        "terminal); never: deny them, and stop at the first difference; all: approve them "
        '(a step with confirm = "always" still asks a person). Default: ask, or `approve` in '
        "the config.",
    )
    r.add_argument(
        "--keep-going",
        action="store_true",
        help="run on after a step fails or misses its expectations (without asking)",
    )
    r.add_argument(
        "--strict",
        action="store_true",
        help="also compare every recorded fact: response bodies and query results byte for byte",
    )
    r.add_argument("--workspace", metavar="DIR", help="folder the steps work in (default: here)")
    _allow_host_option(r)
    r.add_argument("--model", metavar="MODEL", help="the model for live steps (litellm name)")
    r.add_argument("--api-base", metavar="URL", help="base URL of the model's server")
    r.set_defaults(func=run)

    s = rs.add_parser("show", help="print a recipe's parameters and steps")
    s.add_argument("file", metavar="FILE", help="the recipe file (NAME.recipe.toml)")
    s.set_defaults(func=show)

    t = rs.add_parser(
        "test",
        help="test a recipe against its fixtures (no network, no model, no prompts)",
        description="Run the recipe in a temporary copy of its fixtures' input files, with HTTP "
        "answered from the recorded responses; check every step's expectations and every output "
        "file against the recorded bytes. One line per check. Exit codes: 0 passed, 1 failed, "
        "2 bad recipe or fixtures.",
    )
    t.add_argument("file", metavar="FILE", help="the recipe file (NAME.recipe.toml)")
    t.add_argument(
        "--fixtures",
        metavar="DIR",
        help="the fixtures folder (default: NAME.fixtures beside NAME.recipe.toml)",
    )
    t.add_argument("--strict", action="store_true", help="also compare every recorded fact")
    t.add_argument("--junit", metavar="FILE", help="also write the outcome as JUnit XML")
    t.set_defaults(func=test)


def _param_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a parameter (repeatable); `assistant recipe show FILE` lists them",
    )


def _allow_host_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="let the HTTP tool reach this loopback/private host:port (repeatable)",
    )


def _clean(text: str) -> str:
    from tools.base import escape_text

    return escape_text(text)


def _say(line: str) -> None:
    print(line, flush=True)


def _load(path: str) -> Recipe:
    from assistant.recipes import RecipeError, load_recipe

    try:
        return load_recipe(path)
    except RecipeError as exc:
        raise CommandError(_clean(str(exc))) from None


def show(args: argparse.Namespace) -> int:
    from assistant.recipes import show as lines_of

    for line in lines_of(_load(args.file)):
        _say(line)
    return EXIT_OK


def test(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant.recipes import RecipeError, default_fixtures_dir, junit, run_recipe_test

    settings = load_settings()
    recipe = _load(args.file)
    folder = Path(args.fixtures) if args.fixtures else default_fixtures_dir(args.file)
    try:
        result = asyncio.run(
            run_recipe_test(
                recipe, folder, settings, strict=args.strict,
                recipe_path=str(Path(args.file).resolve()), say=_say,
            )
        )  # fmt: skip
    except RecipeError as exc:
        raise CommandError(_clean(str(exc))) from None
    if args.junit:
        try:
            Path(args.junit).write_text(junit(result, Path(args.file).name), encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {args.junit}: {exc.strerror}", EXIT_FAILED) from None
    return EXIT_OK if result.passed else EXIT_FAILED


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from assistant.errors import SetupError
    from assistant.recipes import NeedsModel, RecipeError, parse_overrides

    settings = load_settings()
    if args.model or args.api_base:
        settings = dataclasses.replace(
            settings,
            model=args.model or settings.model,
            api_base=args.api_base or settings.api_base,
        )
    recipe = _load(args.file)
    try:
        overrides = parse_overrides(args.param)
        if args.dry_run:
            return asyncio.run(_dry_run(args, settings, recipe, overrides))
        return asyncio.run(_run(args, settings, recipe, overrides))
    except NeedsModel as exc:
        raise CommandError(_clean(str(exc)), EXIT_MODEL) from None
    except RecipeError as exc:
        raise CommandError(_clean(str(exc))) from None
    except SetupError as exc:
        raise CommandError(
            _clean(str(exc)), EXIT_MODEL if exc.model_problem else EXIT_USAGE
        ) from None


async def _dry_run(
    args: argparse.Namespace, settings: Settings, recipe: Recipe, overrides: dict[str, str]
) -> int:
    from assistant.recipes import dry_run

    problems = await dry_run(
        recipe, settings, overrides=overrides, workspace=args.workspace,
        allow_hosts=args.allow_host, say=_say,
    )  # fmt: skip
    return EXIT_FAILED if problems else EXIT_OK


class ConsolePerson:
    """The person at this terminal: decides actions (the console approver) and answers a run's
    questions: continue or stop after a difference; retry, skip or stop a live step."""

    def __init__(self, write: Callable[[str], None], approver: Approver | None = None) -> None:
        from assistant.agent.approval import ConsoleApprover

        self._write = write
        self.approver: Approver = approver or ConsoleApprover(write)

    async def choose(self, question: str, choices: Mapping[str, str]) -> str:
        keys = "/".join(choices)
        self._write(f"  {question}   " + "   ".join(f"[{k}] {v}" for k, v in choices.items()))
        while True:
            try:
                answer = (await asyncio.to_thread(input, f"  {keys}> ")).strip().lower()
            except EOFError:
                return list(choices)[-1]  # the terminal went away: the safe choice, stop
            if answer in choices:
                return answer
            self._write(f"  please answer {' or '.join(choices)}")


async def _run(
    args: argparse.Namespace, settings: Settings, recipe: Recipe, overrides: dict[str, str]
) -> int:
    from pathlib import Path

    from assistant.agent.approval import ConsoleApprover
    from assistant.cli.render import ConsoleRenderer
    from assistant.cli.session_args import choose_approver
    from assistant.recipes import Options, run

    renderer = ConsoleRenderer(sys.stdout)  # a recipe run's report is its output
    mode = args.approve or settings.approve
    approver = choose_approver(mode, renderer.write)
    person = None
    if mode != "never" and sys.stdin is not None and sys.stdin.isatty():
        shared = approver if isinstance(approver, ConsoleApprover) else None
        person = ConsolePerson(renderer.write, shared)

    def model() -> Model:
        from assistant.runtime import build_model

        return build_model(settings)

    report = await run(
        recipe,
        settings,
        Options(
            approver=approver,
            person=person,
            keep_going=args.keep_going,
            strict=args.strict,
            model=model,
            overrides=overrides,
            workspace=args.workspace,
            allow_hosts=args.allow_host,
            listeners=[renderer],
            recipe_path=str(Path(args.file).resolve()),
            say=renderer.write,
        ),
    )
    if report.message:
        err().print(f"assistant: {_clean(report.message)}")
    differed = f", {len(report.differed)} differed from the recipe" if report.differed else ""
    renderer.write(
        f"\nrecipe {report.status}: {present.plural(report.ran, 'step')} ran{differed};"
        f" session {report.session_id}"
    )
    codes = {"done": EXIT_OK, "denied": EXIT_DENIED, "escalated": EXIT_ESCALATED}
    return codes.get(report.status, EXIT_FAILED)
