"""Exceptions anywhere in a call become a clean tool error: the model reads one line without a
traceback or an outside path, the journal keeps the whole story, and `assistant run` goes on."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from assistant.agent import events as ev
from assistant.agent.approval import ApprovalRequest, Decision
from assistant.agent.event_log import EventLog
from assistant.agent.gate import Gate
from assistant.agent.policy import Policy
from assistant.cli.render import JsonRenderer
from assistant.journal import Journal
from tests.support import fake_llm as llm
from tests.support.approvers import ScriptedApprover
from tests.support.cli import (
    assistant,
    env_fixture,  # noqa: F401 (the "env" fixture)
    journal,
    model_args,
)
from tests.support.fake_tools import NoteTool
from tests.support.gate_store import ListStore
from tools.base import Action, Effect, Preview, Result, ToolContext
from tools.workspace import Workspace


class BrokenTool:
    """Raises ``error`` while planning or running (``when``), as a buggy tool would."""

    name = "broken"
    description = "fails"
    parameters: Mapping[str, Any] = {"type": "object"}

    def __init__(self, error: BaseException, when: str) -> None:
        self.error = error
        self.when = when

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        if self.when == "plan":
            raise self.error
        return Action(self.name, dict(args), Effect.WRITE, "do it", Preview("text", "do it"))

    def run(self, action: Action, ctx: ToolContext) -> Result:
        raise self.error


def gate_with(ws: Path, tool: Any, store: Any = None) -> tuple[Gate, Any]:
    store = store if store is not None else ListStore()
    gate = Gate(
        {tool.name: tool, "note": NoteTool()},
        ToolContext(workspace=Workspace(ws)),
        Policy(),
        ScriptedApprover(lambda a: Decision("approve")),
        EventLog(store, "s1"),
    )
    return gate, store


@pytest.mark.parametrize("when", ["plan", "run"])
async def test_a_tool_exception_is_one_clean_line_and_the_journal_keeps_it(
    workspace_dir: Path, tmp_path: Path, when: str
) -> None:
    inside = workspace_dir / ("a" * 300)
    error = OSError(36, "File name too long", str(inside))
    gate, store = gate_with(workspace_dir, BrokenTool(error, when))
    outcome = await gate.execute("broken", "{}", "c1")
    assert outcome.status == ("error" if when == "plan" else "failed")
    assert "File name too long: " + "a" * 300 in outcome.text
    assert str(tmp_path) not in outcome.text and "Traceback" not in outcome.text
    (fault,) = [p for k, p in store.events if k == "tool.fault"]
    assert fault["error"] == "OSError" and fault["phase"] == when
    assert str(inside) in fault["message"]  # the journal keeps the full text
    assert any(f.startswith("tests/test_gate_faults.py:") for f in fault["frames"])


@pytest.mark.parametrize(
    "error",
    [
        RecursionError("maximum recursion depth exceeded"),
        ValueError("invalid literal for int() with base 10: '99999999999999999999'"),
        UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed"),
        KeyError("/home/someone/.config/secret"),
        OSError(2, "No such file or directory", "/etc/shadow"),
        MemoryError(),
    ],
)
async def test_every_kind_of_exception_is_scrubbed(workspace_dir: Path, error: Exception) -> None:
    gate, _ = gate_with(workspace_dir, BrokenTool(error, "plan"))
    outcome = await gate.execute("broken", "{}", "c1")
    assert outcome.status == "error"
    assert "/home/someone" not in outcome.text and "/etc/shadow" not in outcome.text
    assert outcome.text.startswith("error: broken could not plan this call")
    outcome.text.encode("utf-8")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"path": ' + "[" * 50 + "]" * 50 + ', "text": "x"}', "nested too deeply"),
        ('{"path": "a", "text": NaN}', "NaN is not a JSON number"),
        ('{"path": "a", "text": 1e400}', "not finite"),
        ('{"path": "a", "text": ' + "9" * 5000 + "}", "not usable JSON"),
        ('{"path": "a", "text": "x"', "not valid JSON"),
    ],
    ids=["deep-100000", "deep-50-inside", "nan", "1e400", "5000-digits", "cut"],
)
async def test_hostile_json_is_refused_before_any_tool_sees_it(
    workspace_dir: Path, raw: str, says: str
) -> None:
    gate, store = gate_with(workspace_dir, BrokenTool(AssertionError("never"), "plan"))
    outcome = await gate.execute("note", raw, "c1")
    assert outcome.status == "error" and says in outcome.text, outcome.text
    assert store.kinds() == ["action.error"]


async def test_a_deep_or_non_json_dict_from_a_person_is_refused_too(workspace_dir: Path) -> None:
    gate, _ = gate_with(workspace_dir, BrokenTool(AssertionError("never"), "plan"))
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    for args in ({"path": deep, "text": "x"}, {"path": "a", "text": float("nan")}, {"p": {1}}):
        outcome = await gate.execute("note", args, "c1")
        assert outcome.status == "error", outcome


async def test_lone_surrogates_reach_the_journal_and_json_escaped(
    workspace_dir: Path, tmp_path: Path
) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    session = j.create_session(model=None, workspace=str(workspace_dir), title="t")
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # a strict UTF-8 stdout
    log = EventLog(j, session, listeners=[JsonRenderer(out)])
    gate = Gate(
        {"note": NoteTool()},
        ToolContext(workspace=Workspace(workspace_dir)),
        Policy(),
        ScriptedApprover(lambda a: Decision("deny", reason="no \udcff thanks")),
        log,
    )
    outcome = await gate.execute("note", '{"path": "f\\udcff.txt", "text": "\\ud800"}', "c1")
    assert outcome.status == "denied"
    outcome.text.encode("utf-8")
    proposed = [e for e in j.events(session) if e.kind == "action.proposed"]
    assert proposed[0].payload["args"]["path"] == "f\\udcff.txt"  # escaped, not lost
    out.flush()
    lines = [json.loads(line) for line in out.buffer.getvalue().decode().splitlines()]  # type: ignore[attr-defined]
    assert lines[0]["args"]["text"] == "\\ud800"
    assert j.verify(session).ok
    j.close()


async def test_an_approver_that_fails_ends_the_call_not_the_turn(workspace_dir: Path) -> None:
    def explode(action: Action) -> Decision:
        raise RuntimeError("the terminal went away")

    gate = Gate(
        {"note": NoteTool()},
        ToolContext(workspace=Workspace(workspace_dir)),
        Policy(),
        ScriptedApprover(explode),
        EventLog(ListStore(), "s1"),
    )
    outcome = await gate.execute("note", '{"path": "a.txt", "text": "x"}', "c1")
    assert outcome.status == "error" and "the terminal went away" in outcome.text
    assert not (workspace_dir / "a.txt").exists()


def test_escape_surrogates_keeps_the_object_when_there_is_none() -> None:
    payload = {"a": ["é", {"b": "plain"}]}
    assert ev.escape_surrogates(payload) is payload
    assert ev.escape_surrogates({"k\udc80": ["x\ud800"]}) == {"k\\udc80": ["x\\ud800"]}


HOSTILE_CALLS = [
    ("shell", "[" * 100_000 + "]" * 100_000),
    ("shell", json.dumps({"command": "cat " + "a" * 300})),
    ("shell", json.dumps({"command": "tail -c +99999999999999999999 notes.txt"})),
    ("shell", json.dumps({"command": "cat notes\udcff.txt"})),
    ("shell", json.dumps({"command": "echo x > f\udcff.txt"}, ensure_ascii=True)),
    ("csv_read", json.dumps({"path": "é" * 150})),
    ("csv_write", '{"path": "x.csv", "mode": "create", "rows": [[1e400]]}'),
    ("csv_query", json.dumps({"sql": "SELECT * FROM '" + "b" * 300 + ".csv'"})),
    ("http_request", json.dumps({"url": "http://127.0.0.1:9/" + "\udcff"})),
    ("shell", '{"command": NaN}'),
]


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_assistant_run_survives_hostile_arguments(
    fake_llm: llm.FakeLLM,
    env: dict[str, str],
    workspace_dir: Path,
    assistant_home: Path,
    tmp_path: Path,
    json_flag: list[str],
) -> None:
    (workspace_dir / "notes.txt").write_text("hello\n")
    fake_llm.queue(
        llm.tool_calls(HOSTILE_CALLS, ids=[f"c{i}" for i in range(len(HOSTILE_CALLS))]),
        llm.text("All refused, as they should be."),
    )
    proc = assistant(
        env,
        "run",
        "attack",
        *model_args(fake_llm),
        "--workspace",
        str(workspace_dir),
        "--approve",
        "all",
        *json_flag,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert "All refused" in proc.stdout
    results = [m["content"] for m in fake_llm.requests[1]["messages"] if m["role"] == "tool"]
    assert len(results) == len(HOSTILE_CALLS)
    for text in results:
        assert "Traceback" not in text
        assert str(tmp_path) not in text and os.path.realpath(tmp_path) not in text, text
    assert "nested too deeply" in results[0]
    assert not list(workspace_dir.glob("f*.txt")) or all(
        p.name.encode("utf-8", "surrogateescape") for p in workspace_dir.iterdir()
    )
    with journal(assistant_home) as j:
        (session,) = j.sessions()
        assert j.verify(session.id).ok
        kinds = [e.kind for e in j.events(session.id)]
        assert kinds.count("action.error") + kinds.count("action.result") == len(HOSTILE_CALLS)
        assert kinds[-1] == "turn.end"


async def test_the_console_approver_shows_hostile_arguments_escaped() -> None:
    from assistant.agent.approval import ConsoleApprover
    from tools.base import Scope

    shown: list[str] = []

    def write(text: str) -> None:
        text.encode("utf-8")  # a strict UTF-8 terminal
        shown.append(text)

    answers = iter(["e", "", "n", ""])
    action = Action(
        "note",
        {"path": "f\udcff\x1b]0;t\x07.txt"},
        Effect.WRITE,
        "x",
        Preview("text", "x"),
        scope=Scope("k", "note in f\udcff/"),
    )
    request = ApprovalRequest("a1", action)
    decision = await ConsoleApprover(write, lambda prompt: next(answers)).decide(request)
    assert decision.verdict == "deny"
    edited = [line for line in shown if "current arguments" in line]
    assert edited and "\\udcff" in edited[0]
    assert not any("\x1b" in line or "\x07" in line for line in shown)
