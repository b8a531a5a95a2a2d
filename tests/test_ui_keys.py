"""Keys and focus: no binding on a key a terminal cannot send, /help read from the bindings, Esc
closes every dialog (the argument editor too, unapplied) and brings focus back from a card, the
palette shows usage strings as written, and the history filter dialog's enter applies."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.dom import DOMNode
from textual.pilot import Pilot

import assistant.ui
from assistant.ui.app import AssistantApp
from assistant.ui.keys import keys_of, unsendable
from tests.support.pilot import AppOpener, events, pending, send, wait_for
from tests.support.textdump import screen_text

SIZE = (120, 40)
SMALL = (80, 24)


def ui_classes() -> list[type[DOMNode]]:
    """Every app, screen and widget class of assistant.ui (its own, not Textual's)."""
    found: list[type[DOMNode]] = []
    for info in pkgutil.walk_packages(assistant.ui.__path__, "assistant.ui."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, DOMNode) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_binding_is_a_key_a_terminal_can_send() -> None:
    classes = ui_classes()
    assert {c.__name__ for c in classes} >= {"ChatScreen", "ConfirmPane", "ActionCard"}
    bad = []
    for cls in classes:
        own = [*cls.BINDINGS, *getattr(cls, "KEYS_HELP", ())]
        for binding in own:
            for key in keys_of(binding):
                instead = unsendable(key)
                if instead is not None:
                    bad.append(f"{cls.__name__}: {key} arrives as {instead}")
    assert bad == []


@pytest.mark.parametrize("key", ["ctrl+h", "ctrl+i", "ctrl+m", "ctrl+left_square_bracket"])
def test_the_rule_knows_the_keys_terminals_fold(key: str) -> None:
    assert unsendable(key) is not None
    assert unsendable("ctrl+p") is None and unsendable("f2") is None


async def test_help_lists_the_keys_the_bindings_have(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    from assistant.ui.screens.chat import ChatScreen
    from assistant.ui.widgets.action_card import ActionCard
    from assistant.ui.widgets.confirm_pane import ConfirmPane
    from assistant.ui.widgets.data_grid import DataGrid

    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "/help")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "Ctrl+H" not in text and "F2 history" in text and "Ctrl+Q quit" in text
        assert "Esc stop" in text and "Enter send" in text and "Ctrl+J new line" in text
        for cls in (ChatScreen, ConfirmPane, ActionCard, DataGrid):  # the README: every key
            for binding in cls.BINDINGS:
                if isinstance(binding, Binding) and binding.description:
                    assert binding.description in text, binding
        assert "u undo…" in text and "c copy id" in text and "← previous call" in text
        await pilot.press("f2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HistoryScreen", "F2")


async def test_esc_cancels_the_edit_dialog_unapplied(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    from assistant.ui.screens.dialogs import EditArgsScreen

    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "/sh echo hi > a.txt")
        await pending(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditArgsScreen), "the editor")
        await pilot.press("end", *' "x', "tab")  # now invalid JSON, with a tab typed in
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.chat  # closed at once, nothing applied
        pane = app.chat.pane
        assert pane.has_focus and pane.current is not None
        assert [k for k, _ in events(app)] == ["action.proposed"]  # no edit, no decision
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").exists(), "the original write")
        assert (workspace_dir / "a.txt").read_text() == "hi\n"


async def esc_closes(pilot: Pilot[Any], app: AssistantApp, name: str) -> None:
    await wait_for(pilot, lambda: type(app.screen).__name__ == name, name)
    await pilot.press("escape")
    await wait_for(pilot, lambda: type(app.screen).__name__ != name, f"Esc to close {name}")


async def test_esc_closes_every_dialog(workspace_dir: Path, open_app: AppOpener) -> None:
    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "/keys set SHOP")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SecretInputScreen", "/keys")
        await pilot.pause()
        said = " ".join(screen_text(app).split())  # the backend in use, never "system" unasked
        assert "Stored in the keyring backend" in said and "keyrings.MemoryKeyring." in said
        assert "system keyring" not in said
        await esc_closes(pilot, app, "SecretInputScreen")
        assert app.screen is app.chat

        await send(pilot, "/sh echo hi > a.txt")
        await pending(pilot)
        await pilot.press("f")
        await esc_closes(pilot, app, "FullPreviewScreen")
        assert app.chat.pane.current is not None
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "a.txt").exists(), "the write")

        await pilot.press("ctrl+p")
        await esc_closes(pilot, app, "CommandPalette")

        await pilot.press("f2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HistoryScreen", "history")
        await pilot.press("f")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "FilterDialog", "filters")
        await pilot.press("tab")  # focus on a checkbox, then an input: Esc still closes
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HistoryScreen", "Esc")
        await pilot.press("x")
        await esc_closes(pilot, app, "ExportDialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.chat, "Esc back to the chat")


async def test_esc_from_a_card_returns_to_the_prompt(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, "/sh echo hi > a.txt")
        await pending(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: app.chat.view.cards[0].status == "done", "the write")
        card = app.chat.view.cards[0]
        card.focus()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.chat.prompt.has_focus


async def test_the_palette_shows_usage_strings_as_written(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette", "palette")
        await wait_for(
            pilot, lambda: "/http [METHOD] URL [BODY]" in screen_text(app), "the usage in full"
        )
        shown = screen_text(app)
        assert "/keys [set NAME [--host HOST] | delete NAME]" in shown
        await pilot.press(*"http")
        await wait_for(pilot, lambda: "/http  send an HTTP request" in screen_text(app), "hit")
        assert "/http [METHOD] URL [BODY]" in screen_text(app)


async def test_enter_applies_the_filters_from_any_field(tmp_path: Path) -> None:
    from textual.widgets import Checkbox

    from assistant.ui.screens.history import HistoryScreen
    from assistant.ui.screens.history_filters import FilterDialog, ListFilter
    from tests.support.history_app import HostApp, demo_journal, frozen_now, settle

    journal, _ = demo_journal(tmp_path / "journal.sqlite3")
    app = HostApp(lambda: HistoryScreen(journal, now=frozen_now))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert "no filters" in screen_text(app)
        await pilot.press("f")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FilterDialog)
        box = dialog.query_one("#f-writes", Checkbox)
        box.focus()
        await pilot.press("space")  # space toggles
        await pilot.pause()
        assert box.value
        await pilot.press("enter")  # enter applies, from a checkbox too
        await settle(pilot)
        assert app.screen is screen
        assert screen.filter == ListFilter(has_writes=True)
        shown = screen_text(app)
        assert "filters on: [writes]" in shown and "no filters" not in shown
        assert "3 sessions" in shown
    journal.close()
