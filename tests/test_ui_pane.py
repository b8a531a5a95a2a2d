"""The confirm pane shows the whole preview at 80x24: a 1,000-row csv_write diff, a long shell
diff and a long HTTP body all scroll to their last line with the keys still on screen, and
approving works from there; a preview the tool summarised says so, and `f` opens every line on
a screen of its own (Esc comes back to the pane). Every action is planned by the real tool
through the gate (a model's tool call or a slash command), never hand-made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from assistant.ui.app import AssistantApp
from assistant.ui.screens.preview_screen import FullPreviewScreen
from tests.support import fake_llm as llm
from tests.support.http_servers import LoopbackServer
from tests.support.pilot import (
    MODEL_NAMED,
    AppOpener,
    pane_words,
    pending,
    send,
    turn_done,
    wait_for,
)
from tests.support.textdump import screen_text

SMALL = (80, 24)
KEY_LINE = "[y] approve  [n] deny…  [e] edit…  [f] full screen"


def rows(n: int) -> list[list[str]]:
    return [["id", "customer", "total"]] + [
        [str(i), f"customer-{i:04d}", f"{i}.50"] for i in range(1, n + 1)
    ]


def keys_on_screen(app: AssistantApp) -> bool:
    return KEY_LINE in screen_text(app)


async def scroll_to_end(pilot: Pilot[Any]) -> None:
    await pilot.press("end")
    await pilot.pause()


async def test_a_1000_row_csv_write_reaches_its_last_row_at_80x24(
    fake_llm: llm.FakeLLM, workspace_dir: Path, open_app: AppOpener
) -> None:
    args = {"path": "orders.csv", "mode": "create", "rows": rows(1000)}
    fake_llm.queue(llm.tool_call("csv_write", json.dumps(args)), llm.text("Written."))
    async with open_app(fake_llm, size=SMALL) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: app.session.runtime is not None, "the session to open")
        await pilot.press(*"save the orders")
        await pilot.press("enter")
        await pending(pilot)
        pane = app.chat.pane
        assert pane.has_focus
        view = pane.preview_view
        shown = screen_text(app)
        assert keys_on_screen(app)
        assert "csv_write listed 100 of 1,000 changed rows" in shown  # summarised, and says so
        assert "customer-1000" not in shown
        assert view.line_count > 1000 and not view.at_end

        await pilot.press("down", "down", "pagedown")
        await pilot.pause()
        assert view.scroll_offset.y > 2

        await scroll_to_end(pilot)
        shown = screen_text(app)
        assert view.at_end
        assert any("customer-1000" in line for line in view.visible_lines())
        assert "1000  customer-1000  1000.50" in shown  # the last row, on the real screen
        assert keys_on_screen(app)
        assert (
            "[a] allow for this session: csv_write: create new files in the workspace top folder"
            in " ".join(pane_words(app).split())
        )

        await pilot.press("home")
        await pilot.pause()
        assert "create orders.csv" in screen_text(app) and keys_on_screen(app)

        await scroll_to_end(pilot)
        await pilot.press("y")
        await turn_done(pilot)
        written = (workspace_dir / "orders.csv").read_text().splitlines()
        assert len(written) == 1001 and written[-1] == "1000,customer-1000,1000.50"


async def test_a_long_shell_diff_reaches_its_last_line_and_says_where_the_tool_cut(
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    (workspace_dir / "short.txt").write_text("".join(f"line {i:03d}\n" for i in range(1, 301)))
    (workspace_dir / "long.txt").write_text("".join(f"entry {i:04d}\n" for i in range(1, 1001)))
    async with open_app(settings=MODEL_NAMED, size=SMALL) as pilot:
        app = pilot.app
        await send(pilot, "/sh sort -r short.txt > reversed.txt")
        await pending(pilot)
        pane = app.chat.pane
        assert pane.has_focus and keys_on_screen(app)
        assert "Summarised" not in screen_text(app)  # 300 lines: nothing was cut
        await scroll_to_end(pilot)
        assert pane.preview_view.visible_lines()[-1] == "+line 001"
        assert keys_on_screen(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "reversed.txt").exists(), "the write")
        assert (workspace_dir / "reversed.txt").read_text().splitlines()[-1] == "line 001"

        await send(pilot, "/sh sort -r long.txt > reversed2.txt")
        await pending(pilot)
        shown = screen_text(app)
        assert "Summarised: the tool cut the diff of reversed2.txt" in shown
        await scroll_to_end(pilot)
        last = pane.preview_view.visible_lines()[-1]
        assert last.startswith("[diff cut:") and last.endswith("more lines]")
        assert keys_on_screen(app)
        await pilot.press("n")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.current is None, "the denial")
        assert not (workspace_dir / "reversed2.txt").exists()


async def test_a_long_http_body_is_shown_whole_and_the_unlock_is_named(
    open_app: AppOpener,
) -> None:
    # 30,000 characters pretty-printed: past the tool's 20,000-character preview cut.
    body = {f"key{i:04d}": f"value-{i:04d}-" + "x" * 40 for i in range(500)}
    with LoopbackServer() as server:
        async with open_app(settings=MODEL_NAMED, size=SMALL) as pilot:
            app = pilot.app
            command = {"method": "POST", "url": server.url("/orders"), "json": body}
            await send(pilot, "/tool http_request " + json.dumps(command))
            await pending(pilot)
            pane = app.chat.pane
            shown = screen_text(app)
            assert keys_on_screen(app)
            assert "the tool cut the body at 20,000 characters" in shown
            # a private address: approving unlocks exactly that host:port, and says so
            words = pane_words(app)
            assert (
                f"[y] Approving also unlocks it: GET, HEAD and OPTIONS requests to {server.key}"
                in " ".join(words.split())
            )
            assert "requests that write still ask" in " ".join(words.split())
            assert "allow for session" not in shown and "[a]" not in shown  # footer included
            await scroll_to_end(pilot)
            visible = "\n".join(pane.preview_view.visible_lines())
            assert '"key0499": "value-0499-' in visible
            assert keys_on_screen(app)
            await pilot.press("a")  # no session rule is offered: nothing happens
            await pilot.pause()
            assert pane.current is not None and not server.seen
            await pilot.press("y")
            await wait_for(pilot, lambda: len(server.seen) == 1, "the request")
            assert json.loads(server.seen[0].body) == body


async def test_the_full_preview_screen_reaches_the_last_line_and_esc_returns(
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    async with open_app(settings=MODEL_NAMED, size=SMALL) as pilot:
        app = pilot.app
        args = {"path": "big.csv", "mode": "create", "rows": rows(1000)}
        await send(pilot, "/csv write " + json.dumps(args))
        await pending(pilot)
        pane = app.chat.pane
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FullPreviewScreen)
        shown = screen_text(app)
        assert "Full preview" in shown and "Esc back to the pane" in shown
        assert "csv_write listed 100 of 1,000 changed rows" in shown
        await pilot.press("end")
        await pilot.pause()
        assert screen.view.at_end
        assert "1000  customer-1000  1000.50" in screen_text(app)
        assert "Esc back to the pane" in screen_text(app)
        await pilot.press("pageup", "up")
        await pilot.pause()
        assert not screen.view.at_end
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.chat
        assert pane.has_focus and pane.current is not None  # Esc closed the screen, denied nothing
        await pilot.press("y")
        await wait_for(pilot, lambda: (workspace_dir / "big.csv").exists(), "the write")


async def test_keys_stay_visible_while_the_terminal_shrinks(open_app: AppOpener) -> None:
    async with open_app(settings=MODEL_NAMED, size=(120, 36)) as pilot:
        app = pilot.app
        args = {"path": "big.csv", "mode": "create", "rows": rows(300)}
        await send(pilot, "/csv write " + json.dumps(args))
        await pending(pilot)
        pane = app.chat.pane
        for size in ((120, 36), (100, 30), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert keys_on_screen(app), size
            await pilot.press("end")
            await pilot.pause()
            assert pane.preview_view.at_end, size
            assert "300  customer-0300  300.50" in screen_text(app), size
            await pilot.press("home")
            await pilot.pause()


async def test_the_line_view_wraps_long_lines_whole_and_splits_line_breaks() -> None:
    from rich.text import Text
    from textual.app import App, ComposeResult

    from assistant.ui.widgets.line_view import LineView

    long = "".join(f"{i:04d}," for i in range(200)) + "END"
    lines = [Text(long), Text("one\ntwo\tthree"), *(Text(f"row {i}") for i in range(100))]

    class Demo(App[None]):
        CSS = "LineView { height: 1fr; }"

        def compose(self) -> ComposeResult:
            yield LineView(lines)

    app = Demo()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LineView)
        width = view.scrollable_content_region.width
        rows = [view.row_text(i) for i in range(view.line_count)]
        wrapped = -(-len(long) // width)
        assert "".join(rows[:wrapped]) == long  # nothing cut at the right edge
        assert rows[wrapped : wrapped + 2] == ["one", "two three"]
        assert view.visible_lines()[0] == rows[0] and not view.at_end
        view.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert view.at_end and view.visible_lines()[-1] == "row 99"


async def test_a_second_long_preview_scrolls_to_its_own_end(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    async with open_app(settings=MODEL_NAMED, size=SMALL) as pilot:
        app = pilot.app
        pane = app.chat.pane
        for n in (400, 900):
            args = {"path": f"t{n}.csv", "mode": "create", "rows": rows(n)}
            await send(pilot, "/csv write " + json.dumps(args))
            await pending(pilot)
            pane.focus()
            await pilot.pause()
            assert pane.preview_view.scroll_offset.y == 0  # a new action starts at its top
            await scroll_to_end(pilot)
            assert f"{n}  customer-{n:04d}  {n}.50" in screen_text(app)
            await pilot.press("y")
            target = workspace_dir / f"t{n}.csv"
            await wait_for(pilot, target.exists, "the write")
