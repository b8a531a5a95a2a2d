"""``assistant recipe test``: a recipe run in a temporary copy of its fixtures, HTTP answered
from the recordings, no model and no prompts; every step's expectations and every output file
checked against the recorded bytes. The same replay checks fixtures when an export saves them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import present
from assistant.recipes import _fixtures
from assistant.recipes._fixtures import Fixtures
from assistant.recipes._mcp import FOLDER as MCP_FOLDER
from assistant.recipes._mcp import replay_tools
from assistant.recipes._replay import ReplayHttp, StandIns, dumps, origin_of
from assistant.recipes._run import Options, RunReport, run
from assistant.recipes._spec import Recipe, RecipeError
from tools.base import escape_text

if TYPE_CHECKING:
    from assistant.agent.event_log import Listener
    from assistant.config import Settings
    from assistant.journal import Journal
    from assistant.recipes._make import Made

Say = Callable[[str], None]


@dataclass
class Check:
    """One line of a test's outcome: a step or an output file."""

    name: str
    status: str
    """ok, FAIL or skip."""
    message: str = ""


@dataclass
class RecipeTestResult:
    checks: list[Check] = field(default_factory=list)
    report: RunReport | None = None

    @property
    def passed(self) -> bool:
        return all(c.status != "FAIL" for c in self.checks)


def _copy_inputs(fixtures: Fixtures, ws: Path) -> None:
    for rel in fixtures.inputs:
        target = ws / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fixtures.input_file(rel), target)


async def replay(
    recipe: Recipe,
    fixtures: Fixtures,
    settings: Settings,
    ws: Path,
    *,
    strict: bool,
    journal: bool,
    recipe_path: str | None,
    say: Say,
    listeners: Sequence[Listener] = (),
) -> RunReport:
    """Run ``recipe`` in ``ws`` (a copy of the inputs), answering HTTP from the recordings."""
    from assistant.agent.approval import ModeApprover
    from tools import all_tools

    _copy_inputs(fixtures, ws)
    tools = all_tools()
    tools["http_request"] = ReplayHttp(tools["http_request"], fixtures.recordings)
    tools.update(replay_tools(fixtures.mcp))  # MCP calls answered from their recordings
    found = [o for rec in fixtures.recordings if (o := origin_of(rec.url))]
    options = Options(
        approver=ModeApprover("all"),
        strict=strict,
        workspace=ws,
        allow_hosts=sorted({key for _, key in found}),
        recipe_path=recipe_path,
        say=say,
        mode="test",
        tools=tools,
        secrets=StandIns(tuple(sorted({origin for origin, _ in found}))),
        journal=journal,
        listeners=listeners,
    )
    return await run(recipe, settings, options)


def _checks(recipe: Recipe, report: RunReport) -> list[Check]:
    done = {s.number: s for s in report.steps}
    out = []
    for step in recipe.steps:
        name = f"step {step.number} · {step.tool or 'live'} · {step.title or step.label}"
        got = done.get(step.number)
        if got is None:
            out.append(Check(name, "FAIL", f"not run: {report.message}"))
        elif got.status == "ok":
            out.append(Check(name, "ok"))
        elif got.status == "skipped":
            out.append(Check(name, "skip", "; ".join(got.notes)))
        else:
            out.append(Check(name, "FAIL", "; ".join(got.notes) or got.status))
    return out


def _output_checks(fixtures: Fixtures, ws: Path) -> list[Check]:
    out = []
    for rel in fixtures.outputs:
        name = f"output {rel}"
        want = fixtures.expected_file(rel).read_bytes()
        target = ws / rel
        if not target.is_file():
            out.append(Check(name, "FAIL", "not written"))
            continue
        got = target.read_bytes()
        if got == want:
            out.append(Check(name, "ok", f"{present.plural(len(got), 'byte')}, as recorded"))
        else:
            got_size, want_size = present.plural(len(got), "byte"), f"{len(want):,}"
            out.append(Check(name, "FAIL", f"differs ({got_size}, recorded {want_size})"))
    return out


async def run_recipe_test(
    recipe: Recipe,
    fixtures_dir: Path,
    settings: Settings,
    *,
    strict: bool = False,
    recipe_path: str | None = None,
    say: Say = print,
) -> RecipeTestResult:
    """Run the test and say one line per step and per output file."""
    fixtures = _fixtures.read(fixtures_dir)
    result = RecipeTestResult()
    with tempfile.TemporaryDirectory(prefix="recipe-test-") as tmp:
        ws = Path(tmp) / "workspace"
        ws.mkdir()
        detail: list[str] = []
        report = await replay(
            recipe, fixtures, settings, ws, strict=strict, journal=True,
            recipe_path=recipe_path, say=detail.append,
        )  # fmt: skip
        result.report = report
        result.checks = _checks(recipe, report) + _output_checks(fixtures, ws)
    for check in result.checks:
        tail = f": {check.message}" if check.message and check.status != "ok" else ""
        say(escape_text(f"{check.status:<5} {check.name}{tail}"))
    failed = sum(c.status == "FAIL" for c in result.checks)
    verdict = "passed" if result.passed else f"FAILED ({failed} of {len(result.checks)} checks)"
    sid = (report.session_id or "")[:8]
    say(
        f"recipe test {verdict}: {present.plural(len(recipe.steps), 'step')},"
        f" {present.plural(len(fixtures.outputs), 'output file')}; session {sid}"
    )
    return result


def junit(result: RecipeTestResult, suite: str) -> str:
    """The outcome as JUnit XML, the format CI systems read."""
    failures = sum(c.status == "FAIL" for c in result.checks)
    skipped = sum(c.status == "skip" for c in result.checks)
    root = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(result.checks)),
        failures=str(failures),
        skipped=str(skipped),
        errors="0",
    )
    for check in result.checks:
        case = ET.SubElement(root, "testcase", classname=suite, name=check.name)
        if check.status == "FAIL":
            ET.SubElement(case, "failure", message=check.message)
        elif check.status == "skip":
            ET.SubElement(case, "skipped", message=check.message)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


WRITE_PREVIEWS = ("csv_write", "shell", "restore")
"""Tools whose preview shows what a write would leave in a file: in the check of new fixtures,
each must preview exactly as in the session, or an input changed since."""


def _keep_preview(event: Any, previews: dict[str, str]) -> None:
    from assistant.agent import events as ev

    match event:
        case ev.ActionProposed(call_id=str(call), tool=tool, preview=preview) if (
            tool in WRITE_PREVIEWS
        ):
            previews.setdefault(call, str(preview.get("text", "")))


def _changed_previews(made: Made, previews: Mapping[str, str]) -> list[str]:
    out = []
    for number, life in made.lives.items():
        if life.proposed.tool not in WRITE_PREVIEWS:
            continue
        now = previews.get(f"recipe-step-{number}")
        if now is not None and now != life.proposed.preview.get("text"):
            out.append(
                f"step {number} ({life.proposed.tool}) would now write something else than in "
                "the session (its preview differs)"
            )
    return out


async def save_fixtures(
    made: Made, journal: Journal, settings: Settings, dest: Path, *, force: bool = False
) -> list[str]:
    """Save the session's inputs, HTTP exchanges and outputs under ``dest``, after checking that
    replaying the recipe from them reproduces every recorded result (else RecipeError says
    which step differs: an input changed since the session)."""
    if dest.exists() and not (force and (dest / _fixtures.MANIFEST).is_file()):
        hint = "; pass --force to replace it" if (dest / _fixtures.MANIFEST).is_file() else ""
        raise RecipeError(f"{dest} exists{hint}")
    gathered = _fixtures.gather(made, journal)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir(mode=0o700)
    try:
        for rel, data in gathered.inputs.items():
            (tmp / "inputs" / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / "inputs" / rel).write_bytes(data)
        http_files = []
        (tmp / "http").mkdir()
        for n, rec in enumerate(gathered.recordings, 1):
            name = f"http/{n:03d}-step-{rec.step}.json"
            (tmp / name).write_text(dumps(rec), encoding="utf-8")
            http_files.append(name)
        mcp_files = []
        for n, call in enumerate(gathered.mcp, 1):
            (tmp / MCP_FOLDER).mkdir(exist_ok=True)
            name = f"{MCP_FOLDER}/{n:03d}-step-{call.step}.json"
            (tmp / name).write_text(call.dumps(), encoding="utf-8")
            mcp_files.append(name)
        fixtures = Fixtures(tmp, sorted(gathered.inputs), [], gathered.recordings, mcp=gathered.mcp)
        with tempfile.TemporaryDirectory(prefix="recipe-check-") as work:
            ws = Path(work) / "workspace"
            ws.mkdir()
            previews: dict[str, str] = {}
            report = await replay(
                made.recipe, fixtures, settings, ws, strict=True, journal=False,
                recipe_path=None, say=lambda line: None,
                listeners=[lambda e: _keep_preview(e, previews)],
            )  # fmt: skip
            bad = [s for s in report.steps if s.status not in ("ok", "skipped")]
            why = "; ".join(f"step {s.number}: {'; '.join(s.notes) or s.status}" for s in bad)
            why += "; ".join(_changed_previews(made, previews))
            if why or report.status != "done":
                raise RecipeError(
                    "the saved inputs do not reproduce the session (did a file change since?): "
                    + (why or report.message)
                )
            for rel in gathered.outputs:
                target = tmp / "expected" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(ws / rel, target)
        _fixtures.write_manifest(tmp, gathered, made, http_files, mcp_files)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return [
        f"fixtures in {escape_text(str(dest))}: {present.plural(len(gathered.inputs), 'input file')}, "
        f"{present.plural(len(gathered.recordings), 'HTTP response')}, "
        + (f"{present.plural(len(gathered.mcp), 'MCP result')}, " if gathered.mcp else "")
        + f"{present.plural(len(gathered.outputs), 'output file')}; "
        "checked: replaying the recipe from them reproduces the session"
    ]
