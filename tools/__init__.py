"""The sandboxed tools, registered by name for the model, `assistant tool` and the UI."""

from __future__ import annotations

from typing import Any

from tools.base import Tool


def builtin_tools() -> dict[str, Tool]:
    """Every tool the model may call, by name."""
    from tools.csv_files import CsvQueryTool, CsvReadTool, CsvWriteTool
    from tools.http_request import HttpRequestTool
    from tools.shell_lite import ShellTool

    tools: list[Tool] = [
        HttpRequestTool(),
        CsvReadTool(),
        CsvQueryTool(),
        CsvWriteTool(),
        ShellTool(),
    ]
    return {t.name: t for t in tools}


def all_tools() -> dict[str, Tool]:
    """The model's tools plus those only a person starts (restore, for undo)."""
    from tools.restore import RestoreTool

    tools = builtin_tools()
    restore = RestoreTool()
    tools[restore.name] = restore
    return tools


def settings_types() -> tuple[type[Any], ...]:
    """Each tool's settings class, read from the config table it names (``[http]``, ``[mcp]``).
    Only the settings modules are imported: reading the config loads no tool."""
    from tools.http_request.settings import HttpSettings
    from tools.mcp.settings import McpSettings

    return (HttpSettings, McpSettings)
