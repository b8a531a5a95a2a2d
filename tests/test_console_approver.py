"""The console approver: the keys a person presses and what each decides."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.agent.approval import ApprovalRequest, ConsoleApprover
from tools.base import Action, Effect, Preview, Scope

ACTION = Action(
    tool="note",
    args={"path": "a.txt", "text": "x"},
    effect=Effect.WRITE,
    summary="write a.txt",
    preview=Preview("diff", "+x"),
    scope=Scope("note:path:a.txt", "note writes to a.txt"),
)


def scripted(*answers: str) -> tuple[Callable[[str], str], list[str]]:
    queue = list(answers)
    shown: list[str] = []

    def read(prompt: str) -> str:
        shown.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read, shown


async def decide(*answers: str, action: Action = ACTION) -> tuple[object, list[str]]:
    read, _ = scripted(*answers)
    written: list[str] = []
    decision = await ConsoleApprover(written.append, read).decide(ApprovalRequest("a1", action))
    return decision, written


async def test_y_approves() -> None:
    decision, written = await decide("y")
    assert decision.verdict == "approve" and decision.by == "human" and not decision.remember  # type: ignore[attr-defined]
    assert "note writes to a.txt" in written[0]  # the exact scope of [a] is printed


async def test_n_denies_with_a_reason() -> None:
    decision, _ = await decide("n", "wrong folder")
    assert (decision.verdict, decision.reason) == ("deny", "wrong folder")  # type: ignore[attr-defined]


async def test_end_of_input_denies() -> None:
    decision, _ = await decide()
    assert decision.verdict == "deny"  # type: ignore[attr-defined]


async def test_a_allows_for_the_session() -> None:
    decision, _ = await decide("a")
    assert decision.verdict == "approve" and decision.remember  # type: ignore[attr-defined]


async def test_e_edits_json_and_bad_json_changes_nothing() -> None:
    decision, written = await decide(
        "e", "{not json", "", "e", '{"path": "b.txt",', '"text": "y"}', ""
    )
    assert decision.verdict == "edit" and decision.edited_args == {"path": "b.txt", "text": "y"}  # type: ignore[attr-defined]
    assert any("not valid JSON" in w for w in written)


async def test_unknown_keys_ask_again_and_no_session_rule_for_private_targets() -> None:
    private = Action(**{**ACTION.__dict__, "needs_person": "127.0.0.1 is loopback"})
    decision, written = await decide("a", "x", "y", action=private)
    assert decision.verdict == "approve" and not decision.remember  # type: ignore[attr-defined]
    assert not any("allow for this session" in w for w in written)
    assert sum("please answer" in w for w in written) == 2


def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *saves: str) -> list[str]:
    """$EDITOR set to a script that records what it was shown and saves the next of ``saves``."""
    queue, seen = tmp_path / "saves.json", tmp_path / "seen.json"
    queue.write_text(json.dumps(list(saves)))
    seen.write_text("[]")
    script = tmp_path / "fake_editor.py"
    script.write_text(
        "import json, sys\n"
        f"queue, seen = {str(queue)!r}, {str(seen)!r}\n"
        "saves = json.load(open(queue))\n"
        "shown = json.load(open(seen)) + [open(sys.argv[1]).read()]\n"
        "json.dump(shown, open(seen, 'w'))\n"
        "open(sys.argv[1], 'w').write(saves.pop(0))\n"
        "json.dump(saves, open(queue, 'w'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    return [str(seen)]


async def test_e_opens_the_editor_and_bad_json_is_said_and_opens_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (seen,) = editor(
        tmp_path, monkeypatch, '{"path": "b.txt", "text": ', '["a list"]', '{"path": "b.txt"}'
    )
    decision, written = await decide("e", "", "")
    assert decision.verdict == "edit" and decision.edited_args == {"path": "b.txt"}  # type: ignore[attr-defined]
    shown = json.loads(Path(seen).read_text())
    assert json.loads(shown[0]) == ACTION.args  # the current arguments, as JSON
    assert shown[1] == '{"path": "b.txt", "text": '  # opened again on what the person wrote
    assert any("not valid JSON (Expecting value at line 1 column 27)" in w for w in written)
    assert any("must be a JSON object" in w for w in written)


async def test_an_editor_that_cannot_start_or_an_empty_file_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    decision, written = await decide("e", "y")
    assert decision.verdict == "approve"  # type: ignore[attr-defined]
    assert any("could not start" in w and "nothing changed" in w for w in written)
    editor(tmp_path, monkeypatch, "  \n")
    decision, written = await decide("e", "n", "")
    assert decision.verdict == "deny"  # type: ignore[attr-defined]
    assert any("left empty; nothing changed" in w for w in written)
    editor(tmp_path, monkeypatch, "{oops")
    decision, written = await decide("e", "c", "y")
    assert decision.verdict == "approve" and any("nothing changed" in w for w in written)  # type: ignore[attr-defined]


async def test_r_saves_a_rule_and_is_offered_beside_a() -> None:
    decision, written = await decide("r")
    assert decision.verdict == "approve" and decision.save and not decision.remember  # type: ignore[attr-defined]
    assert any(
        "[r] always allow in this workspace" in w and "note writes to a.txt" in w for w in written
    )
