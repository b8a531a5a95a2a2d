"""Options and approver choice shared by `assistant run` and `assistant tool`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.agent.approval import Approver


def add_session_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", metavar="DIR", help="folder the tools work in (default: the current folder)")
    parser.add_argument(
        "--approve",
        choices=("ask", "never", "all"),
        default=None,
        help="ask: ask on this terminal for every write and egress (denied when stdin is not a "
        "terminal); never: deny them; all: approve them (recorded as '--approve all'). "
        "Reads always run. Default: ask, or `approve` in the config.",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="let the HTTP tool reach this loopback/private host:port (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON event per line")


def choose_approver(mode: str, write: Callable[[str], None]) -> Approver:
    from assistant.agent.approval import ConsoleApprover, ModeApprover

    if mode == "ask":
        if not sys.stdin or not sys.stdin.isatty():
            return ModeApprover("headless")
        return ConsoleApprover(write)
    if mode in ("never", "all"):
        return ModeApprover(mode)  # type: ignore[arg-type]
    raise ValueError(mode)
