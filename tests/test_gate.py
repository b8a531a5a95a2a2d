"""The gate: plan → policy → approver → journal → run, for every way a call can go."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assistant.agent.approval import Decision, ModeApprover
from assistant.config import DenyRule
from tests.support.approvers import ScriptedApprover
from tests.support.gate_store import make_gate
from tools.base import Action, ToolContext


async def test_read_runs_without_asking(workspace_dir: Path) -> None:
    (workspace_dir / "a.txt").write_text("hello")
    approver = ScriptedApprover()
    gate, _, store = make_gate(workspace_dir, approver)
    outcome = await gate.execute("peek", '{"path": "a.txt"}', "c1")
    assert outcome.status == "done" and outcome.text == "hello"
    assert approver.seen == []
    decided = dict(store.events)["action.decided"]
    assert decided["by"] == "policy:read" and decided["verdict"] == "approve"


async def test_approved_write_runs_once_and_is_journaled_before_running(
    workspace_dir: Path,
) -> None:
    approver = ScriptedApprover([Decision("approve")])
    gate, note, store = make_gate(workspace_dir, approver)
    seen_at_run: list[list[str]] = []
    original_run = note.run

    def spying_run(action: Action, ctx: ToolContext) -> Any:
        seen_at_run.append(store.kinds())
        return original_run(action, ctx)

    note.run = spying_run  # type: ignore[method-assign]
    outcome = await gate.execute("note", '{"path": "out.txt", "text": "hi"}', "c1")
    assert outcome.status == "done"
    assert (workspace_dir / "out.txt").read_text() == "hi"
    assert len(note.runs) == 1
    assert seen_at_run == [["action.proposed", "action.decided", "action.approved"]]
    assert store.kinds()[-1] == "action.result"
    decided = dict(store.events)["action.decided"]
    assert decided["by"] == "human" and decided["verdict"] == "approve"
    # The before-image (no file) is recorded for undo.
    assert dict(store.events)["action.result"]["blobs"] == {"out.txt": None}


async def test_denied_write_does_not_run_and_the_model_reads_why(workspace_dir: Path) -> None:
    gate, note, store = make_gate(
        workspace_dir, ScriptedApprover([Decision("deny", reason="not that file")])
    )
    outcome = await gate.execute("note", '{"path": "out.txt", "text": "hi"}', "c1")
    assert outcome.status == "denied"
    assert "not that file" in outcome.text and "not run" in outcome.text
    assert note.runs == [] and not (workspace_dir / "out.txt").exists()
    assert "action.approved" not in store.kinds()


async def test_edit_replans_previews_again_then_runs_the_edited_args(workspace_dir: Path) -> None:
    approver = ScriptedApprover(
        [Decision("edit", edited_args={"path": "other.txt", "text": "edited"}), Decision("approve")]
    )
    gate, note, store = make_gate(workspace_dir, approver)
    outcome = await gate.execute("note", '{"path": "out.txt", "text": "hi"}', "c1")
    assert outcome.status == "done"
    assert [a.args["path"] for a in approver.seen] == ["out.txt", "other.txt"]
    assert note.runs == [{"path": "other.txt", "text": "edited"}]
    assert not (workspace_dir / "out.txt").exists()
    assert store.kinds().count("action.proposed") == 2


async def test_the_approver_is_asked_with_the_journaled_id_and_the_edit(
    workspace_dir: Path,
) -> None:
    """A front end finds the card by the id the gate journaled, never by matching actions; the
    edited re-plan says what the arguments were before the edit."""
    approver = ScriptedApprover(
        [Decision("edit", edited_args={"path": "out.txt", "text": "new"}), Decision("approve")]
    )
    gate, _, store = make_gate(workspace_dir, approver)
    await gate.execute("note", '{"path": "out.txt", "text": "old"}', "c1")
    proposed = [p["action_id"] for k, p in store.events if k == "action.proposed"]
    assert [r.action_id for r in approver.requests] == proposed and len(set(proposed)) == 2
    first, second = approver.requests
    assert first.edited_from is None
    assert second.edited_from == {"path": "out.txt", "text": "old"}


async def test_identical_calls_are_asked_under_their_own_ids(workspace_dir: Path) -> None:
    approver = ScriptedApprover([Decision("approve"), Decision("deny", reason="once is enough")])
    gate, note, store = make_gate(workspace_dir, approver)
    call = '{"path": "out.txt", "text": "same"}'
    first = await gate.execute("note", call, "c1")
    second = await gate.execute("note", call, "c2")
    ids = [r.action_id for r in approver.requests]
    assert ids == [first.action_id, second.action_id] and ids[0] != ids[1]
    decided = {p["action_id"]: p["verdict"] for k, p in store.events if k == "action.decided"}
    assert decided == {ids[0]: "approve", ids[1]: "deny"}
    assert len(note.runs) == 1


async def test_allow_for_session_creates_a_narrow_rule(workspace_dir: Path) -> None:
    approver = ScriptedApprover([Decision("approve", remember=True)])
    gate, note, store = make_gate(workspace_dir, approver)
    await gate.execute("note", '{"path": "out.txt", "text": "1"}', "c1")
    second = await gate.execute("note", '{"path": "out.txt", "text": "2"}', "c2")
    assert second.status == "done" and len(approver.seen) == 1
    decisions = [p for k, p in store.events if k == "action.decided"]
    assert decisions[1]["by"].startswith("rule:g")
    # Another path is outside the rule: it asks again (and the script has no answer left; an
    # approver's failure is a tool error the model reads, not a crash of the turn).
    third = await gate.execute("note", '{"path": "elsewhere.txt", "text": "3"}', "c3")
    assert third.status == "error" and "no answer left" in third.text
    assert len(approver.seen) == 2 and not (workspace_dir / "elsewhere.txt").exists()


async def test_never_mode_denies_writes_but_reads_run(workspace_dir: Path) -> None:
    (workspace_dir / "a.txt").write_text("x")
    gate, note, _ = make_gate(workspace_dir, ModeApprover("never"))
    assert (await gate.execute("note", '{"path": "o.txt", "text": "hi"}')).status == "denied"
    assert (await gate.execute("peek", '{"path": "a.txt"}')).status == "done"
    assert note.runs == []


async def test_blanket_approval_never_unlocks_an_action_that_needs_a_person(
    workspace_dir: Path,
) -> None:
    gate, note, _ = make_gate(workspace_dir, ModeApprover("all"))
    original_plan = note.plan
    note.plan = lambda args, ctx: replace(original_plan(args, ctx), needs_person="private address")  # type: ignore[method-assign]
    outcome = await gate.execute("note", '{"path": "o.txt", "text": "hi"}')
    assert outcome.status == "denied" and "private address" in outcome.text
    assert note.runs == []


async def test_deny_rules_win_over_approval(workspace_dir: Path) -> None:
    rule = DenyRule(tool="note", target="path:secret*", reason="secrets are off limits")
    approver = ScriptedApprover([Decision("approve")])
    gate, note, _ = make_gate(workspace_dir, approver, (rule,))
    outcome = await gate.execute("note", '{"path": "secret.txt", "text": "x"}')
    assert outcome.status == "denied" and "off limits" in outcome.text
    assert approver.seen == [] and note.runs == []


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("nope", "{}", "unknown tool 'nope'"),
        ("note", '{"path": "a.txt", "text": ', "not valid JSON"),
        ("note", '{"path": "a.txt"}', "'text' is a required property"),
        ("note", '{"path": "a.txt", "text": 5}', "text: 5 is not of type 'string'"),
        ("note", '["a"]', "must be a JSON object"),
        ("note", '{"path": "../up.txt", "text": "x"}', "outside the workspace"),
    ],
)
async def test_bad_calls_become_errors_the_model_reads(
    workspace_dir: Path, name: str, args: str, message: str
) -> None:
    gate, note, store = make_gate(workspace_dir, ScriptedApprover())
    outcome = await gate.execute(name, args, "c1")
    assert outcome.status == "error" and message in outcome.text
    assert store.kinds() == ["action.error"] and note.runs == []


async def test_a_failing_or_crashing_tool_is_a_result_not_a_crash(workspace_dir: Path) -> None:
    gate, note, store = make_gate(workspace_dir, ModeApprover("all"))
    failed = await gate.execute("note", '{"path": "o.txt", "text": "FAIL"}')
    assert failed.status == "failed" and "asked to fail" in failed.text

    def boom(action: Action, ctx: ToolContext) -> Any:
        raise RuntimeError("bug")

    note.run = boom  # type: ignore[method-assign]
    crashed = await gate.execute("note", '{"path": "o.txt", "text": "x"}')
    assert crashed.status == "failed" and "RuntimeError: bug" in crashed.text
    assert store.kinds().count("action.result") == 2


async def test_before_images_are_kept_as_blobs(workspace_dir: Path) -> None:
    (workspace_dir / "o.txt").write_bytes(b"old bytes\r\n")
    gate, _, store = make_gate(workspace_dir, ModeApprover("all"))
    await gate.execute("note", '{"path": "o.txt", "text": "new"}')
    digest = dict(store.events)["action.result"]["blobs"]["o.txt"]
    assert store.blobs[digest] == b"old bytes\r\n"
