"""MCP servers' tools as tools: ``link`` keeps one server's connection (the official ``mcp``
SDK on a thread of its own), ``tool`` plans and runs one remote tool like any other, and
``content`` makes a result readable and safe. Nothing here knows the agent, the journal or the UI.
"""

from tools.mcp.link import CallError, HttpSpec, LinkError, ServerLink, StdioSpec
from tools.mcp.tool import McpTool, qualified, schema_problem

__all__ = [
    "CallError",
    "HttpSpec",
    "LinkError",
    "McpTool",
    "ServerLink",
    "StdioSpec",
    "qualified",
    "schema_problem",
]
