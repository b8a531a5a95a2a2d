"""Running a recipe: every step through the real gate in a journaled session linked to its
recipe and source session; each result checked against the step's expectations, a difference
shown, and the person (or the flags) deciding whether the run goes on.

Exit statuses: done, stopped (a difference or failure stopped it), denied (a step was denied),
escalated (a live step needed a person and none was there).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import present
from assistant.recipes import _expect
from assistant.recipes._fill import Filled, check_tools, fill_steps, resolve_params
from assistant.recipes._live import Person, attempt, step_gate
from assistant.recipes._spec import NeedsModel, Recipe, RecipeError
from tools.base import SecretSource, Tool, escape_text

if TYPE_CHECKING:
    from assistant.agent.approval import Approver
    from assistant.agent.event_log import Listener
    from assistant.agent.gate import Gate
    from assistant.agent.loop import ModelLike
    from assistant.config import Settings
    from assistant.session import Session

Say = Callable[[str], None]


@dataclass
class Options:
    """How to run: who approves, who answers questions, and what a difference does."""

    approver: Approver
    person: Person | None = None
    """Asked when a step differs or a live step needs help; None: nobody (headless)."""
    keep_going: bool = False
    strict: bool = False
    model: Callable[[], ModelLike] | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)
    workspace: str | Path | None = None
    allow_hosts: Sequence[str] = ()
    listeners: Sequence[Listener] = ()
    recipe_path: str | None = None
    say: Say = print
    mode: str = "run"
    """"run", or "test": HTTP from recordings, live steps replay their recorded calls."""
    tools: Mapping[str, Tool] | None = None
    secrets: SecretSource | None = None
    """Replaces the configured secrets (a test answers HTTP from recordings: no value is sent)."""
    journal: bool = True
    """False only for the check an export makes of its own fixtures: nothing is recorded."""


@dataclass
class StepReport:
    number: int
    label: str
    status: str
    """ok, differs, failed, denied, skipped, escalated, stopped."""
    notes: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    session_id: str | None
    status: str = "done"
    steps: list[StepReport] = field(default_factory=list)
    message: str = ""

    @property
    def ran(self) -> int:
        return sum(s.status not in ("skipped", "denied") for s in self.steps)

    @property
    def differed(self) -> list[int]:
        return [s.number for s in self.steps if s.status == "differs"]

    @property
    def failed(self) -> list[int]:
        return [s.number for s in self.steps if s.status in ("failed", "escalated")]


def linked_session(
    recipe: Recipe, values: Mapping[str, str], ws_root: str, options: Options, model: str | None
) -> str:
    """Create the run's session: ``parent`` = the source session when this journal has it, and
    the recipe (path, hash, parameters) in its meta, so history shows where it came from."""
    from assistant import paths
    from assistant.journal import Journal, SessionLookupError
    from assistant.secrets import redactor

    source = recipe.info.get("source_session")
    meta = {
        "recipe": {
            "path": options.recipe_path,
            "name": Path(options.recipe_path).name if options.recipe_path else None,
            "sha256": recipe.sha256,
            "mode": options.mode,
            "source_session": source if isinstance(source, str) else None,
            "params": dict(values),
            "given": sorted(k for k, v in values.items() if v != recipe.defaults.get(k)),
        }
    }
    name = Path(options.recipe_path).name if options.recipe_path else "recipe"
    title = f"recipe {'test ' if options.mode == 'test' else ''}{name}"[:80]
    with Journal(paths.journal_file(), redact=redactor().redact) as journal:
        parent = None
        if isinstance(source, str) and source:
            try:
                parent = journal.get_session(source).id
            except SessionLookupError:
                parent = None  # a recipe shared from another machine: the link stays in meta
        return journal.create_session(
            model=model, workspace=ws_root, title=title, parent=parent, meta=meta
        )


def params_lines(recipe: Recipe, values: Mapping[str, str]) -> list[str]:
    lines = []
    for name, value in values.items():
        mark = "  (given)" if value != recipe.defaults.get(name) else ""
        lines.append(f"  {name} = {escape_text(value)}{mark}")
    return lines


class Runner:
    """One run of one recipe."""

    def __init__(
        self,
        recipe: Recipe,
        rt: Any,
        filled: list[Filled],
        options: Options,
        model: ModelLike | None,
    ) -> None:
        self.recipe = recipe
        self.rt = rt
        self.filled = filled
        self.o = options
        self.report = RunReport(rt.session_id)
        self._model = model

    def say(self, line: str) -> None:
        self.o.say(line)

    async def run(self) -> RunReport:
        from assistant.agent import events as ev

        for f in self.filled:
            step = f.step
            flag = f" · FLAGGED: {escape_text(step.flag)}" if step.flag else ""
            what = step.tool if step.kind == "tool" else "live step"
            self.say(f"\nstep {step.number}/{len(self.filled)} · {what}{flag}")
            done = await (self._live(f) if step.kind == "live" else self._tool(f))
            self.report.steps.append(done)
            if done.status in ("ok", "skipped"):
                continue
            if done.status == "denied":
                self._end("denied", f"step {step.number} was denied; the run stops here")
                break
            if done.status in ("escalated", "stopped"):
                self._end(done.status, done.notes[-1] if done.notes else "stopped")
                break
            if not await self._go_on(step.number):
                break
        else:
            if self.report.failed or self.report.differed and self.o.mode == "test":
                bad = sorted({*self.report.failed, *self.report.differed})
                self._end(
                    "failed",
                    f"{present.noun(len(bad), 'step')} {', '.join(map(str, bad))} did not come out"
                    " as expected",
                )
        if self.report.status != "done":
            self.rt.log.emit(ev.TurnError(self.report.message, "recipe"))
        self.rt.log.emit(ev.TurnEnd("done" if self.report.status == "done" else self.report.status))
        return self.report

    def _end(self, status: str, message: str) -> None:
        self.report.status = status
        self.report.message = message

    async def _go_on(self, number: int) -> bool:
        """After a step that differs or failed: --keep-going goes on, a person chooses, and
        with nobody to ask the run stops."""
        if self.o.keep_going or self.o.mode == "test":
            return True
        if self.o.person is not None:
            choice = await self.o.person.choose(
                f"step {number} did not come out as expected: continue or stop?",
                {"c": "continue", "s": "stop"},
            )
            if choice == "c":
                return True
        self._end(
            "stopped",
            f"stopped after step {number}: it did not come out as expected (--keep-going runs on)",
        )
        return False

    async def _tool(self, f: Filled, gate: Gate | None = None) -> StepReport:
        step = f.step
        confirm = "policy" if self.o.mode == "test" else step.confirm
        gate = gate or step_gate(self.rt.gate, tools=None, confirm=confirm, person=self.o.person)
        outcome = await gate.execute(step.tool, f.args, f"recipe-step-{step.number}")
        report = StepReport(step.number, step.label, "ok")
        if outcome.status == "denied":
            report.status = "denied"
            return report
        if outcome.status == "error":
            self.say(f"! step {step.number} could not run: {escape_text(outcome.text)}")
            report.status = "failed"
            report.notes.append(outcome.text)
            return report
        data: dict[str, Any] = {}
        if outcome.result is not None:
            raw = json.loads(json.dumps(dict(outcome.result.data), default=str))
            data = self.rt.redactor.redact(raw)
        ok = outcome.status == "done"
        seen = _expect.facts(step.tool, ok, outcome.text, data)
        if ok or step.expect.get("ok") is False:
            diffs = _expect.check(step.tool, step.expect, ok, data, seen)
        else:  # what it says about itself, not every expectation a failure misses
            why = outcome.result.display if outcome.result and outcome.result.display else ""
            why = why or outcome.text.removeprefix("error: ").splitlines()[0]
            diffs = [f"it failed: {why}"]
        if self.o.strict:
            diffs += [d for d in _expect.strict(step.recorded, seen) if ok or "succeeded" not in d]
        if diffs:
            self.say(f"! step {step.number} differs from what the recipe expects:")
            for line in diffs:
                self.say(f"    {escape_text(line)}")
            report.status = "differs" if ok else "failed"
            report.notes += diffs
        elif step.expect or self.o.strict:
            self.say(f"  = step {step.number} as expected")
        return report

    def model(self) -> ModelLike:
        if self._model is None:
            raise NeedsModel("a live step needs a model; none was given")
        return self._model

    async def _live(self, f: Filled) -> StepReport:
        step = f.step
        report = StepReport(step.number, step.label, "ok")
        tools = {name: self.rt.gate.tools[name] for name in step.tools}
        if self.o.mode == "test":
            return await self._replay_live(f, report)
        gate = step_gate(self.rt.gate, tools=tools, confirm=step.confirm, person=self.o.person)
        self.say(f"  live: {escape_text(f.prompt)}")
        self.say(
            f"  tools {', '.join(step.tools)} · at most {present.plural(step.max_calls, 'call')}"
        )
        feedback = ""
        while True:
            got = await attempt(
                gate, self.model(), f.prompt, f.expect or {}, step.max_calls, feedback
            )
            if got.ok:
                self.say(f"  = step {step.number} done as expected")
                return report
            problem = f"step {step.number} (live): {got.problem}"
            self.say(f"! {escape_text(problem)}")
            if self.o.person is None:
                report.status = "escalated"
                report.notes.append(
                    f"stopped at step {step.number}: the live step needs a person to choose retry, "
                    "skip or stop, and none is at a terminal"
                )
                return report
            choice = await self.o.person.choose(
                f"step {step.number} needs you: retry, skip or stop?",
                {"r": "retry", "s": "skip", "q": "stop"},
            )
            if choice == "r":
                feedback = got.problem
                continue
            if choice == "s":
                report.status = "skipped"
                report.notes.append(f"{problem}; skipped by the person")
                return report
            report.status = "stopped"
            report.notes.append(f"{problem}; stopped by the person")
            return report

    async def _replay_live(self, f: Filled, report: StepReport) -> StepReport:
        """In a test, a live step replays the calls it recorded, then its expectation is checked."""
        from assistant.recipes._live import check_output

        step = f.step
        if not f.calls:
            report.status = "skipped"
            report.notes.append("a live step with no recorded calls: nothing to test it with")
            self.say(f"  - step {step.number} skipped: {report.notes[-1]}")
            return report
        for tool, args in f.calls:
            outcome = await self.rt.gate.execute(tool, args, f"recipe-step-{step.number}")
            if outcome.status != "done":
                report.status = "failed"
                report.notes.append(f"recorded call {tool} did not succeed: {outcome.text[:200]}")
                return report
        missed = check_output(f.expect or {}, self.rt.gate.ctx)
        if missed:
            report.status = "differs"
            report.notes += missed
        return report


async def run(recipe: Recipe, settings: Settings, options: Options) -> RunReport:
    """Run the recipe's steps in order as a new journaled session; see ``Runner``."""
    from assistant.recipes._mcp import needed_servers
    from assistant.runtime import open_workspace, parse_allow_hosts
    from assistant.session import Session
    from tools import all_tools

    tools = dict(options.tools or all_tools())
    servers = needed_servers(recipe, tools) if options.mode == "run" and options.journal else []
    check_tools(recipe, [*tools, *_mcp_names(recipe, servers)])
    values = resolve_params(recipe, options.overrides)
    filled = fill_steps(recipe, values)
    ws = open_workspace(options.workspace)
    parse_allow_hosts(options.allow_hosts)  # a bad --allow-host fails before a session exists
    model_name, model = None, None
    if recipe.has_live_steps and options.mode == "run":
        numbers = [str(s.number) for s in recipe.steps if s.kind == "live"]
        if not settings.model or options.model is None:
            steps = f"{present.noun(len(numbers), 'step')} {', '.join(numbers)}"
            are = "is a live step and needs" if len(numbers) == 1 else "are live steps and need"
            raise NeedsModel(
                f"{steps} {are} a model: pass --model (and --api-base), "
                "set ASSISTANT_MODEL, or put model = ... in the config"
            )
        model_name, model = settings.model, options.model()  # a bad key fails before anything runs
    rt: Any
    session: Session | None = None
    if options.journal:
        session_id = linked_session(recipe, values, str(ws.root), options, model_name)
        session = Session(
            settings, ws.root, tools, allow_hosts=options.allow_hosts, mcp=_mcp_start(servers)
        )
        rt = session.open(options.approver, options.listeners, resume=session_id)
        _check_mcp(recipe, session)
    else:
        rt = _unrecorded(settings, tools, options, ws)
    if options.secrets is not None:
        rt.gate.ctx.secrets = options.secrets
    options.say(
        f"recipe {options.mode}: session {(rt.session_id or 'none')[:8]}"
        f" · {present.plural(len(filled), 'step')} · "
        f"{escape_text(str(ws.root))}"
    )
    for line in params_lines(recipe, values):
        options.say(line)
    try:
        return await Runner(recipe, rt, filled, options, model).run()
    finally:
        if session is not None:
            session.close()  # stops the MCP servers it started, closes the journal
        elif rt.journal is not None:
            rt.journal.close()


def _mcp_names(recipe: Recipe, servers: Sequence[str]) -> list[str]:
    from assistant.mcp.servers import server_of

    names = [s.tool for s in recipe.steps] + [t for s in recipe.steps for t in s.tools]
    names += [c.tool for s in recipe.steps for c in s.calls]
    return [n for n in names if server_of(n) in servers]


def _mcp_start(servers: Sequence[str]) -> Any:
    if not servers:
        return None
    from assistant.mcp.servers import McpStart

    return McpStart(names=list(servers))


def _check_mcp(recipe: Recipe, session: Session) -> None:
    """Before the first step: every MCP tool a step calls is offered by its server now (else
    the run stops with the server's own line: not started, failed and why)."""
    rt = session.require()
    if rt.mcp is None:
        return
    try:
        check_tools(recipe, rt.gate.tools)
    except RecipeError as exc:
        why = "; ".join(n for n in rt.notes if n.startswith("MCP server"))
        session.close()
        raise RecipeError(f"{exc}" + (f" ({why})" if why else "")) from None


@dataclass
class _Unrecorded:
    gate: Gate
    log: Any
    redactor: Any
    session_id: str | None = None
    journal: Any = None


def _unrecorded(
    settings: Settings, tools: Mapping[str, Tool], options: Options, ws: Any
) -> _Unrecorded:
    """The same gate and policy with no journal behind them (an export checking its fixtures)."""
    from assistant.agent.event_log import EventLog
    from assistant.agent.gate import Gate
    from assistant.recipes._dry import blob_reader
    from assistant.runtime import session_policy, tool_context
    from assistant.secrets import redactor

    red = redactor()
    ctx = tool_context(settings, ws, options.secrets, blob_reader())
    log = EventLog(None, "", redact=red.redact, listeners=list(options.listeners))
    policy = session_policy(settings, options.allow_hosts)
    gate = Gate(tools, ctx, policy, options.approver, log)
    return _Unrecorded(gate, log, red)
