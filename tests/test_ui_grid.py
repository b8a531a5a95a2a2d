"""The data grid in the running app: csv_query, csv_read and JSON arrays from http_request shown
as a table (sortable, counted, paged by reading again through the gate, copyable), and "save as
CSV" proposed as a csv_write that the confirm pane asks about like any write."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from assistant.ui.screens.grid_screen import GridScreen, SaveAsScreen
from assistant.ui.widgets.data_grid import DataGrid
from assistant.ui.widgets.grid_fold import GridFold
from tests.support import http_servers
from tests.support.grid_steps import first_grid, grid_for, table_rows
from tests.support.http_servers import LoopbackServer, Reply
from tests.support.pilot import SIZE, AppOpener, events, pending, send, wait_for
from tests.support.textdump import toasts

http_server = http_servers.http_server
net_guard = http_servers.net_guard


def orders(path: Path, n: int) -> list[list[str]]:
    rows = [[str(10000 + i), f"c{i % 7}", f"{(i * 37) % 1000}.{i % 10}0"] for i in range(n)]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "customer", "total"])
        writer.writerows(rows)
    return rows


async def test_a_manual_csv_query_shows_an_open_grid_and_pages_through_the_gate(
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    rows = orders(workspace_dir / "orders.csv", 120)
    async with open_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        grid = await grid_for(pilot, "/csv query SELECT * FROM 'orders.csv'")
        card = app.chat.view.cards[0]
        fold = card.fold("result")
        assert isinstance(fold, GridFold) and fold.open  # by hand: shown unfolded
        assert "120 rows · 3 columns · rows 1-50" in grid.counts_text().plain
        assert table_rows(grid) == rows[:50]
        # What the model would read is unchanged: the text table, capped.
        result = [p for k, p in events(app) if k == "action.result"][0]
        assert result["output"].startswith("rows 1-50 of 120")

        grid.table.focus()
        await pilot.press("right", "right", "down")
        await pilot.press("c")  # the cell under the cursor: the second row's total
        assert app.clipboard == rows[1][2]
        await pilot.press("up", "c")  # the top row's total
        assert app.clipboard == table_rows(grid)[0][2]
        assert any("copied total" in t.text for t in toasts(app))
        await pilot.press("C")
        assert app.clipboard == ",".join(table_rows(grid)[0])

        app.chat.view.scroll_home(animate=False)  # the person is up the page, at the table
        await pilot.press("right_square_bracket")  # the next page is read again, full screen
        await wait_for(pilot, lambda: isinstance(app.screen, GridScreen), "the full grid")
        full = app.screen.query_one(DataGrid)
        await wait_for(pilot, lambda: full.page_offset == 50 and not full.loading, "page 2")
        assert "rows 51-100" in full.counts_text().plain
        assert table_rows(full) == rows[50:100]
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: full.page_offset == 100 and not full.loading, "page 3")
        assert table_rows(full) == rows[100:]
        await pilot.press("right_square_bracket")  # no page after the last: nothing read
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: full.page_offset == 50 and not full.loading, "back")
        # Each page was a read through the gate, journaled like any call.
        queries = [p["args"]["sql"] for k, p in events(app) if k == "action.proposed"]
        assert len(queries) == 4 and queries[1].endswith("LIMIT 50 OFFSET 50")
        await pilot.press("escape")
        assert app.screen is app.chat
        await pilot.pause()
        view = app.chat.view  # back where they were, though the page reads' cards came below
        assert view.max_scroll_y > 0 and view.scroll_y == 0
        page_cards = app.chat.view.cards[1:]
        assert [c.fold("result").open for c in page_cards] == [False, False, False]  # type: ignore[union-attr]


async def test_save_as_csv_is_a_write_the_pane_asks_about(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    orders(workspace_dir / "orders.csv", 80)
    async with open_app(size=(80, 24)) as pilot:  # the table is taller than the view
        app = pilot.app
        grid = await grid_for(
            pilot, "/csv query SELECT id, total FROM 'orders.csv' WHERE total > 500"
        )
        app.chat.view.scroll_home(animate=False)  # the person went up the page to the table
        grid.table.focus()
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveAsScreen), "the save dialog")
        path = app.screen.query_one("#save-path")
        path.value = "big.csv"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pending(pilot)  # a write: nothing happens before the person approves it
        assert not (workspace_dir / "big.csv").exists()
        request = app.chat.pane.queue[0]
        assert request.action.tool == "csv_write"
        assert dict(request.action.args)["sql"] == (
            "SELECT id, total FROM 'orders.csv' WHERE total > 500"
        )
        app.chat.pane.focus()
        await pilot.press("y")
        target = workspace_dir / "big.csv"
        await wait_for(pilot, target.exists, "the approved write")
        save_card = app.chat.view.cards[-1]
        await wait_for(pilot, lambda: save_card.status == "done", "the save's card")
        await pilot.pause()
        view = app.chat.view  # asked for from the table up the page: its outcome is in view
        assert view.max_scroll_y > 0 and save_card.region.overlaps(view.region)
    saved = list(csv.reader(target.open()))
    expected = [r for r in csv.reader((workspace_dir / "orders.csv").open())][1:]
    assert saved == [["id", "total"], *[[r[0], r[2]] for r in expected if float(r[2]) > 500]]
    assert len(saved) > 2


async def test_a_json_array_from_http_is_a_grid_and_csv_read_pages_too(
    workspace_dir: Path,
    http_server: LoopbackServer,
    open_app: AppOpener,
) -> None:
    items: list[dict[str, Any]] = [{"id": i, "name": f"n{i}", "tags": ["a", i]} for i in range(130)]
    items[3]["extra"] = "only here"
    body = json.dumps(items).encode()
    http_server.routes["/items"] = lambda seen: Reply(
        200, [("Content-Type", "application/json")], body
    )
    orders(workspace_dir / "o.csv", 70)
    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, f"/http GET {http_server.url('/items')}")
        await pending(pilot)  # a loopback address: the person allows it once
        app.chat.pane.focus()
        await pilot.press("y")
        grid = await first_grid(pilot)
        assert grid.data.columns == ["id", "name", "tags", "extra"]
        assert "130 rows · 4 columns · rows 1-100" in grid.counts_text().plain
        assert table_rows(grid)[3] == ["3", "n3", '["a",3]', "only here"]
        grid.table.focus()
        await pilot.press("right_square_bracket")  # held rows: no read, no new card
        await pilot.pause()
        assert "rows 101-130" in grid.counts_text().plain and len(app.chat.view.cards) == 1

        await send(pilot, "/csv read o.csv")
        await wait_for(pilot, lambda: len(app.query(DataGrid)) == 2, "the second grid")
        second = app.query(DataGrid).last()
        assert "70 rows · 3 columns · rows 1-50" in second.counts_text().plain
        second.table.focus()
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: isinstance(app.screen, GridScreen), "the full grid")
        full = app.screen.query_one(DataGrid)
        await wait_for(pilot, lambda: full.page_offset == 50 and not full.loading, "page 2")
        assert [r[0] for r in table_rows(full)] == [str(10000 + i) for i in range(50, 70)]
        assert isinstance(full.table, DataTable)
    proposed = [p for k, p in events(app) if k == "action.proposed"]
    assert proposed[-1]["args"] == {"path": "o.csv", "offset": 50, "limit": 50}


async def test_a_replayed_grid_keeps_the_stored_page_and_its_own_arrow_keys(tmp_path: Path) -> None:
    from assistant.journal import Journal
    from assistant.ui.screens.replay import ReplayScreen
    from tests.support.grid_rows import ROWS, query_events
    from tests.support.history_app import HostApp, frozen_now, settle

    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.create_session(model=None, workspace=str(tmp_path))
    proposed, result = query_events()
    journal.append(sid, proposed.kind, proposed.to_json())
    journal.append(sid, result.kind, result.to_json())
    app = HostApp(lambda: ReplayScreen(journal, sid, now=frozen_now))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        grid = replay.query_one(DataGrid)  # by hand: open, as the person saw it
        assert table_rows(grid) == [[str(c) for c in r] for r in ROWS[:50]]
        assert "the journal keeps this page only" in grid.keys_text().plain
        grid.table.focus()
        await pilot.press("right", "right", "down")  # the grid's cursor, not the replay's
        assert grid.table.cursor_coordinate == (1, 2) and replay.timeline.position == 2
        await pilot.press("right_square_bracket")  # nothing to read it with here: no page
        await pilot.press("w")
        await pilot.pause()
        assert "rows 1-50" in grid.counts_text().plain
        assert any("replay runs nothing" in t.text for t in toasts(app))
        assert not isinstance(app.screen, GridScreen)
    journal.close()
