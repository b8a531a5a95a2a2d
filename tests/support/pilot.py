"""Driving the app with Textual's pilot: the app as a person starts it, and waits bounded by
what the screen or the session shows (no fixed sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from assistant.config import Settings
from assistant.journal import Journal
from assistant.ui.app import AssistantApp
from assistant.ui.probe import LocalServer
from tests.support import fake_llm as llm
from tests.support.textdump import screen_text

SIZE = (120, 36)
MODEL_NAMED = Settings(model="openai/gpt-4.1")
"""The app's settings with a model named but never asked: slash commands go through the gate."""


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], Any], what: str, timeout: float = 15
) -> None:
    """Let the app run until ``condition()`` holds (bounded; no fixed sleeps)."""
    steps = int(timeout / 0.02)
    for _ in range(steps):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}\n{screen_text(pilot.app)}")


class AppOpener:
    """The app as a person starts it, on the test's workspace, driven by Textual's pilot; the
    ``open_app`` fixture (tests/conftest.py) hands one to each test::

        async with open_app(fake_llm) as pilot:
            app = pilot.app

    ``server``: the fake model the app talks to (None: no model, manual mode). ``settings``:
    None reads the config file as the product does. The first-run screen shows only with
    ``setup=True``; litellm is preloaded only with ``preload=True``. Other keywords go to
    ``AssistantApp``; ``size`` and ``notifications`` to ``run_test``."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace

    @asynccontextmanager
    async def __call__(
        self,
        server: llm.FakeLLM | None = None,
        *,
        settings: Settings | None = None,
        workspace: Path | None = None,
        size: tuple[int, int] = SIZE,
        notifications: bool = False,
        **kwargs: Any,
    ) -> AsyncIterator[Pilot[None]]:
        app = AssistantApp(
            settings,
            model=server.model() if server else None,
            api_base=server.base_url if server else None,
            workspace=workspace or self.workspace,
            **{"preload": False, "setup": False, **kwargs},
        )
        async with app.run_test(size=size, notifications=notifications) as pilot:
            yield pilot


def found(servers: list[LocalServer] | None = None) -> Callable[[], Any]:
    """A probe for the first-run screen that finds ``servers`` (default: none) on loopback."""

    async def fake_probe() -> list[LocalServer]:
        return servers or []

    return fake_probe


def events(app: AssistantApp) -> list[tuple[str, dict[str, Any]]]:
    rt = app.session.runtime
    assert rt is not None
    return [(e.kind, e.payload) for e in rt.journal.events(rt.session_id)]


def pane_words(app: App[Any]) -> str:
    """The words inside the pane's border as on screen, wrapped lines joined."""
    inside = []
    for row in screen_text(app).splitlines():
        if row.count("│") >= 2:
            inside.append(row[row.index("│") + 1 : row.rindex("│")].strip())
    return " ".join(" ".join(inside).split())


def stored_events(home: Path) -> list[tuple[str, dict[str, Any]]]:
    """The events of the one session in the journal under ``home``, read after the app closed."""
    with Journal(home / "data" / "journal.sqlite3") as journal:
        (session,) = journal.sessions()
        return [(e.kind, e.payload) for e in journal.events(session.id)]


async def send(pilot: Pilot[Any], text: str) -> None:
    app = pilot.app
    assert isinstance(app, AssistantApp)
    await wait_for(pilot, lambda: app.session.runtime is not None, "the session to open")
    prompt = app.chat.prompt
    prompt.focus()
    prompt.load_text(text)
    await pilot.press("enter")


async def pending(pilot: Pilot[Any], count: int = 1) -> None:
    app = pilot.app
    assert isinstance(app, AssistantApp)
    await wait_for(pilot, lambda: len(app.chat.pane.queue) >= count, "an action in the pane")
    await pilot.pause()


async def turn_done(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, AssistantApp)
    await wait_for(pilot, lambda: not app.chat.turn_running, "the turn to end")
    await pilot.pause()


async def stop_mid_stream(pilot: Pilot[Any], server: llm.FakeLLM, prompt: str) -> dict[str, Any]:
    """Send ``prompt`` (its scripted answer stalls after its first chunks), press Esc once they
    are on the screen, let the server go on: the stopped turn's turn.error payload."""
    app = pilot.app
    assert isinstance(app, AssistantApp)
    await send(pilot, prompt)
    await wait_for(pilot, server.stalled.is_set, "the stream to stall")
    await wait_for(pilot, lambda: app.chat.view.reply is not None, "the first deltas")
    await pilot.press("escape")
    await turn_done(pilot)
    server.release()
    stopped = [p for k, p in events(app) if k == "turn.error"]
    assert stopped, "no turn.error after Esc"
    return stopped[-1]
