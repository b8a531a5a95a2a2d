"""What the data grid reads from a result (no Textual): the tables a result holds and those it
does not, the page reads it makes again (run here through the real csv_query tool), sort order,
and the csv_write arguments that save a table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.agent import events as ev
from assistant.ui import grid_data as gd
from tests.support.http_servers import make_ctx
from tools.csv_files.query import CsvQueryTool


def proposed(tool: str, args: dict[str, Any], call_id: str | None = None) -> ev.ActionProposed:
    return ev.ActionProposed("a1", call_id, tool, args, "read", "s", {}, [], "fp")


def http_result(body: Any, **data: Any) -> ev.ActionResult:
    text = body if isinstance(body, str) else json.dumps(body)
    fields = {"body_kind": "json", "body": text, "body_cut": False, "truncated": False, **data}
    return ev.ActionResult("a1", True, "HTTP 200", data=fields)


def test_a_json_array_of_objects_is_a_table_with_every_key_as_a_column() -> None:
    body = [{"b": 1, "a": None}, {"a": "x", "c": {"n": [1, 2]}}, {"d": True}]
    grid = gd.grid_data(proposed("http_request", {}), http_result(body))
    assert grid is not None and grid.in_memory
    assert grid.columns == ["b", "a", "c", "d"]
    assert grid.rows == [
        [1, None, None, None],
        [None, "x", '{"n":[1,2]}', None],
        [None] * 3 + [True],
    ]
    assert [gd.cell_text(c) for c in grid.rows[2]] == ["", "", "", "true"]
    assert (grid.total, grid.page_size()) == (3, gd.MEMORY_PAGE)


@pytest.mark.parametrize(
    "body",
    [
        {"orders": [{"a": 1}]},  # an object, not an array
        [1, 2, 3],  # an array of scalars
        [{"a": 1}, 2],  # mixed
        [],  # nothing to show
        '[{"a": 1}',  # not JSON (cut short)
        "null",
    ],
)
def test_other_json_stays_text(body: Any) -> None:
    assert gd.grid_data(proposed("http_request", {}), http_result(body)) is None


def test_a_cut_body_or_a_failed_call_is_not_a_table() -> None:
    whole = [{"a": 1}]
    assert gd.grid_data(proposed("http_request", {}), http_result(whole, body_cut=True)) is None
    assert gd.grid_data(proposed("http_request", {}), http_result(whole, truncated=True)) is None
    failed = ev.ActionResult("a1", False, "HTTP 500", data={"body_kind": "json", "body": "[]"})
    assert gd.grid_data(proposed("http_request", {}), failed) is None
    text = http_result(whole, body_kind="text")
    assert gd.grid_data(proposed("http_request", {}), text) is None
    assert gd.grid_data(proposed("shell", {}), ev.ActionResult("a1", True, "x")) is None


def test_csv_query_drops_the_row_it_fetched_only_to_know_there_are_more() -> None:
    data = {"columns": ["n"], "types": ["BIGINT"], "rows": [[i] for i in range(51)], "total": 80}
    result = ev.ActionResult("a1", True, "t", data=data)
    grid = gd.grid_data(proposed("csv_query", {"sql": "x", "limit": 50}), result)
    assert grid is not None and len(grid.rows) == 50 and not grid.in_memory


def test_a_small_csv_result_is_held_whole() -> None:
    data = {"columns": ["n"], "rows": [["1"], ["2"]], "total": 2, "offset": 0}
    grid = gd.grid_data(
        proposed("csv_read", {"path": "a.csv"}), ev.ActionResult("a", True, "", data=data)
    )
    assert grid is not None and grid.in_memory
    assert gd.page_call(grid, 50) == ("csv_read", {"path": "a.csv", "offset": 50, "limit": 50})


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT n FROM 'nums.csv' ORDER BY n DESC;",
        "SELECT n FROM 'nums.csv' ORDER BY n DESC -- the biggest first",
        "  select n from 'nums.csv' order by n desc ;; ",
    ],
)
def test_the_page_read_again_is_the_same_query_paged(workspace_dir: Path, sql: str) -> None:
    (workspace_dir / "nums.csv").write_text("n\n" + "".join(f"{i}\n" for i in range(120)))
    grid = gd.GridData("csv_query", ["n"], [], 120, args={"sql": sql, "bad_rows": "skip"})
    tool, args = gd.page_call(grid, 50) or ("", {})
    assert gd.is_page_read(tool, args) and not gd.is_page_read("csv_query", {"sql": sql})
    ctx = make_ctx(workspace_dir)
    query = CsvQueryTool()
    result = query.run(query.plan(args, ctx), ctx)
    assert [r[0] for r in result.data["rows"]] == list(range(69, 19, -1))
    assert args["bad_rows"] == "skip"


def test_save_arguments_write_the_whole_result_and_never_overwrite() -> None:
    query = gd.GridData("csv_query", ["n"], [[1]], 500, args={"sql": "SELECT 1 ;"})
    assert gd.save_args(query, "out.csv") == {
        "path": "out.csv",
        "mode": "create",
        "sql": "SELECT 1",
    }
    big = gd.GridData("csv_read", ["n"], [[1]], 500, args={"path": "it's.csv"})
    assert gd.save_args(big, "o.csv")["sql"] == "SELECT * FROM 'it''s.csv'"
    small = gd.GridData("http_request", ["a", "b"], [[1, None], ["=x", True]], 2)
    assert gd.save_args(small, "r.csv") == {
        "path": "r.csv",
        "mode": "create",
        "rows": [["a", "b"], ["1", ""], ["=x", "true"]],  # csv_write neutralises "=x" itself
    }
    assert gd.default_name(big) == "it's-copy.csv" and gd.default_name(query) == "query.csv"
