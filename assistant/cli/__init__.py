"""The `assistant` command: the app by default, and sub-commands for headless work.

`assistant [--model M] [--api-base URL] [--workspace DIR]` opens the app.

Exit codes (also in the README):
  0  success
  1  the work failed: a tool failed, the model returned an error, a check did not pass
  2  usage or configuration error (bad flags, bad config, unknown session)
  3  an action was denied (by a person, a rule or the approval mode)
  4  the model could not be used: no model configured, bad API key, quota
  5  `recipe run`: a live step needed a person and none was at the terminal
  130 interrupted (Ctrl+C)
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant import __version__

if TYPE_CHECKING:
    from assistant.ui.app import AssistantApp

#: Sub-command modules, imported only to build the parser; each defines ``add_parser(sub)``
#: which registers its commands with ``set_defaults(func=...)``. Heavy imports stay inside
#: the handlers so `--help` is instant.
COMMAND_MODULES = (
    "run",
    "tool",
    "history",
    "keys",
    "config_cmd",
    "undo",
    "export_cmd",
    "import_cmd",
    "recipe_cmd",
    "mcp_cmd",
    "rules_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="A terminal assistant where a model calls sandboxed tools and you approve every change.",
        epilog="Run `assistant COMMAND --help` for a command's options. Exit codes: 0 ok, 1 failed, "
        "2 usage/config error, 3 denied, 4 model unavailable, 5 a recipe's live step needed a "
        "person and none was there, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"assistant {__version__}")
    add_app_options(parser.add_argument_group("the app (no COMMAND)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:  # a missing module is a broken install: it must say so
        importlib.import_module(f"assistant.cli.{name}").add_parser(sub)
    return parser


def add_app_options(group: argparse._ActionsContainer) -> None:
    group.add_argument(
        "--model", dest="app_model", metavar="MODEL", help="a litellm model string for the app"
    )
    group.add_argument(
        "--api-base",
        dest="app_api_base",
        metavar="URL",
        help="base URL of an OpenAI-compatible or local server",
    )
    group.add_argument(
        "--workspace",
        dest="app_workspace",
        metavar="DIR",
        help="folder the tools work in (default: the current folder)",
    )


def app_only_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """`assistant [--model M] [--api-base URL] [--workspace DIR]` parsed without importing every
    sub-command (the app's first frame comes sooner); None when argv holds anything else."""
    parser = argparse.ArgumentParser(prog="assistant", add_help=False, exit_on_error=False)
    add_app_options(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):
        return None
    return None if rest else args


def main(argv: Sequence[str] | None = None) -> int:
    args = app_only_args(sys.argv[1:] if argv is None else argv)
    if args is None:
        args = build_parser().parse_args(argv)
    if not getattr(args, "func", None):
        args.func = open_app
    from assistant.cli.common import run_command

    return run_command(args)


def app_class() -> type[AssistantApp]:
    """The app, imported only now (so --help stays instant) and with the garbage collector off.

    Until litellm is in, a launch makes only objects that live as long as the app (Textual,
    the tools, litellm's 400,000): the collector's passes over them free nothing and would
    delay a prompt typed at launch. The app's preload switches it back on once litellm is in.
    """
    gc.disable()
    from assistant.ui.app import AssistantApp

    return AssistantApp


def open_app(args: argparse.Namespace) -> int:
    """`assistant` with no command: the Textual app."""
    from pathlib import Path

    from assistant.cli.common import CommandError, err, load_settings

    if args.app_workspace:  # said here, at once, not inside an app that cannot start a session
        root = Path(args.app_workspace).expanduser()
        if not root.is_dir():
            why = "not a folder" if root.exists() else "No such file or directory"
            raise CommandError(f"workspace {args.app_workspace}: {why}")
    app = app_class()(
        load_settings(),
        model=args.app_model,
        api_base=args.app_api_base,
        workspace=args.app_workspace,
    )
    app.run()
    if app.exit_note:
        err().print(f"assistant: {app.exit_note}")
    return int(app.return_code or 0)


if __name__ == "__main__":
    sys.exit(main())
