"""The agent loop end to end: litellm's real HTTP path to the fake server, the real gate and
journal, scripted approvals. The model asks; only what the person allows runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant import config
from assistant.agent.approval import Decision, ModeApprover
from assistant.agent.loop import Agent, TurnLimits
from assistant.agent.model import Model
from assistant.runtime import Runtime, start_session
from tests.support import fake_llm as llm
from tests.support.approvers import ScriptedApprover
from tests.support.fake_tools import NoteTool, PeekTool

WRITE = json.dumps({"path": "out.txt", "text": "hello"})


def make_agent(
    server: llm.FakeLLM,
    ws: Path,
    approver: Any,
    *,
    limits: TurnLimits | None = None,
    model: str | None = None,
) -> tuple[Agent, Runtime, NoteTool]:
    note = NoteTool()
    rt = start_session(
        config.load(),
        approver=approver,
        tools={"note": note, "peek": PeekTool()},
        workspace=ws,
        model="fake",
    )
    m = Model(model or server.model(), api_base=server.base_url, api_key="sk-test")
    return Agent(m, rt.gate, rt.log, limits=limits), rt, note


def tool_messages(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "tool"]


def kinds(rt: Runtime) -> list[str]:
    return [e.kind for e in rt.journal.events(rt.session_id)]


def decisions(rt: Runtime) -> list[tuple[str, str]]:
    return [
        (e.payload["verdict"], e.payload["by"])
        for e in rt.journal.events(rt.session_id)
        if e.kind == "action.decided"
    ]


async def test_approve_runs_the_write_once_and_the_model_reads_the_result(
    fake_llm: llm.FakeLLM, workspace_dir: Path
) -> None:
    fake_llm.queue(
        llm.tool_call("note", WRITE, arg_chunks=30, text="Writing."),
        llm.text("Done, wrote it.", chunks=4),
    )
    agent, rt, note = make_agent(fake_llm, workspace_dir, ScriptedApprover([Decision("approve")]))
    outcome = await agent.turn("write hello to out.txt")
    assert outcome.reason == "done" and outcome.text == "Done, wrote it."
    assert (workspace_dir / "out.txt").read_text() == "hello" and len(note.runs) == 1
    assert tool_messages(fake_llm.requests[1]) == ["wrote out.txt"]
    assert decisions(rt) == [("approve", "human")]
    assert kinds(rt) == [
        "user.message", "turn.usage", "assistant.message", "action.proposed", "action.decided",
        "action.approved", "action.result", "turn.usage", "assistant.message", "turn.end",
    ]  # fmt: skip
    assert rt.journal.verify(rt.session_id).ok


async def test_deny_does_not_run_and_the_model_receives_the_reason(
    fake_llm: llm.FakeLLM, workspace_dir: Path
) -> None:
    fake_llm.queue(llm.tool_call("note", WRITE), llm.text("Understood."))
    agent, rt, note = make_agent(
        fake_llm, workspace_dir, ScriptedApprover([Decision("deny", reason="use notes.txt")])
    )
    await agent.turn("write hello")
    assert note.runs == [] and not (workspace_dir / "out.txt").exists()
    (denial,) = tool_messages(fake_llm.requests[1])
    assert "Denied by the user: use notes.txt" in denial
    assert decisions(rt) == [("deny", "human")]


async def test_edit_runs_the_edited_arguments(fake_llm: llm.FakeLLM, workspace_dir: Path) -> None:
    fake_llm.queue(llm.tool_call("note", WRITE), llm.text("ok"))
    edited = {"path": "notes.txt", "text": "edited"}
    approver = ScriptedApprover([Decision("edit", edited_args=edited), Decision("approve")])
    agent, rt, note = make_agent(fake_llm, workspace_dir, approver)
    await agent.turn("write hello")
    assert note.runs == [edited] and (workspace_dir / "notes.txt").read_text() == "edited"
    assert not (workspace_dir / "out.txt").exists()
    assert decisions(rt) == [("edit", "human"), ("approve", "human")]
    proposed = [
        e.payload["args"] for e in rt.journal.events(rt.session_id) if e.kind == "action.proposed"
    ]
    assert proposed == [json.loads(WRITE), edited]


async def test_approve_never_runs_nothing_that_writes(
    fake_llm: llm.FakeLLM, workspace_dir: Path
) -> None:
    (workspace_dir / "in.txt").write_text("data")
    fake_llm.queue(
        llm.tool_calls([("peek", '{"path": "in.txt"}'), ("note", WRITE)]),
        llm.text("I could read but not write."),
    )
    agent, rt, note = make_agent(fake_llm, workspace_dir, ModeApprover("never"))
    await agent.turn("copy it")
    assert note.runs == [] and not (workspace_dir / "out.txt").exists()
    read, denied = tool_messages(fake_llm.requests[1])
    assert read == "data" and "Denied by --approve never" in denied
    assert decisions(rt) == [("approve", "policy:read"), ("deny", "--approve never")]


async def test_bad_tool_calls_go_back_to_the_model_as_errors(
    fake_llm: llm.FakeLLM, workspace_dir: Path
) -> None:
    fake_llm.queue(
        llm.tool_calls(
            [
                ("note", '{"path": "a.txt", "text": '),
                ("delete_everything", "{}"),
                ("note", '{"path": 1}'),
            ]
        ),
        llm.text("Sorry."),
    )
    agent, rt, note = make_agent(fake_llm, workspace_dir, ScriptedApprover())
    outcome = await agent.turn("go")
    assert outcome.reason == "done" and note.runs == []
    bad_json, unknown, schema = tool_messages(fake_llm.requests[1])
    assert "not valid JSON" in bad_json
    assert "unknown tool 'delete_everything'" in unknown and "note" in unknown
    assert "invalid arguments" in schema
    assert kinds(rt).count("action.error") == 3


async def test_a_cut_stream_runs_no_tool(fake_llm: llm.FakeLLM, workspace_dir: Path) -> None:
    fake_llm.queue(llm.cut(text="I will write", tool_call=("note", WRITE)))
    agent, rt, note = make_agent(fake_llm, workspace_dir, ModeApprover("all"))
    outcome = await agent.turn("write")
    assert (
        outcome.reason == "error"
        and outcome.error is not None
        and outcome.error.kind == "stream_cut"
    )
    assert note.runs == [] and "action.proposed" not in kinds(rt)
    assert kinds(rt)[-2:] == ["turn.error", "turn.end"]


async def test_an_auth_error_ends_the_turn_with_a_clear_message(
    fake_llm: llm.FakeLLM, workspace_dir: Path
) -> None:
    fake_llm.queue(
        llm.error(
            401, body={"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}
        )
    )
    agent, rt, _ = make_agent(fake_llm, workspace_dir, ModeApprover("all"))
    outcome = await agent.turn("hi")
    assert outcome.reason == "error" and outcome.error is not None and outcome.error.kind == "auth"
    assert "keys set OPENAI_API_KEY" in outcome.text
    assert len(fake_llm.requests) == 1


async def test_tool_call_limit_per_turn(fake_llm: llm.FakeLLM, workspace_dir: Path) -> None:
    (workspace_dir / "in.txt").write_text("x")
    peek = ("peek", '{"path": "in.txt"}')
    fake_llm.queue(llm.tool_calls([peek, peek, peek]))
    agent, rt, _ = make_agent(
        fake_llm, workspace_dir, ModeApprover("all"), limits=TurnLimits(max_tool_calls=2)
    )
    outcome = await agent.turn("peek a lot")
    assert outcome.reason == "limit" and "2 tool calls" in outcome.text
    assert len(fake_llm.requests) == 1
    assert kinds(rt).count("action.result") == 2
    assert agent.messages[-1]["content"].startswith("not run")


async def test_identical_failing_calls_stop_after_three(
    fake_llm: llm.FakeLLM, workspace_dir: Path
) -> None:
    failing = llm.tool_call("note", json.dumps({"path": "o.txt", "text": "FAIL"}))
    fake_llm.queue(failing, failing, failing, llm.text("never asked for"))
    agent, rt, note = make_agent(fake_llm, workspace_dir, ModeApprover("all"))
    outcome = await agent.turn("try")
    assert outcome.reason == "limit" and "failed 3 times" in outcome.text
    assert len(note.runs) == 3 and len(fake_llm.requests) == 3


async def test_session_budget_stops_before_the_next_model_call(
    fake_llm: llm.FakeLLM, workspace_dir: Path
) -> None:
    (workspace_dir / "in.txt").write_text("x")
    fake_llm.queue(
        llm.tool_call("peek", '{"path": "in.txt"}', usage=(1000, 1000)), llm.text("unreachable")
    )
    agent, rt, _ = make_agent(
        fake_llm,
        workspace_dir,
        ModeApprover("all"),
        limits=TurnLimits(budget_usd=1e-6),
        model="openai/gpt-4o-mini",
    )
    outcome = await agent.turn("read")
    assert outcome.reason == "budget" and agent.spent_usd > 1e-6
    assert len(fake_llm.requests) == 1


async def test_usage_and_unknown_cost_are_recorded(
    fake_llm: llm.FakeLLM, workspace_dir: Path
) -> None:
    fake_llm.queue(llm.text("hi", usage=(30, 4)))
    agent, rt, _ = make_agent(fake_llm, workspace_dir, ModeApprover("all"))
    await agent.turn("hello")
    (usage,) = [e.payload for e in rt.journal.events(rt.session_id) if e.kind == "turn.usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["cost_usd"]) == (30, 4, None)
    assert agent.cost_unknown and agent.tokens == 34


@pytest.mark.parametrize("mode", ["all", "never"])
async def test_every_proposal_and_decision_is_journaled_with_who_decided(
    fake_llm: llm.FakeLLM, workspace_dir: Path, mode: str
) -> None:
    fake_llm.queue(llm.tool_call("note", WRITE), llm.text("ok"))
    agent, rt, _ = make_agent(fake_llm, workspace_dir, ModeApprover(mode))  # type: ignore[arg-type]
    await agent.turn("write")
    (proposed,) = [
        e.payload for e in rt.journal.events(rt.session_id) if e.kind == "action.proposed"
    ]
    assert proposed["effect"] == "write" and proposed["preview"]["text"]
    assert decisions(rt) == [("approve" if mode == "all" else "deny", f"--approve {mode}")]
