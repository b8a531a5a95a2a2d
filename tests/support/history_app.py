"""Shared by the history and replay UI tests: a host app, a frozen clock, journals to show."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable

from assistant.agent import events as ev
from assistant.journal import Journal
from assistant.ui.screens.session_actions import ResumeSession, UndoRequest
from assistant.ui.widgets.action_card import ActionCard
from assistant.ui.widgets.conversation import ConversationView, Notice, Reply

NOW = datetime(2025, 3, 14, 16, 0, 0, tzinfo=UTC)
"""The frozen "now" of every history test (a Friday afternoon, shown in UTC)."""


def frozen_now() -> datetime:
    return NOW


class StepClock:
    """A journal clock that starts at ``start`` and moves ``step`` on every reading."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self.moment = start
        self.step = step

    def __call__(self) -> datetime:
        now = self.moment
        self.moment += self.step
        return now


class HostApp(App[None]):
    """The smallest app that shows one of the history screens and records what they ask of it."""

    def __init__(self, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.resumed: list[str] = []
        self.undo_requests: list[UndoRequest] = []

    def on_mount(self) -> None:
        self.push_screen(self.make_screen())

    def on_resume_session(self, message: ResumeSession) -> None:
        self.resumed.append(message.session_id)

    def on_undo_request(self, message: UndoRequest) -> None:
        self.undo_requests.append(message)


async def settle(pilot: Any) -> None:
    """Wait for the screens' loader threads and the messages they post (no sleeping)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def replay_newest(pilot: Any) -> Any:
    """From the chat: the history (F2), then enter on its first row, the session just made;
    returns the replay screen it opens (at its first event)."""
    from assistant.ui.screens.replay import ReplayScreen

    pilot.app.action_history()
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    replay = pilot.app.screen
    assert isinstance(replay, ReplayScreen)
    return replay


def shown(view: ConversationView) -> list[str]:
    """What the conversation view shows, one line per visible widget, in order."""
    out: list[str] = []
    for child in view.children:
        if not child.display:
            continue  # a step the replay has gone back over
        if isinstance(child, ActionCard):
            out.append(f"card {child.proposed.tool} {child.status}")
        elif isinstance(child, Reply):
            out.append(f"reply {child.reply_text}")
        elif isinstance(child, Notice):
            content = child.content
            out.append(f"notice {content.plain if isinstance(content, Text) else content}")
        elif isinstance(child, Widget):
            out.append(type(child).__name__)
    return out


def describe(view: ConversationView) -> list[str]:
    """Every visible widget with the details a person reads on a card."""
    out = []
    for line, child in zip(shown(view), [c for c in view.children if c.display], strict=True):
        if isinstance(child, ActionCard):
            folds = [name for name in ("preview", "result") if child.fold(name) is not None]
            line += f" | {child.status_text().plain} | {folds}"
        out.append(line)
    return out


def table_titles(table: DataTable[Any]) -> list[str]:
    """The "first prompt" cell of every row on the page, as shown."""
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


def seed_sessions(journal: Journal, n: int) -> None:
    """n small sessions (prompt, one action, usage) quickly: durability is not under test here,
    so the appends skip their fsync (reads, which these tests exercise, are unaffected)."""
    assert journal._db is not None
    journal._db.execute("PRAGMA synchronous=OFF")
    tools = itertools.cycle(["csv_write", "shell", "http_request"])
    for i in range(n):
        tool = next(tools)
        sid = journal.create_session(model="openai/gpt-4.1", workspace="/ws")
        journal.append(sid, "user.message", {"text": f"session number {i} about invoices"})
        target = (
            f"host:api{i % 5}.example.com:443" if tool == "http_request" else f"path:f{i % 9}.csv"
        )
        journal.append(
            sid,
            "action.proposed",
            {
                "action_id": f"act-{i}",
                "call_id": None,
                "tool": tool,
                "args": {},
                "effect": "write" if i % 2 else "read",
                "summary": f"{tool} #{i}",
                "preview": {},
                "targets": [target],
                "fingerprint": "f",
            },
        )
        if i % 10 == 0:
            journal.append(
                sid, "action.decided", {"action_id": f"act-{i}", "verdict": "deny", "by": "human"}
            )
        journal.append(
            sid,
            "turn.usage",
            {
                "model": "openai/gpt-4.1",
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "cost_usd": 0.001,
            },
        )
    journal._db.execute("PRAGMA synchronous=FULL")


def open_journal(
    path: Path,
    start: datetime,
    step: timedelta = timedelta(seconds=1),
    new_id: Callable[[], str] | None = None,
) -> Journal:
    return Journal(path, clock=StepClock(start, step), new_id=new_id)


def _proposed(
    action_id: str, tool: str, effect: str, summary: str, targets: list[str], preview_text: str = ""
) -> dict[str, Any]:
    preview = {"kind": "diff", "text": preview_text, "data": {}} if preview_text else {}
    return ev.ActionProposed(
        action_id, f"call-{action_id}", tool, {}, effect, summary, preview, targets, "f" * 16
    ).to_json()


def _usage(model: str, cost: float | None) -> dict[str, Any]:
    return ev.TurnUsage(model, 900, 120, cost).to_json()


def demo_journal(path: Path, new_id: Callable[[], str] | None = None) -> tuple[Journal, list[str]]:
    """Five sessions at fixed times around NOW; returns the journal and their ids, newest first.

    1. today 14:02, gpt-4.1: a read, a query and an approved csv write; $0.012
    2. today 11:40, claude: a denied POST and a bad tool call; $0.09
    3. yesterday 17:15, llama3.1: a shell write; no known price
    4. Jan 05: a title full of markup, escapes and bidi controls; $0.0004
    5. last year: a session that never got a prompt

    ``new_id``: the journal's session id factory (snapshots fix the ids).
    """
    clock = StepClock(NOW)
    journal = Journal(path, clock=clock, new_id=new_id)
    ids: list[str] = []

    def session(at: datetime, model: str | None, events: list[tuple[str, dict[str, Any]]]) -> None:
        clock.moment = at
        sid = journal.create_session(model=model, workspace="/home/ana/data/q3-pull")
        for kind, payload in events:
            journal.append(sid, kind, payload)
        ids.insert(0, sid)

    session(datetime(2024, 11, 2, 8, 30, tzinfo=UTC), "openai/gpt-4.1-mini", [])
    session(
        datetime(2025, 1, 5, 10, 0, tzinfo=UTC),
        "openai/gpt-4.1",
        [
            ("user.message", {"text": "[bold red]boom[/] \x1b[31mred\u202e evil\n second line"}),
            ("turn.usage", _usage("openai/gpt-4.1", 0.0004)),
        ],
    )
    gpt = "openai/gpt-4.1"
    session(
        datetime(2025, 3, 13, 17, 15, tzinfo=UTC),
        "ollama_chat/llama3.1",
        [
            ("user.message", {"text": "Clean the supplier CSV and dedupe by VAT id"}),
            ("turn.usage", _usage("ollama_chat/llama3.1", None)),
            (
                "action.proposed",
                _proposed(
                    "a-31",
                    "shell",
                    "write",
                    "sort -u suppliers.csv > clean.csv",
                    ["path:clean.csv"],
                    "+++ clean.csv\n+vat,name",
                ),
            ),
            ("action.decided", ev.ActionDecided("a-31", "approve", "human").to_json()),
            ("action.approved", ev.ActionApproved("a-31", "human").to_json()),
            (
                "action.result",
                ev.ActionResult(
                    "a-31",
                    True,
                    "wrote clean.csv (212 rows)",
                    elapsed=0.08,
                    blobs={"clean.csv": None},
                ).to_json(),
            ),
        ],
    )
    session(
        datetime(2025, 3, 14, 11, 40, tzinfo=UTC),
        "anthropic/claude-3-5-sonnet",
        [
            ("user.message", {"text": "Poke the staging /v2/users endpoint"}),
            ("turn.usage", _usage("anthropic/claude-3-5-sonnet", 0.09)),
            (
                "action.proposed",
                _proposed(
                    "a-21",
                    "http_request",
                    "write",
                    "POST https://staging.example.com/v2/users",
                    ["host:staging.example.com:443"],
                    "POST /v2/users",
                ),
            ),
            (
                "action.decided",
                ev.ActionDecided("a-21", "deny", "human", reason="not on staging").to_json(),
            ),
            (
                "action.error",
                ev.ActionError("call-x", "csv_query", "invalid JSON arguments").to_json(),
            ),
        ],
    )
    session(
        datetime(2025, 3, 14, 14, 2, tzinfo=UTC),
        gpt,
        [
            (
                "user.message",
                {
                    "text": "Pull last week's orders from the shop API and save the paid ones as orders.csv"
                },
            ),
            ("turn.usage", _usage(gpt, 0.004)),
            (
                "assistant.message",
                {
                    "text": "I'll fetch the orders first, then filter the **paid** ones.",
                    "tool_calls": [],
                },
            ),
            (
                "action.proposed",
                _proposed(
                    "a-11",
                    "http_request",
                    "read",
                    "GET https://shop.example.com/api/orders?since=2025-03-07",
                    ["host:shop.example.com:443"],
                ),
            ),
            ("action.decided", ev.ActionDecided("a-11", "approve", "policy:read").to_json()),
            ("action.approved", ev.ActionApproved("a-11", "policy:read").to_json()),
            (
                "action.result",
                ev.ActionResult(
                    "a-11",
                    True,
                    '{"orders": 312}',
                    display="200 · application/json · 48 KB · 312 orders",
                    elapsed=0.41,
                ).to_json(),
            ),
            (
                "action.proposed",
                _proposed(
                    "a-12",
                    "csv_write",
                    "write",
                    "create orders.csv (271 rows, 6 columns)",
                    ["path:orders.csv"],
                    "+++ orders.csv\n+id,created_at,customer,total,currency,status\n+10231,2025-03-07,ACME GmbH,120.00,EUR,paid",
                ),
            ),
            ("action.decided", ev.ActionDecided("a-12", "approve", "human").to_json()),
            ("action.approved", ev.ActionApproved("a-12", "human").to_json()),
            (
                "action.result",
                ev.ActionResult(
                    "a-12",
                    True,
                    "created orders.csv: 271 rows",
                    elapsed=0.12,
                    blobs={"orders.csv": None},
                ).to_json(),
            ),
            ("turn.usage", _usage(gpt, 0.008)),
            (
                "assistant.message",
                {"text": "Saved 271 paid orders to `orders.csv`.", "tool_calls": []},
            ),
            ("turn.end", {"reason": "done"}),
        ],
    )
    return journal, ids
