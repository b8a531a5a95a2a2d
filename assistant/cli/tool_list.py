"""`assistant tool --list`: the built-in tools, then the tools of the MCP servers configured for
the workspace, each with its server and what the gate does with its calls.

A server's tools are known only by asking it, so the enabled servers are started (in parallel,
each within its start timeout) and stopped again; a disabled one is not started. The built-in
tools are printed first, so a server that fails or hangs never hides them; each server that
fails says why on stderr.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from assistant.cli.common import EXIT_FAILED, EXIT_OK, err, load_settings, out

if TYPE_CHECKING:
    from rich.console import Console

    from tools.base import Tool


def list_tools(args: argparse.Namespace, tools: Mapping[str, Tool]) -> int:
    """Print every tool; EXIT_FAILED when an enabled MCP server could not be asked for its."""
    console = out()
    for tool in tools.values():
        params = ", ".join(tool.parameters.get("properties", {}))
        console.print(f"{tool.name}({params})")
        # the whole description, as the model reads it (shell's lists its commands and flags)
        for line in (tool.description.strip() or "(no description)").splitlines():
            console.print("    " + line, soft_wrap=True)
    return _mcp_tools(args, console)


def _mcp_tools(args: argparse.Namespace, console: Console) -> int:
    from assistant.errors import SetupError
    from assistant.mcp.servers import McpServers
    from assistant.mcp.status import gate_word
    from assistant.runtime import open_workspace, session_policy, tool_context
    from assistant.secrets import SecretStore, redactor
    from tools.mcp import McpSettings

    settings = load_settings()
    configured = settings.for_tool(McpSettings)
    notes = err()
    for name, cfg in configured.servers.items():
        if not cfg.enabled:
            notes.print(f"assistant: MCP server {name} is disabled: its tools are not listed")
    if not any(cfg.enabled for cfg in configured.servers.values()):
        return EXIT_OK
    try:
        ws = open_workspace(args.workspace)
    except SetupError as exc:
        notes.print(f"assistant: the MCP servers were not started: {exc}")
        return EXIT_FAILED
    red = redactor()
    servers = McpServers(configured, SecretStore(settings.keyring_timeout), red, ws.root)
    # the gate's own policy for this workspace: the deny rules and the rules saved here
    policy = session_policy(settings, (), ws.root)
    ctx = tool_context(settings, ws, None, None)
    try:
        servers.start()
        failed = False
        for name, entry in servers.entries.items():
            if entry.state == "failed":
                failed = True
                notes.print(
                    red.redact_text(
                        f"assistant: MCP server {name} {entry.reason}; its tools are not listed"
                    )
                )
                continue
            for tool in sorted(entry.tools.values(), key=lambda t: t.name):
                params = ", ".join(tool.parameters.get("properties", {}))
                gate = gate_word(tool, policy, ctx)
                console.print(
                    red.redact_text(f"{tool.name}({params})  [MCP server {name} · {gate}]")
                )
                about = tool.description.removeprefix(f"[MCP server {name}]")
                console.print(red.redact_text("    " + _first_line(about)))
            for why in entry.skipped:
                notes.print(red.redact_text(f"assistant: MCP server {name}: skipped {why}"))
    finally:
        servers.close()
    return EXIT_FAILED if failed else EXIT_OK


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else "(no description)"
