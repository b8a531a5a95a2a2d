"""The TUI approver (a Future per request, answered once; Esc denies all) and the bridge that
coalesces deltas without reordering events."""

from __future__ import annotations

import asyncio
from typing import Any

from assistant.agent import events as ev
from assistant.agent.approval import ApprovalRequest, Decision
from assistant.ui.approver import PendingApproval, TuiApprover
from assistant.ui.bridge import ApprovalRequested, DeltaBatch, EventBridge, SessionEvent
from tools.base import Action, Effect, Preview


def action(tool: str = "shell", fp: str = "fp1", **args: Any) -> Action:
    return Action(
        tool, args or {"command": "x"}, Effect.WRITE, "s", Preview("text", "t"), fingerprint=fp
    )


def ask(action_id: str, act: Action | None = None, **more: Any) -> ApprovalRequest:
    return ApprovalRequest(action_id, act or action(), **more)


async def test_decide_waits_for_the_answer_under_the_gates_action_id() -> None:
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    task = asyncio.ensure_future(approver.decide(ask("a1")))
    await asyncio.sleep(0)
    (request,) = posted
    assert request.action_id == "a1" and approver.pending == [request] and not task.done()
    assert request.answer(Decision("approve"))
    assert not request.answer(Decision("deny"))  # a second key press changes nothing
    assert (await task).verdict == "approve"
    assert approver.pending == []


async def test_identical_actions_are_separate_requests() -> None:
    """Same tool, same arguments, same fingerprint: still two requests, told apart by id."""
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    same = action(fp="same")
    first = asyncio.ensure_future(approver.decide(ask("a1", same)))
    second = asyncio.ensure_future(approver.decide(ask("a2", same)))
    await asyncio.sleep(0)
    assert [r.action_id for r in posted] == ["a1", "a2"]
    posted[1].answer(Decision("deny", reason="only once"))
    posted[0].answer(Decision("approve"))
    assert (await first).verdict == "approve" and (await second).verdict == "deny"


async def test_deny_all_answers_every_waiting_request() -> None:
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    tasks = [asyncio.ensure_future(approver.decide(ask(f"a{i}"))) for i in range(3)]
    await asyncio.sleep(0)
    answered = approver.deny_all("stopped by the user")
    assert len(answered) == 3
    for task in tasks:
        decision = await task
        assert (decision.verdict, decision.by, decision.reason) == (
            "deny",
            "human",
            "stopped by the user",
        )
    assert approver.deny_all() == []


async def test_stop_returns_once_the_denial_is_recorded() -> None:
    """The stop waits for the journal's action.decided of that id (the listener tells it), so
    the turn cancelled next never leaves the action undecided; no polling loop."""
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    recorded: list[str] = []

    async def gate() -> None:  # what the gate does: ask, then journal the decision at once
        decision = await approver.decide(ask("a7"))
        recorded.append(decision.reason)
        approver.observe(ev.ActionDecided("a7", decision.verdict, decision.by, decision.reason))

    task = asyncio.ensure_future(gate())
    await asyncio.sleep(0)
    answered = await approver.stop()
    assert [r.action_id for r in answered] == ["a7"] and answered[0].recorded.done()
    assert recorded == ["stopped by the user"]
    await task


async def test_the_request_carries_the_edit_and_the_unlock_words() -> None:
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    request = ask("a2", action(command="new"), edited_from={"command": "old"}, unlocks="h")
    task = asyncio.ensure_future(approver.decide(request))
    await asyncio.sleep(0)
    assert posted[0].edited_from == {"command": "old"} and posted[0].unlocks == "h"
    posted[0].answer(Decision("approve"))
    await task


class Target:
    def __init__(self) -> None:
        self.messages: list[object] = []

    def post_message(self, message: object) -> bool:
        self.messages.append(message)
        return True


def test_bridge_coalesces_deltas_and_keeps_order() -> None:
    target = Target()
    bridge = EventBridge(target)  # type: ignore[arg-type]
    for part in ("a", "b", "c"):
        bridge(ev.AssistantDelta(part))
    bridge(ev.TurnUsage("m", 1, 1, None))
    bridge(ev.AssistantDelta("d"))
    kinds = [type(m).__name__ for m in target.messages]
    assert kinds == ["DeltaBatch", "SessionEvent", "DeltaBatch"]
    first, usage, second = target.messages
    assert isinstance(first, DeltaBatch) and isinstance(second, DeltaBatch)
    assert isinstance(usage, SessionEvent) and usage.event.kind == "turn.usage"
    assert first.take() == "abc" and second.take() == "d"
    bridge(ev.AssistantDelta("e"))  # the painted batch is closed: a new one starts
    assert len(target.messages) == 4 and target.messages[3].take() == "e"  # type: ignore[attr-defined]


def test_bridge_batches_thousands_of_deltas_into_one_message() -> None:
    target = Target()
    bridge = EventBridge(target)  # type: ignore[arg-type]
    for i in range(4000):
        bridge(ev.AssistantDelta(str(i % 10)))
    assert len(target.messages) == 1
    (batch,) = target.messages
    assert isinstance(batch, DeltaBatch) and len(batch.take()) == 4000


async def test_bridge_posts_approval_requests() -> None:
    target = Target()
    bridge = EventBridge(target)  # type: ignore[arg-type]
    request = PendingApproval(ask("a1"), asyncio.get_running_loop().create_future())
    bridge.approval(request)
    (message,) = target.messages
    assert isinstance(message, ApprovalRequested) and message.request is request
