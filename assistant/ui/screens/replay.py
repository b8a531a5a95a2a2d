"""The replay screen: one stored session fed back through the chat's own conversation widgets,
with a timeline (step, jump to actions, play), the hash-chain badge, export, undo and resume.

The screen never runs a tool: undo and resume are messages (see ``session_actions``) the app
carries out through its gate, where the restore is previewed and approved like any write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Static

from assistant import present
from assistant.agent import events as ev
from assistant.journal import Journal, JournalError, SessionInfo, VerifyResult
from assistant.ui.replay_timeline import Timeline
from assistant.ui.screens.replay_painter import WINDOW, ReplayPainter
from assistant.ui.screens.replay_pane import DecisionPane, asked_at
from assistant.ui.screens.session_actions import (
    ResumeSession,
    UndoRequest,
    now_local,
    start_export,
)
from assistant.ui.widgets.action_card import ActionCard
from assistant.ui.widgets.conversation import ConversationView
from assistant.ui.widgets.preview import safe

KEYS = (
    "◀ ▶ step  home/end  n/N next/prev action  p play 1×/4×  "
    "u undo file write…  x export  r resume in chat  esc back"
)
KEYS_NARROW = "◀ ▶ step  n/N action  p play  u undo…  x export  r resume  esc back"
NARROW = 100
"""Columns below which the head and the keys line take their short forms."""


class Loaded(Message, bubble=False):
    """What the loader thread read (the session and its steps), posted to the screen so that
    painting happens in the handler, never in the thread."""

    def __init__(
        self,
        info: SessionInfo | None,
        timeline: Timeline | None,
        error: str = "",
    ) -> None:
        super().__init__()
        self.info = info
        self.timeline = timeline
        self.error = error


class Verified(Message, bubble=False):
    """The chain check, done after the first event is on screen (it reads every event again)."""

    def __init__(self, result: VerifyResult | None, error: str = "") -> None:
        super().__init__()
        self.result = result
        self.error = error


class ReplayScreen(Screen[None]):
    """A stored session, drawn by ConversationView exactly as the chat drew it live."""

    CSS_PATH = "replay.tcss"
    AUTO_FOCUS = "#replay-view"

    BINDINGS = [
        Binding("right", "step(1)", "step ▶", priority=True),
        Binding("left", "step(-1)", "◀ step", priority=True),
        Binding("home", "seek(0)", "start", priority=True),
        Binding("end", "seek(-1)", "end", priority=True),
        Binding("n", "next_action", "next action"),
        Binding("N", "previous_action", "previous action"),
        Binding("p", "play", "play 1×/4×"),
        Binding("u", "undo", "undo file write"),
        Binding("x", "export", "export"),
        Binding("r", "resume", "resume"),
        Binding("escape", "back", "back"),
    ]

    def __init__(
        self,
        journal: Journal,
        session_id: str,
        *,
        now: Callable[[], datetime] = now_local,
        **kwargs: Any,
    ) -> None:
        """``now`` gives the display time zone (tests pass a frozen UTC clock)."""
        super().__init__(**kwargs)
        self.journal = journal
        self.session_id = session_id
        self.now = now
        self.timeline = Timeline([])
        self.info: SessionInfo | None = None
        self.verify_result: VerifyResult | None = None
        self.load_error = ""
        self.verify_error = ""
        self.painter: ReplayPainter | None = None
        self._dirty = False
        self._painting = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._timer: Timer | None = None
        self._early: list[Callable[[], None]] = []
        """Moves pressed before the session was read: made once it is (End at once means the
        end of the session, not nothing)."""

    def _before_load(self, move: Callable[[], None]) -> bool:
        if self.painter is None and not self.load_error:
            self._early.append(move)
            return True
        return False

    def compose(self) -> ComposeResult:
        yield Static("Replay  loading…", id="replay-head")
        yield Static("", id="replay-title")
        yield ConversationView(id="replay-view")
        yield DecisionPane(id="replay-pane")
        yield Static(KEYS, id="replay-keys")

    def on_resize(self) -> None:
        """Below 100 columns the head and the keys take their short forms (nothing cut off)."""
        self.query_one("#replay-keys", Static).update(KEYS if self._wide else KEYS_NARROW)
        self._refresh_head()

    @property
    def _wide(self) -> bool:
        return self.size.width >= NARROW or not self.size.width

    @property
    def view(self) -> ConversationView:
        return self.query_one("#replay-view", ConversationView)

    def on_mount(self) -> None:
        self.watch(self.view, "scroll_y", self._scrolled, init=False)
        self._load()

    @work(thread=True, exclusive=True, group="replay-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            info = self.journal.get_session(self.session_id)
            timeline = Timeline.from_stored(self.journal.events(info.id))
        except JournalError as exc:
            loaded = Loaded(None, None, str(exc))
        except Exception as exc:  # a bug must not leave the screen saying "loading…" forever
            loaded = Loaded(None, None, f"{type(exc).__name__}: {exc}")
        else:
            loaded = Loaded(info, timeline)
        self.post_message(loaded)

    @work(thread=True, exclusive=True, group="replay-verify", exit_on_error=False)
    def _verify(self, session_id: str) -> None:
        try:
            self.post_message(Verified(self.journal.verify(session_id)))
        except Exception as exc:  # said in the header; the replay itself goes on
            self.post_message(Verified(None, f"{type(exc).__name__}: {exc}"))

    def on_loaded(self, loaded: Loaded) -> None:
        if loaded.error or loaded.timeline is None or loaded.info is None:
            self.load_error = loaded.error or "the session could not be read"
            self.view.notice(f"cannot replay this session: {self.load_error}", error=True)
            self._refresh_head()
            return
        self.info = loaded.info
        self.session_id = loaded.info.id
        self.timeline = loaded.timeline
        self.painter = ReplayPainter(self.view, self.timeline, self._local)
        self.timeline.seek(1)  # open on the first event; end shows the whole session
        self.query_one("#replay-title", Static).update(self._title_text())
        early, self._early = self._early, []
        for move in early:
            move()
        self.request_paint()
        self._verify(loaded.info.id)

    def on_verified(self, verified: Verified) -> None:
        self.verify_result = verified.result
        self.verify_error = verified.error
        self._refresh_head()

    # -- painting ---------------------------------------------------------------------------------

    def request_paint(self) -> None:
        """Show the new cursor in the header now, and let one painter bring the view to it.

        Keys never wait for the view: while a paint runs, further moves only change the target,
        so a burst of keys over a long session costs one paint, not one per key.
        """
        self._refresh_head()
        self._dirty = True
        self._idle.clear()
        if not self._painting:
            self._painting = True
            self.run_worker(self._painter(), group="replay-paint")

    async def settled(self) -> None:
        """Wait until the view shows the timeline's cursor (tests; nothing in the app waits)."""
        await self._idle.wait()

    async def _painter(self) -> None:
        try:
            while self._dirty:
                self._dirty = False
                await self._paint_once()
        finally:
            # No await between the last check of _dirty and here: a request made meanwhile
            # either was seen by the loop or finds _painting False and starts a new painter.
            self._painting = False
            self._idle.set()

    async def _paint_once(self) -> None:
        if self.painter is not None:
            await self.painter.paint(self.timeline.position)
            self._show_pane()
        self._refresh_head()

    def _show_pane(self) -> None:
        """At a step where a person was asked: the pane as they saw it, and who decided."""
        life = asked_at(self.timeline)
        step = self.timeline.current
        decided = step is not None and isinstance(step.event, ev.ActionDecided)
        at = step.at if step is not None and decided else None
        self.query_one(DecisionPane).show(
            life, decided=decided, at=self._local(at) if at is not None else None
        )

    def _scrolled(self, scroll_y: float) -> None:
        """Scrolled to the top of what the view holds: hold (build) earlier items too."""
        painter = self.painter
        if painter is not None and scroll_y <= 0 and painter.more_before():
            painter.grow(WINDOW)
            self.request_paint()

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.now().tzinfo)

    def _refresh_head(self) -> None:
        self.query_one("#replay-head", Static).update(self.head_text())

    def head_text(self) -> Text:
        """Replay  s:7f3a  ·  chain verified ✓  ·  event 5 / 11  ·  action.result  ·  ▶ 4×"""
        head = Text("Replay", style="bold")
        sep = "  ·  " if self._wide else " · "
        head.append(("  " if self._wide else " ") + f"s:{safe(self.session_id[:8])}")
        if self.load_error:
            head.append(sep + "not loaded", style="bold red")
            return head
        result = self.verify_result
        if self.verify_error:
            head.append(sep + f"chain not checked: {safe(self.verify_error, 60)}", style="bold red")
        elif result is None:
            head.append(sep + "checking chain…", style="dim")
        elif result.ok:
            head.append(sep + ("chain verified ✓" if self._wide else "chain ✓"), style="green")
        else:
            where = f" at event {result.first_bad_seq}" if result.first_bad_seq else ""
            head.append(sep + f"chain BROKEN{where} ✗: {safe(result.reason, 80)}", style="bold red")
        tl = self.timeline
        head.append(sep + f"event {tl.position} / {len(tl)}")
        if tl.current is not None:
            head.append(sep + safe(tl.current.kind, 30), style="dim")
            if tl.current.action_id:
                head.append(sep + f"action {safe(tl.current.action_id, 40)}", style="bold")
        if tl.speed is not None:
            head.append(sep + f"▶ playing {tl.speed}×", style="bold")
        return head

    def _title_text(self) -> Table:
        """The first prompt (cut to fit) on the left; model, start time and workspace right."""
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True, justify="right")
        info = self.info
        if info is not None:
            created = present.stamp(info.created_at, "%Y-%m-%d %H:%M", self.now().tzinfo)
            grid.add_row(
                Text(safe(" ".join((info.title or "(no prompt)").split()), 200), style="bold"),
                Text(
                    f"  {safe(info.model or 'no model', 40)} · {created} · {safe(info.workspace, 50)}",
                    style="dim",
                ),
            )
        return grid

    # -- timeline keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Arrows, home and end move a focused grid's cursor, not the replay's."""
        return not (action in ("step", "seek") and isinstance(self.focused, DataTable))

    def action_step(self, delta: int) -> None:
        if self._before_load(lambda: self.action_step(delta)):
            return
        self._stop_play()
        if delta > 0:
            self.timeline.forward(delta)
        else:
            self.timeline.back(-delta)
        self.request_paint()

    def action_seek(self, position: int) -> None:
        if self._before_load(lambda: self.action_seek(position)):
            return
        self._stop_play()
        self.timeline.seek(len(self.timeline) if position < 0 else position)
        self.request_paint()

    def action_next_action(self) -> None:
        if self._before_load(self.action_next_action):
            return
        self._stop_play()
        if not self.timeline.next_action():
            self.notify("no further action in this session", timeout=2)
        self.request_paint()

    def action_previous_action(self) -> None:
        if self._before_load(self.action_previous_action):
            return
        self._stop_play()
        self.timeline.previous_action()
        self.request_paint()

    def action_play(self) -> None:
        """Paused → 1× → 4× → paused."""
        if not len(self.timeline):
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        speed = self.timeline.cycle_speed()
        if speed is not None:
            self._timer = self.set_interval(self.timeline.interval, self.play_tick)
        self.request_paint()

    def play_tick(self) -> None:
        """One step of play (the timer calls it; tests call it directly instead of waiting)."""
        self.timeline.tick()
        if self.timeline.speed is None:
            self._stop_play()
        self.request_paint()

    def _stop_play(self) -> None:
        self.timeline.pause()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    # -- requests to the app ----------------------------------------------------------------------

    def undo_target(self) -> ActionCard | None:
        """The focused card; else the action the cursor is on, once its result is shown; else
        the latest shown write whose result kept before-images."""
        focused = self.focused
        if isinstance(focused, ActionCard) and focused.display:
            return focused
        step = self.timeline.current
        current = self.view.action_card(step.action_id) if step and step.action_id else None
        if current is not None and current.result is not None:
            return current
        for card in reversed(self.view.cards):
            if card.display and card.result is not None and card.result.blobs:
                return card
        return None

    def action_undo(self) -> None:
        from assistant.undo import UndoError, undo_args

        card = self.undo_target()
        if card is None:
            self.notify("no file write shown here to undo", severity="warning", markup=False)
            return
        try:  # said here at once; the chat's session checks it again before the preview
            undo_args(self.journal, card.action_id)
        except UndoError as exc:
            self.notify(f"cannot undo: {safe(exc, 300)}", severity="warning", markup=False)
            return
        self.post_message(UndoRequest(card.action_id))
        self.notify(
            f"undo of {safe(card.proposed.summary, 60)} sent to the chat: review its preview there",
            markup=False,
        )

    def action_export(self) -> None:
        if self.info is not None:
            card, at = self.focused, self.timeline.current  # the step a live mark starts on
            action_id = (
                card.action_id if isinstance(card, ActionCard) else at.action_id if at else None
            )
            start_export(self, self.journal, self.info.id, action_id=action_id)

    def action_resume(self) -> None:
        if self.info is not None:
            self.post_message(ResumeSession(self.info.id))

    def action_back(self) -> None:
        self._stop_play()
        self.dismiss()
