"""The TUI approver (a Future per request, answered once; Esc denies all) and the bridge that
coalesces deltas without reordering events."""

from __future__ import annotations

import asyncio
from typing import Any

from assistant.agent import events as ev
from assistant.agent.approval import Decision
from assistant.ui.approver import PendingApproval, TuiApprover
from assistant.ui.bridge import ApprovalRequested, DeltaBatch, EventBridge, SessionEvent
from tools.base import Action, Effect, Preview


def action(tool: str = "shell", fp: str = "fp1", **args: Any) -> Action:
    return Action(
        tool, args or {"command": "x"}, Effect.WRITE, "s", Preview("text", "t"), fingerprint=fp
    )


def proposed(action_id: str, fp: str) -> ev.ActionProposed:
    return ev.ActionProposed(action_id, None, "shell", {}, "write", "s", {}, [], fp)


async def test_decide_waits_for_the_answer_and_knows_the_action_id() -> None:
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    approver.observe(proposed("a1", "fp1"))
    task = asyncio.ensure_future(approver.decide(action(fp="fp1")))
    await asyncio.sleep(0)
    (request,) = posted
    assert request.action_id == "a1" and approver.pending == [request] and not task.done()
    assert request.answer(Decision("approve"))
    assert not request.answer(Decision("deny"))  # a second key press changes nothing
    assert (await task).verdict == "approve"
    assert approver.pending == []


async def test_an_unmatched_fingerprint_gets_no_action_id() -> None:
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    approver.observe(proposed("a1", "other"))
    task = asyncio.ensure_future(approver.decide(action(fp="fp1")))
    await asyncio.sleep(0)
    assert posted[0].action_id is None
    posted[0].answer(Decision("deny"))
    await task


async def test_deny_all_answers_every_waiting_request() -> None:
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    tasks = [asyncio.ensure_future(approver.decide(action(fp=f"f{i}"))) for i in range(3)]
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


async def test_an_edit_marks_the_next_proposal_of_that_tool() -> None:
    posted: list[PendingApproval] = []
    approver = TuiApprover(posted.append)
    first = asyncio.ensure_future(approver.decide(action(command="old")))
    await asyncio.sleep(0)
    posted[0].answer(Decision("edit", edited_args={"command": "new"}))
    await first
    second = asyncio.ensure_future(approver.decide(action(command="new")))
    await asyncio.sleep(0)
    assert posted[1].edited_from == {"command": "old"}
    posted[1].answer(Decision("approve"))
    await second
    third = asyncio.ensure_future(approver.decide(action(command="other")))
    await asyncio.sleep(0)
    assert posted[2].edited_from is None
    posted[2].answer(Decision("approve"))
    await third


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
    request = PendingApproval(action(), asyncio.get_running_loop().create_future())
    bridge.approval(request)
    (message,) = target.messages
    assert isinstance(message, ApprovalRequested) and message.request is request
