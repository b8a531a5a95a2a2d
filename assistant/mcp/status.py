"""What ``/mcp`` in the app and ``assistant mcp list`` show: each server's state and tools, and
for each tool whether it asks (the default) or runs as a read because the config says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.base import escape_text

if TYPE_CHECKING:
    from assistant.agent.policy import Policy
    from assistant.mcp.servers import McpServers
    from tools.base import ToolContext
    from tools.mcp import McpTool
    from tools.mcp.settings import McpSettings


def gate_word(tool: McpTool, policy: Policy | None = None, ctx: ToolContext | None = None) -> str:
    """What the gate does with every call of ``tool``, in a few words: "read (your config)"
    (it runs without asking) or "asks"; given the session's ``policy`` (and a ``ctx`` to plan
    in), its ruling itself: a deny rule or a saved rule covers every call alike, since the
    effect, the target and the scope of an MCP call do not depend on its arguments."""
    from assistant import present

    if policy is not None and ctx is not None:
        ruling = policy.decide(tool.plan({}, ctx))
        if ruling.kind == "deny":
            return f"denied ({escape_text(ruling.reason)})"
        if ruling.kind == "allow" and ruling.by.startswith("rule:"):
            return f"allowed by {escape_text(present.decider(ruling.by, rule=ruling.reason))}"
    return "read (your config)" if tool.read_only else "asks"


def _about(server: object) -> str:
    url = getattr(server, "url", None)
    if url:
        return "http: " + escape_text(str(url))
    words = [str(getattr(server, "command", "")), *getattr(server, "args", ())]
    text = escape_text(" ".join(words))
    return "stdio: " + (text if len(text) <= 80 else text[:79] + "…")


def status_lines(settings: McpSettings, servers: McpServers | None) -> list[str]:
    """Every configured server: its state (ready, failed and why, disabled, not started), its
    tools and what each one does at the gate; tools the server offered that were skipped, why."""
    from tools.mcp.tool import hints_line

    if not settings.servers:
        return [
            "no MCP servers configured: `assistant mcp add NAME -- COMMAND ARGS...`, "
            "`assistant mcp add NAME --url URL`, or `assistant mcp import FILE`"
        ]
    lines = []
    for name, cfg in settings.servers.items():
        entry = servers.entries.get(name) if servers is not None else None
        state = entry.state if entry is not None else ("enabled" if cfg.enabled else "disabled")
        if entry is not None and entry.state == "failed":
            state = f"FAILED: {entry.reason}"
        lines.append(f"{name}  {state} · {_about(cfg)}")
        if entry is None:
            continue
        for tool in sorted(entry.tools.values(), key=lambda t: t.name):
            gate = gate_word(tool)
            hints = hints_line(tool.hints).removeprefix("Declared by the server, not verified: ")
            lines.append(f"    {tool.name}  {gate} · declared: {hints}")
        for why in entry.skipped:
            lines.append(f"    skipped {why}")
    return lines
