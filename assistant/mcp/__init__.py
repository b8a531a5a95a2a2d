"""MCP servers as a source of tools: their configuration (``settings``), their lifecycle for a
session (``servers``), and what ``/mcp`` and ``assistant mcp list`` show (``status``).

Importing this package is cheap: the SDK is imported only when a server starts.
"""
