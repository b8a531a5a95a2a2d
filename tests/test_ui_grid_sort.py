"""Sorting in the data grid of the running app sorts the whole result: a csv_query or csv_read
result bigger than the page held is read again through the gate with the order applied by the
tool (a journaled read), paging keeps that order, "save as CSV" writes it; a JSON array is
sorted whole in memory; the replay sorts only the page the journal kept, and says so."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from assistant.ui.screens.grid_screen import GridScreen, SaveAsScreen
from assistant.ui.widgets.data_grid import DataGrid
from tests.support import http_servers
from tests.support.grid_steps import first_grid, grid_for, table_rows
from tests.support.http_servers import LoopbackServer, Reply
from tests.support.pilot import SIZE, AppOpener, events, pending, send, wait_for

http_server = http_servers.http_server
net_guard = http_servers.net_guard


def orders(path: Path, n: int) -> list[list[str]]:
    """Rows whose file order is far from their order by total (and totals whose text order is
    not their number order: 9.50 before 10.00 only as numbers)."""
    rows = [[str(10000 + i), f"C{i % 7}" if i % 2 else f"c{i % 5}", f"{(i * 37) % 1000}.{i % 10}0"]
            for i in range(n)]  # fmt: skip
    rows[7][2] = ""  # an empty total: last, both ways
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "customer", "total"])
        writer.writerows(rows)
    return rows


def by_total(rows: list[list[str]], descending: bool) -> list[list[str]]:
    filled = sorted((r for r in rows if r[2]), key=lambda r: float(r[2]), reverse=descending)
    return filled + [r for r in rows if not r[2]]


async def full_grid(pilot: Pilot[Any], offset: int, order: tuple[int, bool]) -> DataGrid:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, GridScreen), "the full grid")
    grid = app.screen.query_one(DataGrid)

    def ready() -> bool:
        return grid.page_offset == offset and grid.sorted_by == order and not grid.loading

    await wait_for(pilot, ready, f"rows {offset + 1}.. sorted by {order}")
    return grid


def reads(app: Any) -> list[dict[str, Any]]:
    """The page reads the grid made: their proposed events, each with its journaled result."""
    proposed = [p for k, p in events(app) if k == "action.proposed"][1:]
    results = {p["action_id"]: p for k, p in events(app) if k == "action.result"}
    assert all(results[p["action_id"]]["ok"] for p in proposed)
    return proposed


async def test_sorting_a_big_query_sorts_the_whole_result_and_pages_keep_the_order(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    rows = orders(workspace_dir / "orders.csv", 130)
    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        grid = await grid_for(pilot, "/csv query SELECT * FROM 'orders.csv';")
        assert table_rows(grid) == rows[:50]
        grid.table.focus()
        await pilot.press("right", "right", "s")  # total, ascending: read again, sorted
        full = await full_grid(pilot, 0, (2, False))
        assert table_rows(full) == by_total(rows, False)[:50]
        counts = full.counts_text().plain
        assert "130 rows · 3 columns · rows 1-50 · sorted by total ▲" in counts
        assert "this page" not in counts
        await pilot.press("s")  # again: descending, from the top
        await wait_for(pilot, lambda: full.sorted_by == (2, True) and not full.loading, "▼")
        assert table_rows(full) == by_total(rows, True)[:50]
        assert "sorted by total ▼" in full.counts_text().plain
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: full.page_offset == 50 and not full.loading, "page 2")
        assert table_rows(full) == by_total(rows, True)[50:100]
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: full.page_offset == 100 and not full.loading, "page 3")
        assert table_rows(full) == by_total(rows, True)[100:]  # the empty total last
        assert full.sorted_by == (2, True) and "rows 101-130" in full.counts_text().plain
        sql = [p["args"]["sql"] for p in reads(app)]
        assert len(sql) == 4 and all("ORDER BY" in s for s in sql)
        assert sql[2].endswith("LIMIT 50 OFFSET 50")
        await pilot.press("escape")
        assert app.screen is app.chat and table_rows(grid) == rows[:50]  # the card: as it came


async def test_csv_read_sorts_the_whole_file_and_saves_in_that_order(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    rows = orders(workspace_dir / "o.csv", 75)
    async with open_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        grid = await grid_for(pilot, "/csv read o.csv")
        grid.table.focus()
        await pilot.press("right", "right", "s", "s")
        full = await full_grid(pilot, 0, (2, True))
        assert table_rows(full) == by_total(rows, True)[:50]
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: full.page_offset == 50 and not full.loading, "page 2")
        assert table_rows(full) == by_total(rows, True)[50:]
        assert [p["tool"] for p in reads(app)][-1] == "csv_query"  # DuckDB sorts the file
        assert "w save as CSV (in this order)…" in full.keys_text().plain
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveAsScreen), "the save dialog")
        app.screen.query_one("#save-path").value = "sorted.csv"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pending(pilot)
        assert "ORDER BY" in dict(app.chat.pane.queue[0].action.args)["sql"]
        app.chat.pane.focus()
        await pilot.press("y")
        target = workspace_dir / "sorted.csv"
        await wait_for(pilot, target.exists, "the approved write")
    assert list(csv.reader(target.open())) == [["id", "customer", "total"], *by_total(rows, True)]


async def test_a_json_array_is_sorted_whole_in_memory(
    workspace_dir: Path, http_server: LoopbackServer, open_app: AppOpener
) -> None:
    items: list[dict[str, Any]] = [
        {"id": i, "score": (i * 53) % 200 if i % 9 else None, "tag": ["x", "Y", 3, None][i % 4]}
        for i in range(150)
    ]
    body = json.dumps(items).encode()
    http_server.routes["/items"] = lambda seen: Reply(
        200, [("Content-Type", "application/json")], body
    )
    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        await send(pilot, f"/http GET {http_server.url('/items')}")
        await pending(pilot)
        app.chat.pane.focus()
        await pilot.press("y")
        grid = await first_grid(pilot)
        grid.table.focus()
        await pilot.press("right", "s", "s")  # score, descending: every row held is sorted
        await pilot.pause()
        scored = sorted((i for i in items if i["score"] is not None), key=lambda i: -i["score"])
        expected = [str(i["id"]) for i in scored + [i for i in items if i["score"] is None]]
        assert [r[0] for r in table_rows(grid)] == expected[:100]
        assert "sorted by score ▼" in grid.counts_text().plain
        assert "this page" not in grid.counts_text().plain
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert [r[0] for r in table_rows(grid)] == expected[100:]
        await pilot.press("right", "s")  # a column of text, numbers and nulls: no crash
        await pilot.pause()
        assert grid.sorted_by == (2, False) and grid.page_offset == 0
        assert len(app.chat.view.cards) == 1  # nothing was read again


async def test_a_failed_sorted_read_says_why_in_the_grid_and_claims_no_order(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    orders(workspace_dir / "gone.csv", 90)
    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        grid = await grid_for(pilot, "/csv query SELECT * FROM 'gone.csv'")
        (workspace_dir / "gone.csv").unlink()
        grid.table.focus()
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, GridScreen), "the full grid")
        full = app.screen.query_one(DataGrid)
        await wait_for(pilot, lambda: full.problem and not full.loading, "the error")
        assert full.sorted_by is None and "sorted by" not in full.counts_text().plain
        assert full.problem.startswith("could not sort: ") and "gone.csv" in full.problem
        await pilot.press("escape")
        assert app.screen is app.chat


async def test_the_replay_sorts_only_the_page_it_kept_and_says_so(tmp_path: Path) -> None:
    from assistant.journal import Journal
    from assistant.ui.screens.replay import ReplayScreen
    from tests.support.grid_rows import ROWS, query_events
    from tests.support.history_app import HostApp, frozen_now, settle

    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.create_session(model=None, workspace=str(tmp_path))
    for event in query_events():
        journal.append(sid, event.kind, event.to_json())
    app = HostApp(lambda: ReplayScreen(journal, sid, now=frozen_now))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        grid = app.screen.query_one(DataGrid)
        grid.table.focus()
        await pilot.press("right", "right", "s", "s")
        totals = [float(r[2]) for r in table_rows(grid)]
        assert totals == sorted((float(r[2]) for r in ROWS[:50]), reverse=True)
        assert "sorted by total ▼ (this page)" in grid.counts_text().plain
        assert not grid.check_action("page", (1,))
    journal.close()


async def test_odd_queries_and_an_empty_result_sort_without_a_crash(
    workspace_dir: Path, open_app: AppOpener
) -> None:
    rows = orders(workspace_dir / "o.csv", 120)
    async with open_app(size=SIZE) as pilot:
        app = pilot.app
        empty = await grid_for(pilot, "/csv query SELECT * FROM 'o.csv' WHERE false")
        empty.table.focus()
        await pilot.press("s", "s")
        await pilot.pause()
        assert empty.sorted_by == (0, True) and "0 rows" in empty.counts_text().plain
        sql = (
            'SELECT total AS "to""tal ✓", id AS "a b", customer AS "A B" FROM \'o.csv\' '
            "ORDER BY id DESC LIMIT 80; -- the last 80"
        )
        await send(pilot, f"/csv query {sql}")
        await wait_for(pilot, lambda: len(app.query(DataGrid)) == 2, "the second grid")
        grid = app.query(DataGrid).last()
        grid.table.focus()
        await pilot.press("s")  # the first column, ascending, over the query's 80 rows
        full = await full_grid(pilot, 0, (0, False))
        last80 = sorted(rows[40:], key=lambda r: -int(r[0]))
        expected = [[r[2], r[0], r[1]] for r in by_total(last80, False)]
        assert table_rows(full) == expected[:50]
        assert 'sorted by to"tal ✓ ▲' in full.counts_text().plain
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: full.page_offset == 50 and not full.loading, "page 2")
        assert table_rows(full) == expected[50:]
