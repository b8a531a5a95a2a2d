"""A dry run: every step planned against today's files and its preview shown; nothing is run,
sent, changed or journaled. A live step is described (the model does it only in a real run)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import present
from assistant.recipes._fill import check_tools, fill_steps, resolve_params
from assistant.recipes._live import describe
from assistant.recipes._run import params_lines
from assistant.recipes._spec import Recipe
from tools.base import (
    Action,
    Effect,
    Tool,
    ToolError,
    approval_unlocks,
    escape_text,
    validate_args,
)

if TYPE_CHECKING:
    from assistant.config import Settings
    from tools.workspace import Workspace

Say = Callable[[str], None]


def written_paths(action: Action) -> list[str]:
    """Workspace paths a planned write would change (csv_write also lists the files it reads)."""
    if action.effect is not Effect.WRITE:
        return []
    data = action.preview.data
    if action.tool == "csv_write" and isinstance(data.get("files"), list):
        return [
            f["path"]
            for f in data["files"]
            if isinstance(f, dict) and isinstance(f.get("path"), str)
        ]
    if action.tool == "http_request":
        save = data.get("save_to")
        return (
            [save["path"]] if isinstance(save, dict) and isinstance(save.get("path"), str) else []
        )
    return [t[5:] for t in action.targets if t.startswith("path:")]


def blob_reader() -> Callable[[str], bytes]:
    """Stored before-images (for restore steps), read only if a step asks."""

    def read(digest: str) -> bytes:
        from assistant import paths
        from assistant.journal import Journal, JournalError

        try:
            with Journal(paths.journal_file()) as journal:
                return journal.get_blob(digest)
        except JournalError as exc:
            raise ToolError(str(exc)) from None

    return read


async def dry_run(
    recipe: Recipe,
    settings: Settings,
    *,
    overrides: Mapping[str, str] | None = None,
    workspace: str | Path | None = None,
    allow_hosts: Iterable[str] = (),
    say: Say = print,
) -> int:
    """Plan every step now and show its preview; returns how many steps could not be planned
    for a reason other than an earlier step's pending write. The MCP servers whose tools the
    steps call are started to learn their tools (nothing is called) and stopped after."""
    from assistant.recipes._mcp import needed_servers
    from assistant.runtime import open_workspace
    from assistant.secrets import SecretStore, redactor
    from tools import all_tools

    tools: Mapping[str, Tool] = all_tools()
    ws = open_workspace(workspace)
    servers = needed_servers(recipe, tools)
    if not servers:
        return await _dry_run(recipe, settings, tools, ws, overrides, allow_hosts, say)
    from assistant.mcp.servers import McpServers, ToolBox
    from tools.mcp import McpSettings

    store = SecretStore(settings.keyring_timeout)
    mcp = McpServers(settings.for_tool(McpSettings), store, redactor(), ws.root)
    try:
        for line in await asyncio.to_thread(mcp.start, servers):
            say(escape_text(line))
        return await _dry_run(
            recipe, settings, ToolBox(tools, mcp), ws, overrides, allow_hosts, say
        )
    finally:
        await asyncio.to_thread(mcp.close)


async def _dry_run(
    recipe: Recipe,
    settings: Settings,
    tools: Mapping[str, Tool],
    ws: Workspace,
    overrides: Mapping[str, str] | None,
    allow_hosts: Iterable[str],
    say: Say,
) -> int:
    from assistant.runtime import session_policy, tool_context
    from assistant.secrets import ConfiguredSecrets, SecretStore, redactor

    check_tools(recipe, tools)
    values = resolve_params(recipe, overrides or {})
    filled = fill_steps(recipe, values)
    red = redactor()
    secrets = ConfiguredSecrets(SecretStore(settings.keyring_timeout), settings.secrets, red)
    ctx = tool_context(settings, ws, secrets, blob_reader())
    policy = session_policy(settings, allow_hosts)
    ctx.unlocked = policy.unlocked
    say(
        f"dry run of {present.plural(len(filled), 'step')} in {escape_text(str(ws.root))}:"
        " nothing is run or changed"
    )
    if values:
        say("parameters:")
        for line in params_lines(recipe, values):
            say(line)
    pending: dict[str, int] = {}  # path -> the step that would write it first
    problems = 0
    for f in filled:
        step = f.step
        say("")
        if step.flag:
            say(f"! step {step.number} is flagged: {escape_text(step.flag)}")
        if step.kind == "live":
            confirm = " · a person confirms every action" if step.confirm == "always" else ""
            say(
                f"step {step.number} · LIVE ({', '.join(step.tools)};"
                f" at most {present.plural(step.max_calls, 'call')}){confirm}"
            )
            say("  │ " + "\n  │ ".join(escape_text(f.prompt).splitlines()))
            say(
                f"  the model does this step in a real run; it must produce {escape_text(describe(f.expect or {}))}"
            )
            if isinstance((f.expect or {}).get("file"), str):
                pending.setdefault(str(f.expect["file"]), step.number)  # type: ignore[index]
            continue
        tool = tools[step.tool]
        try:
            action = await asyncio.to_thread(tool.plan, validate_args(tool.parameters, f.args), ctx)
        except ToolError as exc:
            reason = escape_text(red.redact_text(str(exc)))
            say(f"step {step.number} · {step.tool}: cannot be planned now: {reason}")
            text = json.dumps(f.args, ensure_ascii=False, default=str)
            waits = [p for p in pending if p in text]
            for path in waits:
                say(
                    f"  note: it uses {escape_text(path)}, which step {pending[path]} would write first;"
                )
                say("        a real run plans it after that write")
            problems += 0 if waits else 1
            continue
        except Exception as exc:  # a tool's own bug: said, and the dry run goes on
            say(
                f"step {step.number} · {step.tool}: internal error while planning: {type(exc).__name__}"
            )
            problems += 1
            continue
        tag = present.effect_tag(action.effect.value)
        confirm = " · a person confirms it" if step.confirm == "always" else ""
        say(f"step {step.number} · {tag} {action.tool}: {escape_text(action.summary)}{confirm}")
        preview = escape_text(red.redact_text(action.preview.text))
        say("\n".join("  │ " + line for line in preview.splitlines()) or "  │ (no preview)")
        for target in action.targets:
            path = target[5:] if target.startswith("path:") else ""
            if path in pending:
                say(
                    f"  note: this uses {escape_text(path)}, which step {pending[path]} would write "
                    "first; the preview shows it as it is now"
                )
        if action.needs_person:
            say(f"  ! {escape_text(action.needs_person)}")
        for path in written_paths(action):
            pending.setdefault(path, step.number)
        for unlock in approval_unlocks(tool, action, "dry run"):  # as if it were approved
            policy.unlock(unlock, "dry run")
    say("")
    say(
        f"dry run done: {len(filled) - problems} of {present.plural(len(filled), 'step')} planned"
        + (f"; {problems} cannot be planned as things are now" if problems else "")
    )
    return problems
