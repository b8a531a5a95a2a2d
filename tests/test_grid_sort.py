"""Sorting a whole table for the data grid (no Textual): the page reads csv_query runs again with
an order (through the real tool, on real files), and rows held sorted the same way, whatever
the cells hold."""

from __future__ import annotations

import csv
import math
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.agent import events as ev
from assistant.ui import grid_data as gd
from assistant.ui import grid_sort
from tests.support.http_servers import make_ctx
from tools.csv_files import paging
from tools.csv_files.query import CsvQueryTool
from tools.csv_files.read import CsvReadTool
from tools.csv_files.sqlrefs import bare_statement

NAMES = ['to"tal', "first name", "Ünïcode ✓", "n"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])


def run(workspace: Path, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    ctx = make_ctx(workspace)
    runner = CsvQueryTool() if tool == "csv_query" else CsvReadTool()
    result = runner.run(runner.plan(args, ctx), ctx)
    assert result.ok, result.output
    return dict(result.data)


def grid_of(workspace: Path, tool: str, args: dict[str, Any]) -> gd.GridData:
    data = run(workspace, tool, args)
    proposed = ev.ActionProposed("a", None, tool, args, "read", "s", {}, [], "fp")
    grid = gd.grid_data(proposed, ev.ActionResult("a", True, "", data=data))
    assert grid is not None
    return grid


def every_page(workspace: Path, grid: gd.GridData, order: gd.Order) -> list[list[Any]]:
    """All rows, page after page, as the grid reads them again."""
    rows: list[list[Any]] = []
    for offset in range(0, grid.total or 0, gd.PAGE):
        call = gd.page_call(grid, offset, order)
        assert call is not None and call[0] == "csv_query" and gd.is_page_read(*call)
        rows += run(workspace, *call)["rows"]
    return rows


def orders_file(workspace: Path, n: int = 230) -> list[list[str]]:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        total = "" if i % 17 == 0 else f"{rng.randint(-500, 5000)}.{rng.randint(0, 99):02d}"
        rows.append(
            [total, rng.choice(["ana", "Bob", "carla", "Dino", "émile"]), f"c{i % 4}", str(i)]
        )
    write_csv(workspace / "orders.csv", NAMES, rows)
    return rows


@pytest.mark.parametrize("descending", [False, True])
def test_a_query_is_sorted_whole_by_number_and_every_page_follows(
    workspace_dir: Path, descending: bool
) -> None:
    rows = orders_file(workspace_dir)
    sql = "SELECT * FROM 'orders.csv'; -- every order"
    grid = grid_of(workspace_dir, "csv_query", {"sql": sql})
    assert grid.total == 230 and not grid.in_memory
    seen = every_page(workspace_dir, grid, (0, descending))
    totals = [r[0] for r in seen]
    numbers = sorted((Decimal(r[0]) for r in rows if r[0]), reverse=descending)
    assert [Decimal(t) for t in totals[: len(numbers)]] == numbers  # as numbers, not text
    assert totals[len(numbers) :] == [None] * (230 - len(numbers))  # NULLs last, both ways
    assert sorted(int(r[3]) for r in seen) == list(range(230))  # no row twice, none missing


def test_text_sorts_case_insensitively_and_ties_never_repeat_across_pages(
    workspace_dir: Path,
) -> None:
    rows = orders_file(workspace_dir)
    grid = grid_of(workspace_dir, "csv_query", {"sql": "FROM 'orders.csv'"})
    for column in (1, 2):  # many ties: the other columns keep pages apart
        seen = every_page(workspace_dir, grid, (column, True))
        keys = [r[column].lower() for r in seen]
        assert keys == sorted((r[column].lower() for r in rows), reverse=True)
        assert sorted(int(r[3]) for r in seen) == list(range(230))


def test_the_query_keeps_its_own_order_limit_and_odd_column_names(workspace_dir: Path) -> None:
    orders_file(workspace_dir)
    sql = (
        'SELECT "n" AS "a b", "to""tal" AS "x", "to""tal" AS "X", "Ünïcode ✓" FROM '
        "'orders.csv' ORDER BY \"n\" DESC LIMIT 60 ;; /* the last 60 */"
    )
    grid = grid_of(workspace_dir, "csv_query", {"sql": sql, "bad_rows": "skip"})
    assert grid.columns == ["a b", "x", "X", "Ünïcode ✓"] and grid.total == 60
    call = gd.page_call(grid, 50, (0, False))
    assert call is not None and call[1]["bad_rows"] == "skip"
    page = run(workspace_dir, *call)["rows"]
    assert [r[0] for r in page] == list(range(220, 230))  # the query's 60 rows, sorted up
    # Two columns named alike (DuckDB renames one in a subquery): sorted by position.
    by_upper = every_page(workspace_dir, grid, (2, True))
    assert [r[2] for r in by_upper] == [r[1] for r in by_upper]


def test_an_empty_result_and_a_file_named_like_a_pattern_sort_without_error(
    workspace_dir: Path,
) -> None:
    write_csv(workspace_dir / "a[1]*.csv", ["v"], [["10"], ["9"], ["+5"], ["1e3"]])
    write_csv(workspace_dir / "a1x.csv", ["v"], [["no"]])
    empty = grid_of(workspace_dir, "csv_query", {"sql": "SELECT * FROM 'a1x.csv' WHERE false"})
    call = gd.page_call(empty, 0, (0, True))
    assert call is not None and run(workspace_dir, *call)["rows"] == []
    read = grid_of(workspace_dir, "csv_read", {"path": "a[1]*.csv"})
    call = gd.page_call(read, 0, (0, False))
    assert call is not None
    assert [r[0] for r in run(workspace_dir, *call)["rows"]] == ["+5", "9", "10", "1e3"]


def test_csv_read_sorts_the_whole_file_by_the_types_it_found(workspace_dir: Path) -> None:
    rows = [[f"{(i * 7919) % 1000}", f"{(i * 31) % 120:03d}", f"n{i}"] for i in range(130)]
    rows[5][0] = ""
    write_csv(workspace_dir / "big.csv", ["amount", "code", "name"], rows)
    grid = grid_of(workspace_dir, "csv_read", {"path": "big.csv"})
    assert grid.types[:2] == ["integer", "text"] and not grid.in_memory
    seen = every_page(workspace_dir, grid, (0, True))
    amounts = [r[0] for r in seen]
    expected = sorted((int(r[0]) for r in rows if r[0]), reverse=True)
    assert [int(a) for a in amounts[:-1]] == expected and amounts[-1] is None
    codes = [r[1] for r in every_page(workspace_dir, grid, (1, False))]
    assert codes == sorted(r[1] for r in rows)  # codes with leading zeros stay text


def test_rows_held_sort_as_duckdb_sorts_the_same_result(workspace_dir: Path) -> None:
    orders_file(workspace_dir, n=40)
    grid = grid_of(workspace_dir, "csv_query", {"sql": "FROM 'orders.csv'"})
    assert grid.in_memory
    for column in range(4):
        for descending in (False, True):
            held = gd.sort_held(grid, grid.rows, (column, descending))
            call = gd.page_call(grid, 0, (column, descending))
            assert call is not None
            again = run(workspace_dir, *call)["rows"]
            assert [r[column] for r in held] == [r[column] for r in again]


def test_the_page_sql_wraps_one_bare_statement() -> None:
    assert bare_statement("SELECT ';' ;; -- end;\n /* ; */ ") == "SELECT ';'"
    assert bare_statement('select "a;b" -- x') == 'select "a;b"'
    assert bare_statement("  ;  ") == ""
    order = paging.order_by(1, True, ["BIGINT", "VARCHAR", "DECIMAL(9,2)"], 3)
    assert order == "ORDER BY NULLIF(lower(CAST(#2 AS VARCHAR)), '') DESC NULLS LAST, #1, #3"
    assert paging.order_by(0, False, ["integer"], 1) == (
        "ORDER BY TRY_CAST(#1 AS DOUBLE) NULLS LAST"
    )
    page = paging.wrap("SELECT 1;", order, offset=100, limit=50)
    assert page == f"SELECT * FROM (\nSELECT 1\n) {order} LIMIT 50 OFFSET 100"
    assert paging.is_page(page, 50) and not paging.is_page(page, 20)
    assert not paging.is_page("SELECT * FROM t LIMIT 50 OFFSET 0", 50)
    with pytest.raises(ValueError):
        paging.order_by(3, False, [], 3)


def test_held_rows_sort_numbers_by_value_text_as_text_and_empty_cells_last() -> None:
    rows = [[v] for v in ["10", "9.5", None, "-3", "", "2", "nan"]]
    number = grid_sort.sorted_rows(rows, 0, False, grid_sort.NUMBER)
    assert [r[0] for r in number] == ["-3", "2", "9.5", "10", "nan", None, ""]
    down = grid_sort.sorted_rows(rows, 0, True, grid_sort.NUMBER)
    assert [r[0] for r in down] == ["nan", "10", "9.5", "2", "-3", None, ""]
    text = grid_sort.sorted_rows([[v] for v in ["b", "10", "B", "9", "a"]], 0, False, "text")
    assert [r[0] for r in text] == ["10", "9", "a", "b", "B"]  # stable: b before B as they came
    # A JSON column: its values decide. Codes with leading zeros are text, as csv_read says.
    assert grid_sort.column_kind([], [[1], ["2.5"], [None]], 0) == grid_sort.NUMBER
    assert grid_sort.column_kind([], [["007"], ["10"]], 0) == grid_sort.TEXT
    assert grid_sort.column_kind([], [[1], ["x"], [True]], 0) == grid_sort.MIXED
    assert grid_sort.column_kind(["DECIMAL(5,2)"], [["x"]], 0) == grid_sort.NUMBER


def test_any_mixture_of_cells_sorts_stably_without_error() -> None:
    rng = random.Random(12)
    pool: list[Any] = [
        None, "", True, False, 0, -1, 2**70, 1.5, math.inf, -math.inf, math.nan, "nan", "inf",
        "10", "9", "abc", "ABC", "ü", "1_000", "007", [1, "a"], {"k": [None]}, [], {},
    ]  # fmt: skip
    for _ in range(200):
        rows = [[rng.choice(pool), i] for i in range(rng.randint(0, 30))]
        for kind in (grid_sort.NUMBER, grid_sort.TEXT, grid_sort.OTHER, grid_sort.MIXED):
            for descending in (False, True):
                out = grid_sort.sorted_rows(rows, 0, descending, kind)
                assert sorted(r[1] for r in out) == [r[1] for r in rows]
                keys = [grid_sort.sort_key(r[0], kind) for r in out]
                for i in range(len(out) - 1):
                    if keys[i] is not None and keys[i] == keys[i + 1]:
                        assert out[i][1] < out[i + 1][1]  # equal keys keep the order they came in
                empty = [grid_sort.is_empty(r[0]) or keys[i] is None for i, r in enumerate(out)]
                assert empty == sorted(empty)  # empty (and unsortable) cells last
    rows = [[1, "x"], ["2", None], [{"a": 1}, None], [None, None]]
    json_grid = gd.GridData("http_request", ["a", "b"], rows, 4)
    assert [r[0] for r in gd.sort_held(json_grid, rows, (0, True))] == [{"a": 1}, "2", 1, None]
