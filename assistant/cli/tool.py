"""`assistant tool NAME ARGS_JSON`: one tool by hand, through the same plan → policy → approver →
journal path as the model's calls (no model involved)."""

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
    load_settings,
    out,
)
from assistant.cli.session_args import add_session_options, open_session

if TYPE_CHECKING:
    from assistant.config import Settings
    from tools.base import Tool


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "tool",
        help="run one tool by hand, with the same preview and approval",
        description='Run a tool with JSON arguments, e.g. assistant tool shell \'{"command": "ls -l"}\'. '
        "Exit codes: 0 done, 1 failed, 2 bad arguments, 3 denied.",
    )
    p.add_argument("name", nargs="?", help="tool name (see --list)")
    p.add_argument(
        "args", nargs="?", default="{}", help="arguments as a JSON object ('-' reads stdin)"
    )
    p.add_argument("--list", action="store_true", help="list the tools and their arguments")
    add_session_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tools import all_tools

    tools = all_tools()
    if args.list or not args.name:
        console = out()
        for tool in tools.values():
            params = ", ".join(tool.parameters.get("properties", {}))
            console.print(f"{tool.name}({params})")
            console.print("    " + tool.description.strip().splitlines()[0])
        return EXIT_OK if args.list else EXIT_USAGE
    from assistant.mcp.servers import server_of

    server = server_of(args.name)
    if args.name not in tools and server is None:
        raise CommandError(f"unknown tool {args.name!r}; the tools are: {', '.join(sorted(tools))}")
    raw = sys.stdin.read() if args.args == "-" else args.args
    settings = load_settings()
    import asyncio

    return asyncio.run(_run(args, settings, tools, raw))


async def _run(
    args: argparse.Namespace, settings: Settings, tools: dict[str, Tool], raw: str
) -> int:
    from assistant.cli.common import err
    from assistant.mcp.servers import McpStart, server_of
    from tools.mcp import McpSettings

    server = server_of(args.name)
    configured = settings.for_tool(McpSettings).servers
    if server is not None and server not in configured:
        known = ", ".join(sorted(configured)) or "none (`assistant mcp add`)"
        raise CommandError(
            f"{args.name!r}: no MCP server {server!r} is configured; the servers: {known}"
        )
    session, renderer = open_session(
        args,
        settings,
        tools=tools,
        workspace=args.workspace,
        allow_hosts=args.allow_host,
        title=f"tool {args.name} {raw}"[:80],
        mcp=McpStart(names=[server]) if server is not None else None,
    )
    try:
        rt = session.require()
        for note in rt.notes if server is not None else ():
            err().print(f"assistant: {note}")
        outcome = await rt.gate.execute(args.name, raw)
    finally:
        session.close()
    if not args.json and outcome.status == "done":
        renderer.show(outcome.text)  # type: ignore[union-attr]
    return {"done": EXIT_OK, "failed": EXIT_FAILED, "denied": EXIT_DENIED, "error": EXIT_USAGE}[
        outcome.status
    ]
