"""The console approver: the keys a person presses and what each decides."""

from __future__ import annotations

from collections.abc import Callable

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
