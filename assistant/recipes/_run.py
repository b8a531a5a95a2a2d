"""Running a recipe: every step through the real gate in a journaled session linked to its source,
or (dry run) each step planned against today's files and its preview shown, nothing run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.recipes._expect import differences, observe
from assistant.recipes._params import ARG_CONTEXTS
from assistant.recipes._source import Recipe, RecipeError, Step
from assistant.recipes._template import NAME, TemplateError, check_value, fill_args
from tools.base import Action, Effect, Tool, ToolContext, ToolError, escape_text, validate_args

if TYPE_CHECKING:
    from assistant.agent.approval import Approver
    from assistant.agent.session import Listener
    from assistant.config import Settings

Say = Callable[[str], None]
TAGS = {"read": "READ", "write": "WRITE", "egress": "EGRESS"}


@dataclass
class RunReport:
    """How a real run went: ``status`` is done, stopped, denied or failed."""

    session_id: str | None
    status: str = "done"
    ran: int = 0
    differed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    message: str = ""


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """--param NAME=VALUE strings -> a dict; RecipeError names a malformed one."""
    out: dict[str, str] = {}
    for raw in pairs:
        name, sep, value = raw.partition("=")
        name = name.strip()
        if not sep or not NAME.fullmatch(name):
            raise RecipeError(
                f"--param {escape_text(raw)!r}: expected NAME=VALUE, e.g. output_csv=out.csv"
            )
        out[name] = value
    return out


def resolve_params(recipe: Recipe, overrides: Mapping[str, str]) -> dict[str, str]:
    """The recipe's defaults with the person's overrides; unknown names are an error, not ignored."""
    unknown = sorted(set(overrides) - set(recipe.params))
    if unknown:
        known = ", ".join(sorted(recipe.params)) or "none"
        raise RecipeError(f"unknown parameter(s) {', '.join(unknown)}; this recipe has: {known}")
    values = {**recipe.params, **overrides}
    for name, value in overrides.items():
        try:
            check_value(name, value)
        except TemplateError as exc:
            raise RecipeError(str(exc)) from None
    return values


def fill_steps(recipe: Recipe, values: Mapping[str, str]) -> list[tuple[Step, dict[str, Any]]]:
    """Every step's concrete arguments, all checked before the first step runs."""
    out = []
    for step in recipe.steps:
        try:
            args = fill_args(step.args, values, ARG_CONTEXTS.get(step.tool, {}))
        except TemplateError as exc:
            raise RecipeError(f"step {step.number} ({step.tool}): {exc}") from None
        out.append((step, args))
    return out


def _check_tools(recipe: Recipe, tools: Mapping[str, Tool]) -> None:
    for step in recipe.steps:
        if step.tool not in tools:
            raise RecipeError(
                f"step {step.number}: unknown tool {step.tool!r}; the tools are: {', '.join(sorted(tools))}"
            )


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


def _hosts(action: Action) -> set[str]:
    return {t[5:] for t in action.targets if t.startswith("host:")}


def _params_lines(recipe: Recipe, values: Mapping[str, str]) -> list[str]:
    lines = []
    for name, value in values.items():
        mark = "  (given)" if value != recipe.params.get(name) else ""
        lines.append(f"  {name} = {escape_text(value)}{mark}")
    return lines


# -- dry run -------------------------------------------------------------------------------------


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
    for a reason other than an earlier step's pending write. Nothing is run or journaled."""
    from assistant.runtime import open_workspace, parse_allow_hosts
    from assistant.secrets import ConfiguredSecrets, SecretStore, redactor
    from tools import all_tools

    tools = all_tools()
    _check_tools(recipe, tools)
    values = resolve_params(recipe, overrides or {})
    filled = fill_steps(recipe, values)
    ws = open_workspace(workspace)
    red = redactor()
    ctx = ToolContext(
        workspace=ws,
        secrets=ConfiguredSecrets(SecretStore(settings.keyring_timeout), settings.secrets, red),
        private_allow=parse_allow_hosts([*settings.allow_hosts, *allow_hosts]),
        settings=settings.http,
        read_blob=_lazy_blob_reader(),
    )
    say(
        f"dry run of {len(filled)} step(s) in {escape_text(str(ws.root))}: nothing is run or changed"
    )
    if values:
        say("parameters:")
        for line in _params_lines(recipe, values):
            say(line)
    pending: dict[str, int] = {}  # path -> the step that would write it first
    problems = 0
    for step, args in filled:
        tool = tools[step.tool]
        say("")
        if step.flag:
            say(f"! step {step.number} is flagged: {escape_text(step.flag)}")
        try:
            action = await asyncio.to_thread(tool.plan, validate_args(tool.parameters, args), ctx)
        except ToolError as exc:
            say(
                f"step {step.number} · {step.tool}: cannot be planned now: {escape_text(red.redact_text(str(exc)))}"
            )
            text = json.dumps(args, ensure_ascii=False)
            waits = [p for p in pending if p in text]
            for path in waits:
                say(
                    f"  note: it uses {escape_text(path)}, which step {pending[path]} would write first;"
                )
                say("        a real run plans it after that write")
            problems += 0 if waits else 1
            continue
        tag = TAGS.get(action.effect.value, action.effect.value.upper())
        say(f"step {step.number} · {tag} {action.tool}: {escape_text(action.summary)}")
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
        ctx.allowed_hosts |= _hosts(action)  # as approving it would, so later GETs plan as reads
    say("")
    say(
        f"dry run done: {len(filled) - problems} of {len(filled)} step(s) planned"
        + (f"; {problems} cannot be planned as things are now" if problems else "")
    )
    return problems


def _lazy_blob_reader() -> Callable[[str], bytes]:
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


# -- real run ------------------------------------------------------------------------------------


def _linked_session(
    settings: Settings,
    recipe: Recipe,
    values: Mapping[str, str],
    ws_root: str,
    recipe_path: str | None,
) -> str:
    """Create the run's session with ``parent`` = the source session when this journal has it."""
    from assistant import paths
    from assistant.journal import Journal, SessionLookupError
    from assistant.secrets import redactor

    source = recipe.info.get("source_session")
    meta = {
        "recipe": {
            "path": recipe_path,
            "sha256": recipe.sha256,
            "source_session": source if isinstance(source, str) else None,
            "params": dict(values),
            "given": sorted(k for k, v in values.items() if v != recipe.params.get(k)),
        }
    }
    name = Path(recipe_path).name if recipe_path else "recipe"
    with Journal(paths.journal_file(), redact=redactor().redact) as journal:
        parent = None
        if isinstance(source, str) and source:
            try:
                parent = journal.get_session(source).id
            except SessionLookupError:
                parent = None  # a recipe shared from another machine: the link is kept in meta
        return journal.create_session(
            model=None, workspace=ws_root, title=f"recipe {name}"[:80], parent=parent, meta=meta
        )


async def run(
    recipe: Recipe,
    settings: Settings,
    *,
    approver: Approver,
    overrides: Mapping[str, str] | None = None,
    workspace: str | Path | None = None,
    allow_hosts: Iterable[str] = (),
    listeners: Iterable[Listener] = (),
    keep_going: bool = False,
    recipe_path: str | None = None,
    say: Say = print,
) -> RunReport:
    """Run the steps in order through plan → policy → approver → journal → run.

    A denied step ends the run (later steps were recorded after it ran). A step that fails, or
    a write whose result differs from the recording, stops the run before the next write unless
    ``keep_going``; a read that differs is reported and the run goes on.
    """
    from assistant.agent import events as ev
    from assistant.runtime import open_workspace, parse_allow_hosts, start_session
    from tools import all_tools

    tools = all_tools()
    _check_tools(recipe, tools)
    values = resolve_params(recipe, overrides or {})
    filled = fill_steps(recipe, values)
    ws = open_workspace(workspace)
    parse_allow_hosts(allow_hosts)  # a bad --allow-host fails before a session is created
    session_id = _linked_session(settings, recipe, values, str(ws.root), recipe_path)
    rt = start_session(
        settings,
        approver=approver,
        tools=tools,
        workspace=ws.root,
        allow_hosts=allow_hosts,
        listeners=listeners,
        resume=session_id,
    )
    report = RunReport(rt.session_id)
    say(
        f"recipe run: session {rt.session_id[:8]} · {len(filled)} step(s) · {escape_text(str(ws.root))}"
    )
    for line in _params_lines(recipe, values):
        say(line)
    blocked: str | None = None
    try:
        for step, args in filled:
            tool = tools[step.tool]
            effect = await _planned_effect(tool, args, rt.gate.ctx)
            if blocked and not keep_going and effect in (None, Effect.WRITE):
                report.status = "stopped"
                report.message = (
                    f"stopped before step {step.number}: {blocked}; --keep-going runs on"
                )
                break
            say(f"\nstep {step.number}/{len(filled)}")
            if step.flag:
                say(f"! flagged: {escape_text(step.flag)}")
            outcome = await rt.gate.execute(step.tool, args, f"recipe-step-{step.number}")
            if outcome.status == "denied":
                report.status = "denied"
                report.message = f"step {step.number} was denied; the run stops here"
                break
            if outcome.status == "error":
                say(f"! step {step.number} could not run: {escape_text(outcome.text)}")
                report.failed.append(step.number)
                blocked = blocked or f"step {step.number} could not run"
                continue
            report.ran += 1
            result = outcome.result
            data = (
                rt.redactor.redact(json.loads(json.dumps(dict(result.data), default=str)))
                if result
                else {}
            )
            seen = observe(step.tool, outcome.status == "done", outcome.text, data)
            diffs = differences(step.expect, seen)
            if outcome.status == "failed":
                report.failed.append(step.number)
                blocked = blocked or f"step {step.number} failed"
            if diffs:
                report.differed.append(step.number)
                say(
                    f"! step {step.number} differs from the recording: {escape_text('; '.join(diffs))}"
                )
                if effect is Effect.WRITE:
                    blocked = blocked or f"step {step.number}, a write, came out differently"
            elif step.expect:
                say(f"  = step {step.number} as recorded")
        else:
            if report.failed:
                report.status = "failed"
                report.message = f"step(s) {', '.join(map(str, report.failed))} failed"
        if report.status != "done":
            rt.log.emit(ev.TurnError(report.message, "recipe"))
        rt.log.emit(ev.TurnEnd("done" if report.status == "done" else report.status))
    finally:
        rt.journal.close()
    return report


async def _planned_effect(tool: Tool, args: dict[str, Any], ctx: ToolContext) -> Effect | None:
    """What the step would do now (the gate plans it again before it runs); None if unplannable."""
    try:
        action = await asyncio.to_thread(tool.plan, validate_args(tool.parameters, args), ctx)
    except ToolError:
        return None
    return action.effect
