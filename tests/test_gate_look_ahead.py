"""Gate.look_ahead: a later call of a reply planned for a person to read, through the same
checks as execute (arguments, schema, workspace), with nothing asked, journaled or run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.approvers import ScriptedApprover
from tests.support.gate_store import make_gate
from tools.base import ToolError


def test_a_call_is_planned_and_nothing_else_happens(workspace_dir: Path) -> None:
    approver = ScriptedApprover()
    gate, note, store = make_gate(workspace_dir, approver)
    action = gate.look_ahead("note", '{"path": "a.txt", "text": "hi"}')
    assert action.summary == "write 2 characters to a.txt" and action.effect == "write"
    assert store.events == [] and approver.seen == [] and note.runs == []
    assert not (workspace_dir / "a.txt").exists()


@pytest.mark.parametrize(
    ("name", "arguments", "said"),
    [
        ("nope", "{}", "unknown tool 'nope'"),
        ("note", "{not json", "not valid JSON"),
        ("note", '{"path": "a.txt"}', "text"),  # the schema names the missing field
        ("note", '{"path": "../out.txt", "text": "x"}', "outside the workspace"),
    ],
)
def test_what_execute_refuses_look_ahead_refuses_in_its_words(
    workspace_dir: Path, name: str, arguments: str, said: str
) -> None:
    gate, note, store = make_gate(workspace_dir, ScriptedApprover())
    with pytest.raises(ToolError) as caught:
        gate.look_ahead(name, arguments)
    assert said in str(caught.value)
    assert str(workspace_dir.parent) not in str(caught.value)  # no outside path in the words
    assert store.events == [] and note.runs == []
