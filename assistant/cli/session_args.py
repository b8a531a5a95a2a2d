"""Options, approver choice and session start shared by the headless commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from assistant.agent.approval import Approver
    from assistant.cli.render import ConsoleRenderer, JsonRenderer
    from assistant.config import Settings
    from assistant.session import Session

    Renderer = ConsoleRenderer | JsonRenderer


def add_session_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace", metavar="DIR", help="folder the tools work in (default: the current folder)"
    )
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


def choose_approver(
    mode: str, write: Callable[[str], None], prompt_to: TextIO | None = None
) -> Approver:
    from assistant.agent.approval import ConsoleApprover, ModeApprover

    if mode == "ask":
        if not sys.stdin or not sys.stdin.isatty():
            return ModeApprover("headless")
        return ConsoleApprover(write, prompt_to=prompt_to)
    if mode in ("never", "all"):
        return ModeApprover(mode)  # type: ignore[arg-type]
    raise ValueError(mode)


def open_session(
    args: argparse.Namespace,
    settings: Settings,
    *,
    resume: str | None = None,
    **options: Any,
) -> tuple[Session, Renderer]:
    """Open a journaled session for a headless command (``options`` as ``Session`` takes them):
    the renderer its --json asks for, the approver its --approve asks for, and one clear line
    (exit 2) when it cannot start or ``resume`` is refused by the resume rule."""
    from assistant import present
    from assistant.cli.common import CommandError
    from assistant.cli.render import ConsoleRenderer, JsonRenderer, WaitLine, json_line
    from assistant.errors import SetupError
    from assistant.session import Session

    renderer: Renderer = JsonRenderer() if args.json else ConsoleRenderer()
    notice = renderer if isinstance(renderer, ConsoleRenderer) else ConsoleRenderer(sys.stderr)
    approver = choose_approver(args.approve or settings.approve, notice.write, notice.notes)
    session = Session(settings, **options)
    waiting = WaitLine()  # MCP servers start as the session opens: said on a terminal
    starting = _servers_started(settings, options.get("mcp"))
    if starting:
        waiting.status(present.starting(starting))
    try:
        rt = session.open(approver, [renderer], resume=resume)
    except SetupError as exc:
        raise CommandError(str(exc)) from None
    finally:
        waiting.clear()
    if isinstance(renderer, JsonRenderer):  # the first line names the session, so a script
        renderer.stream.write(  # can find it in history, export it or add to it
            json_line(
                {
                    "kind": "session",
                    "session_id": rt.session_id,
                    "resumed": bool(resume),
                    "workspace": str(rt.gate.ctx.workspace.root),
                    "model": settings.model,
                }
            )
            + "\n"
        )
        renderer.stream.flush()
    return session, renderer


def _servers_started(settings: Settings, mcp: Any) -> list[str]:
    """The MCP servers a session opened with ``mcp`` (an McpStart) waits for."""
    from assistant.mcp.servers import enabled_among
    from tools.mcp import McpSettings

    if mcp is None or mcp.background:
        return []
    return enabled_among(settings.for_tool(McpSettings).servers, mcp.names)
