"""ConversationView and ActionCard: one event stream, painted the same live (deltas) and stored
(whole messages); every card status; results folded; untrusted text never interpreted."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from textual.app import App, ComposeResult

from assistant.agent import events as ev
from assistant.ui.bridge import DeltaBatch, EventBridge
from assistant.ui.widgets.conversation import ConversationView
from assistant.ui.widgets.reply import Reply
from tests.support.textdump import screen_text

AT = datetime(2026, 11, 25, 14, 2, 11)
ANSWER = "# Orders\n\nI fetched **312** orders; `271` are paid:\n\n- ACME\n- Rossi\n\nDone."


class ViewApp(App[None]):
    def __init__(self, live: bool = False) -> None:
        super().__init__()
        self.live = live

    def compose(self) -> ComposeResult:
        yield ConversationView(live=self.live, clock=lambda: AT)

    @property
    def view(self) -> ConversationView:
        return self.query_one(ConversationView)


def proposed(action_id: str = "a1", effect: str = "write", **kw: Any) -> ev.ActionProposed:
    values: dict[str, Any] = {
        "action_id": action_id,
        "call_id": "c1",
        "tool": "shell",
        "args": {"command": "echo hi > a.txt"},
        "effect": effect,
        "summary": "shell: echo hi > a.txt",
        "preview": {"kind": "text", "text": "$ echo hi > a.txt", "data": {}},
        "targets": ["path:a.txt"],
        "fingerprint": "f" + action_id,
    }
    values.update(kw)
    return ev.ActionProposed(**values)


def session(deltas: bool) -> list[ev.Event]:
    """A turn as the journal has it; with ``deltas`` also the live-only text deltas."""
    out: list[ev.Event] = [ev.UserMessage("pull the orders")]
    if deltas:
        out += [ev.AssistantDelta(ANSWER[i : i + 3]) for i in range(0, len(ANSWER), 3)]
    out += [
        ev.TurnUsage("m", 100, 20, None),
        ev.AssistantMessage(ANSWER, [{"id": "c1", "name": "shell", "arguments": "{}"}]),
        proposed(),
        ev.ActionDecided("a1", "approve", "human"),
        ev.ActionApproved("a1", "human"),
        ev.ActionResult("a1", True, "exit 0", "exit 0 · 3 B", 0.25),
        ev.AssistantMessage("All set."),
        ev.TurnEnd(),
    ]
    return out


async def paint(events: list[ev.Event]) -> tuple[str, ViewApp]:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        for event in events:
            app.view.apply(event, at=AT)
        for reply in app.view.query("Reply"):
            await reply.drained()  # type: ignore[attr-defined]
        await pilot.pause()
        return screen_text(app), app


async def test_stored_session_renders_exactly_as_live() -> None:
    live, _ = await paint(session(deltas=True))
    stored, _ = await paint(session(deltas=False))
    assert live == stored
    assert "I fetched 312 orders; 271 are paid:" in live
    assert "approved by you at 14:02:11 · 0.25 s · exit 0 · 3 B" in live


async def test_card_statuses_name_who_decided() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.view
        view.apply(proposed("r", effect="read"))
        view.apply(ev.ActionDecided("r", "approve", "policy:read"))
        view.apply(proposed("g"))
        view.apply(ev.GrantAdded("g1", "shell", "k", "shell > in the top folder"))
        view.apply(ev.ActionDecided("g", "approve", "rule:g1", reason="shell > in the top folder"))
        view.apply(proposed("d"))
        view.apply(ev.ActionDecided("d", "deny", "human", reason="not that folder"))
        view.apply(proposed("p"))
        view.apply(ev.ActionDecided("p", "deny", "policy:deny", reason="no deletes"))
        view.apply(proposed("f"))
        view.apply(ev.ActionDecided("f", "approve", "human"))
        view.apply(ev.ActionApproved("f", "human"))
        view.apply(ev.ActionResult("f", False, "error: disk full", "disk full", 0.5))
        view.apply(proposed("u"))
        view.apply(ev.ActionDecided("u", "approve", "human"))
        view.apply(ev.ActionApproved("u", "human"))
        view.apply(proposed("w"))
        await pilot.pause()
        lines = {c.action_id: (c.status, str(c.status_text())) for c in view.cards}
        # every card's status line starts with its id, as /undo and `assistant undo` take it
        assert all(text.startswith(f"id {aid}") for aid, (_, text) in lines.items())
        status = {aid: (st, text.removeprefix(f"id {aid} · ")) for aid, (st, text) in lines.items()}
        assert status["r"] == ("approved", "approved by read policy at 14:02:11")
        assert status["g"] == (
            "approved",
            'approved by rule "shell > in the top folder" at 14:02:11',
        )
        assert status["d"] == ("denied", 'denied by you: "not that folder" at 14:02:11')
        assert status["p"] == ("denied", 'denied by deny rule: "no deletes" at 14:02:11')
        assert status["f"][0] == "failed" and status["f"][1].endswith("0.50 s · disk full")
        assert status["u"][0] == "running" and status["w"][0] == "proposed"
        view.mark_unfinished()  # the stored session stops here
        assert view.action_card("u").status == "unknown"  # type: ignore[union-attr]
        assert view.action_card("w").status == "undecided"  # type: ignore[union-attr]
        await pilot.pause()
        text = screen_text(app)
        assert "outcome unknown" in text and "not decided" in text and "DENIED" in text


async def test_long_results_are_folded_and_scroll() -> None:
    app = ViewApp()
    output = "\n".join(f"line {i}" for i in range(500))
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.view
        view.apply(proposed(effect="read"))
        view.apply(ev.ActionDecided("a1", "approve", "policy:read"))
        view.apply(ev.ActionApproved("a1", "policy:read"))
        view.apply(ev.ActionResult("a1", True, output, "500 lines", 0.1))
        await pilot.pause()
        card = view.action_card("a1")
        assert card is not None
        assert "line 3" not in screen_text(app)  # folded
        assert "▸ result (500 lines)" in screen_text(app)
        assert card.region.height <= 4
        card.focus()
        await pilot.press("enter")
        text = screen_text(app)
        assert "line 3" in text and "line 400" not in text
        fold = card.fold("result")
        assert fold is not None and fold.open
        scroller = fold.query_one("VerticalScroll")
        assert scroller.region.height == 16 and scroller.max_scroll_y > 400
        await pilot.press("enter")
        assert "line 3" not in screen_text(app)


async def test_untrusted_text_is_shown_not_interpreted() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.view
        view.apply(ev.UserMessage("[bold]hi[/] \x1b[31mred"))
        view.apply(ev.AssistantMessage("see [link](https://evil.example) \x07 [b]x[/b]"))
        view.apply(proposed(summary="write [red]x[/] \u202eabc"))
        view.apply(ev.ActionError("c9", "shell", "bad [i]args[/i] \x1b]8;;x\x1b\\"))
        await pilot.pause()
        text = screen_text(app)
        assert "[bold]hi[/] \\x1b[31mred" in text
        assert "\\x07 [b]x[/b]" in text
        assert "write [red]x[/] \\u202eabc" in text
        assert "bad [i]args[/i] \\x1b]8;;x\\x1b\\" in text
        assert "link (https://evil.example)" in text  # the address is shown, not a hidden link


async def test_applying_an_event_twice_is_harmless_and_clear_forgets() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.view
        for _ in range(2):
            view.apply(proposed())
            view.apply(ev.ActionDecided("a1", "approve", "human"))
            view.apply(ev.ActionApproved("a1", "human"))
            view.apply(ev.ActionResult("a1", True, "ok", "ok", 0.1))
        await pilot.pause()
        assert len(view.cards) == 1 and view.cards[0].status == "done"
        assert len(view.query(".card-result")) == 1
        view.clear()
        await pilot.pause()
        assert view.cards == [] and view.action_card("a1") is None and not view.children


async def test_usage_totals_and_unknown_cost() -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 20)):
        view = app.view
        view.apply(ev.TurnUsage("m", 10, 5, 0.001))
        assert (view.tokens, view.cost_usd) == (15, 0.001)
        view.apply(ev.TurnUsage("m", 10, 5, None))
        assert (view.tokens, view.cost_usd) == (30, None)  # unknown, not free


async def test_live_cards_tick_while_running() -> None:
    app = ViewApp(live=True)
    async with app.run_test(size=(100, 20)) as pilot:
        app.view.apply(proposed())
        app.view.apply(ev.ActionDecided("a1", "approve", "human"))
        app.view.apply(ev.ActionApproved("a1", "human"))
        await pilot.pause()
        card = app.view.action_card("a1")
        assert card is not None and card.ticking
        assert "running 0." in str(card.status_text())
        app.view.apply(ev.ActionResult("a1", True, "ok", "ok", 0.7))
        assert not card.ticking and str(card.status_text()).endswith("0.70 s · ok")


LONG = "\n\n".join(
    [f"## Part {i}\n\nSome *text* for part {i}, " + "word " * 60 for i in range(12)]
    + ["```python\nx = 1\n\nPrint = 'not a cut inside a fence'\n```", "1. one\n2. two", "Done."]
)


def test_sections_of_a_prefix_are_the_sections_of_the_whole_so_far() -> None:
    from assistant.ui.widgets.reply import sections

    cuts = sections(LONG)
    assert len(cuts) >= 2
    for n in range(0, len(LONG) + 1, 7):
        assert sections(LONG[:n]) == [c for c in cuts if c < n]
    fenced = "a" * 2000 + "\n\n```\ncode\n\nStill code " + "b" * 2000 + "\n```\n\nAfter"
    (cut,) = sections(fenced)
    assert fenced[cut:] == "After"


async def test_a_long_reply_streamed_in_pieces_looks_like_the_whole() -> None:
    pieces = [LONG[i : i + 7] for i in range(0, len(LONG), 7)]
    streamed, stored = [], []
    for events, out in ((list(map(ev.AssistantDelta, pieces)), streamed), ([], stored)):
        app = ViewApp()
        async with app.run_test(size=(100, 200)) as pilot:
            for event in [*events, ev.AssistantMessage(LONG)]:
                app.view.apply(event, at=AT)
                if len(events) and event is events[len(events) // 2]:
                    await pilot.pause()  # part of it painted mid-stream
            for reply in app.view.query("Reply"):
                await reply.drained()  # type: ignore[attr-defined]
            await pilot.pause()
            out.append(screen_text(app))
            out.append(sum(r.section_count for r in app.view.query(Reply)))
    assert streamed == stored
    assert "Part 11" in streamed[0] and "not a cut inside a fence" in streamed[0]
    assert streamed[1] > 1


class BridgedApp(ViewApp):
    """The chat screen's wiring in small: a bridge posts here, the handler hands batches on."""

    def __init__(self) -> None:
        super().__init__(live=True)
        self.batches = 0

    def on_delta_batch(self, message: DeltaBatch) -> None:
        self.batches += 1
        self.view.stream(message.take)


async def test_deltas_wait_in_their_batch_until_the_reply_repaints() -> None:
    app = BridgedApp()
    async with app.run_test(size=(100, 40)) as pilot:
        bridge = EventBridge(app)
        words = [f"w{i} " for i in range(4000)]
        for start in range(0, 4000, 10):
            for word in words[start : start + 10]:
                bridge(ev.AssistantDelta(word))
            for _ in range(3):  # the app gets to handle what was posted, as in a real stream
                await asyncio.sleep(0)
        bridge(ev.AssistantMessage("".join(words)))
        await pilot.pause()
        (reply,) = app.view.query(Reply)
        await reply.drained()
        await pilot.pause()  # the view follows the end one frame later
        assert reply.reply_text == "".join(words)
        # a batch message is posted only after the reply took the last one, at a repaint
        # (at most one per 40 ms), not each time the app could handle one
        assert 1 <= app.batches <= 30, app.batches
        assert "w3999" in screen_text(app)
