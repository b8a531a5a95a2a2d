"""MCP servers' tools as tools: ``link`` keeps one server's connection (the official ``mcp``
SDK on a thread of its own), ``tool`` plans and runs one remote tool like any other,
``content`` makes a result readable and safe, and ``settings`` is the [mcp] table. Nothing here
knows the agent, the journal or the UI.

The tool modules are imported on first use, so reading the settings (config) loads none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.mcp.settings import McpServer, McpSettings

if TYPE_CHECKING:
    from tools.mcp.link import CallError, HttpSpec, LinkError, ServerLink, StdioSpec
    from tools.mcp.tool import McpTool, qualified, schema_problem

__all__ = [
    "CallError",
    "HttpSpec",
    "LinkError",
    "McpServer",
    "McpSettings",
    "McpTool",
    "ServerLink",
    "StdioSpec",
    "qualified",
    "schema_problem",
]

_LAZY = {
    "CallError": "tools.mcp.link",
    "HttpSpec": "tools.mcp.link",
    "LinkError": "tools.mcp.link",
    "ServerLink": "tools.mcp.link",
    "StdioSpec": "tools.mcp.link",
    "McpTool": "tools.mcp.tool",
    "qualified": "tools.mcp.tool",
    "schema_problem": "tools.mcp.tool",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
