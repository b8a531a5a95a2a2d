"""The `assistant` command: the app by default, and sub-commands for headless work.

Exit codes (also in the README):
  0  success
  1  the work failed: a tool failed, the model returned an error, a check did not pass
  2  usage or configuration error (bad flags, bad config, unknown session)
  3  an action was denied (by a person, a rule or the approval mode)
  4  the model could not be used: no model configured, bad API key, quota
  130 interrupted (Ctrl+C)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from assistant import __version__

#: Sub-command modules, imported only to build the parser; each defines ``add_parser(sub)``
#: which registers its commands with ``set_defaults(func=...)``. Heavy imports stay inside
#: the handlers so `--help` is instant.
COMMAND_MODULES = ("run", "tool", "history", "keys", "config_cmd", "undo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="A terminal assistant where a model calls sandboxed tools and you approve every change.",
        epilog="Run `assistant COMMAND --help` for a command's options. Exit codes: 0 ok, 1 failed, "
        "2 usage/config error, 3 denied, 4 model unavailable, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"assistant {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"assistant.cli.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet must not break the others
            if exc.name != f"assistant.cli.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from assistant.cli.common import run_command

    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
