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
)
from assistant.cli.session_args import add_session_options, open_session

STDOUT_KEPT = 256 << 20
"""Bytes of a command's standard output `assistant tool` passes on whole (the model's share of
it stays at the shell tool's own output limit)."""

if TYPE_CHECKING:
    from collections.abc import Callable

    from assistant.agent.gate import CallOutcome
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
    p.add_argument(
        "--list",
        action="store_true",
        help="list the tools and their arguments, the configured MCP servers' tools too (each "
        "enabled server is started to ask it, then stopped; exit 1 when one fails)",
    )
    p.add_argument(
        "--raw",
        action="store_true",
        help="write a command's output to a file or pipe byte for byte even when it holds "
        "terminal control characters (a terminal always sees them escaped)",
    )
    p.add_argument(
        "--session",
        metavar="ID",
        help="add this call to an earlier session (id or unique prefix) as work done by hand, "
        "in that session's workspace unless --workspace says otherwise",
    )
    add_session_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tools import all_tools
    from tools.shell_lite import ShellLimits, ShellTool

    tools = all_tools()
    tools["shell"] = ShellTool(ShellLimits(stdout=STDOUT_KEPT))  # a person's pipe gets it all
    if args.list or not args.name:
        from assistant.cli.tool_list import list_tools

        listed = list_tools(args, tools)
        return listed if args.list else EXIT_USAGE
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
    workspace = args.workspace
    if args.session and not workspace:  # the named session's work stays in its own folder
        from assistant.cli.common import journal

        with journal() as j:
            workspace = j.get_session(args.session).workspace
    session, _ = open_session(
        args,
        settings,
        tools=tools,
        workspace=workspace,
        allow_hosts=args.allow_host,
        resume=args.session,
        mcp=McpStart(names=[server]) if server is not None else None,
    )
    try:
        rt = session.require()
        for note in rt.notes:
            err().print(f"assistant: {note}")
        outcome = await rt.gate.execute(args.name, raw)
        if not args.json and outcome.status in ("done", "failed"):
            _print_data(outcome, rt.redactor.redact_text, args.raw)
    finally:
        session.close()
    if outcome.by_rule:  # a deny rule refused it while planning: denied, not bad arguments
        return EXIT_DENIED
    return {"done": EXIT_OK, "failed": EXIT_FAILED, "denied": EXIT_DENIED, "error": EXIT_USAGE}[
        outcome.status
    ]


def _print_data(outcome: CallOutcome, redact: Callable[[str], str], raw: bool) -> None:
    """The tool's data on stdout, its notes on stderr. Into a file or a pipe a command's
    standard output goes byte for byte (`... > copy.csv` copies exactly) unless it holds
    characters a terminal acts on (escape sequences, bidi controls), which are escaped as on a
    terminal, and said, unless ``raw`` (--raw) asks for the bytes as they are. On a terminal
    everything is escaped. Secret values are replaced by "[raw value of secret NAME]" either
    way (never by a handle, which would read as if the tool had written one)."""
    from assistant.cli.common import err
    from tools.base import escape_text

    result = outcome.result
    data = result.stdout if result is not None else None
    notes: tuple[str, ...] = result.notes if result is not None else ()
    if data is None and outcome.status != "done":  # a failure's words are not data
        err().print(f"assistant: {escape_text(outcome.text)}")
        return
    if data is None:  # tools without a standard output: what the model read is the data
        text = outcome.text if outcome.text.endswith("\n") else outcome.text + "\n"
        data = text.encode("utf-8", "surrogateescape")
    # secrets: the same redactor as the journal; bytes that are not UTF-8 pass unchanged
    text = data.decode("utf-8", "surrogateescape")
    clean = redact(text)
    if clean != text:
        err().print(
            "assistant: a secret's raw value in the output was replaced by "
            "[raw value of secret NAME]"
        )
    exact = clean.encode("utf-8", "surrogateescape")
    to_terminal = sys.stdout.isatty()
    if not to_terminal and (raw or not _acts_on_terminal(clean)):
        sys.stdout.flush()
        sys.stdout.buffer.write(exact)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(escape_text(exact.decode("utf-8", "backslashreplace")))
        sys.stdout.flush()
        if not to_terminal:
            err().print(
                "assistant: the output holds characters a terminal acts on (escape sequences, "
                "bidi or zero-width controls): they were written escaped; --raw writes the "
                "bytes as they are"
            )
    for note in notes:
        for line in redact(note).splitlines():
            if line.strip():
                err().print(escape_text(line))


def _acts_on_terminal(text: str) -> bool:
    """Does ``text`` hold a character a terminal would act on or hide: C0 controls other than
    tab, newline and carriage return, DEL, C1 controls, bidi and zero-width format characters,
    line and paragraph separators? (A byte order mark and bytes that are not UTF-8 are data.)"""
    import unicodedata

    if text.isascii() and text.replace("\n", "").replace("\t", "").replace("\r", "").isprintable():
        return False
    for ch in text:
        if ch in "\n\t\r\ufeff" or "\udc80" <= ch <= "\udcff":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return True
    return False
