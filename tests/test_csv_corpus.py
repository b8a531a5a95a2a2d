"""The nasty-CSV corpus (tests/support/csv_nasty.py): `SELECT *` through csv_query equals csv_read cell for
cell, or both refuse naming the same line; the types csv_query gives keep every cell's text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.csv_nasty import corpus
from tools.base import ToolContext, ToolError
from tools.csv_files import CsvQueryTool, CsvReadTool, CsvWriteTool
from tools.workspace import Workspace

FILES = corpus()
PAGE = 50
FULL_COMPARE_ROWS = 400  # bigger files: the first, a middle and the last pages are compared


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> ToolContext:
    root = tmp_path_factory.mktemp("nasty")
    for name, data in FILES.items():
        (root / f"{name}.csv").write_bytes(data)
    return ToolContext(workspace=Workspace(root))


def read_page(ctx: ToolContext, rel: str, offset: int) -> tuple[list[str], list[list[str]], int]:
    tool = CsvReadTool()
    result = tool.run(tool.plan({"path": rel, "offset": offset, "limit": PAGE}, ctx), ctx)
    assert result.data["total_exact"]
    return result.data["columns"], result.data["rows"], result.data["total"]


def query(ctx: ToolContext, sql: str, **args: Any) -> Any:
    tool = CsvQueryTool()
    return tool.run(tool.plan({"sql": sql, **args}, ctx), ctx)


def cells(rows: list[list[Any]]) -> list[list[str]]:
    """What a cell reads as: a typed value prints back as the file's text; empty is NULL."""
    return [["" if v is None else str(v) for v in row] for row in rows]


def query_page(ctx: ToolContext, rel: str, offset: int) -> tuple[list[str], list[list[str]], int]:
    sql = f"SELECT * FROM '{rel}'" + (f" LIMIT {PAGE} OFFSET {offset}" if offset else "")
    result = query(ctx, sql, limit=PAGE)
    return result.data["columns"], cells(result.data["rows"]), result.data["total"]


def line_of(error: ToolError) -> str:
    found = re.search(r"line (\d+)", str(error))
    return found.group(1) if found else str(error)


def test_the_corpus_is_big_enough() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("name", sorted(FILES))
def test_select_star_equals_csv_read(ctx: ToolContext, name: str) -> None:
    rel = f"{name}.csv"
    try:
        columns, first, total = read_page(ctx, rel, 0)
    except ToolError as read_error:
        with pytest.raises(ToolError) as query_error:
            query(ctx, f"SELECT * FROM '{rel}'")
        assert line_of(query_error.value) == line_of(read_error), (
            f"csv_read: {read_error}\ncsv_query: {query_error.value}"
        )
        assert rel in str(query_error.value) or "line" not in str(read_error)
        return
    q_columns, q_first, q_total = query_page(ctx, rel, 0)
    assert q_columns == columns and q_total == total
    assert q_first == first
    if total <= FULL_COMPARE_ROWS:
        offsets = range(PAGE, total, PAGE)
    else:
        offsets = sorted({total // 2 // PAGE * PAGE, max(total - PAGE, 0)})
    for offset in offsets:
        assert query_page(ctx, rel, offset)[1] == read_page(ctx, rel, offset)[1], offset


@pytest.mark.parametrize(
    ("name", "column", "expected"),
    [
        ("zip_codes_late_zero", "zip", "VARCHAR"),
        ("ambiguous_dates", "day", "VARCHAR"),
        ("iso_dates", "day", "DATE"),
        ("invalid_dates", "day", "VARCHAR"),
        ("year_zero", "day", "VARCHAR"),
        ("timestamps", "ts", "TIMESTAMP"),
        ("timestamps", "ts_t", "VARCHAR"),
        ("semicolon_decimal_comma", "price", "VARCHAR"),
        ("semicolon_decimal_comma", "qty", "BIGINT"),
        ("fixed_decimals", "price", "DECIMAL(18,2)"),
        ("long_decimals", "x", "DECIMAL(38,23)"),
        ("human_decimals", "amount", "DECIMAL(38,2)"),
        ("float_repr", "amount", "DOUBLE"),
        ("mixed_trailing_zeros", "amount", "VARCHAR"),
        ("exponents", "x", "VARCHAR"),
        ("huge_integers", "n", "HUGEINT"),
        ("gigantic_integer", "n", "VARCHAR"),
        ("int64_edges", "n", "HUGEINT"),
        ("leading_plus", "n", "VARCHAR"),
        ("leading_zeros", "code", "VARCHAR"),
        ("negative_zero", "n", "VARCHAR"),
        ("negative_zero", "x", "VARCHAR"),
        ("nan_inf", "x", "VARCHAR"),
        ("whitespace_around", "a", "VARCHAR"),
        ("booleans", "flag", "VARCHAR"),
        ("digit_group_underscore", "n", "VARCHAR"),
        ("hex_numbers", "n", "VARCHAR"),
        ("seventeen_digit_float", "x", "DECIMAL(38,17)"),  # prints 0.30000000000000004 back
        ("tiny_floats", "x", "DECIMAL(38,5)"),
        ("numbers_and_dates", "v", "VARCHAR"),
        ("tabs", "b", "BIGINT"),
        ("header_only", "a", "VARCHAR"),
    ],
)
def test_a_column_is_typed_only_when_every_value_keeps_its_text(
    ctx: ToolContext, name: str, column: str, expected: str
) -> None:
    result = query(ctx, f"SELECT \"{column}\" FROM '{name}.csv' LIMIT 1")
    assert result.data["types"] == [expected]


def test_computing_on_typed_columns_is_exact(ctx: ToolContext) -> None:
    rows = query(ctx, "SELECT sum(price) AS s FROM 'fixed_decimals.csv'").data["rows"]
    assert rows == [["13.75"]]
    rows = query(ctx, "SELECT max(zip) AS z, min(zip) AS m FROM 'zip_codes_late_zero.csv'")
    assert rows.data["rows"][0][1] == "00501"
    days = query(ctx, "SELECT day + 1 AS next FROM 'iso_dates.csv'").data["rows"]
    assert days == [["2024-02-01"], ["2024-03-01"]]


def test_a_text_column_of_numbers_says_how_to_compute(ctx: ToolContext) -> None:
    result = query(ctx, "SELECT * FROM 'mixed_trailing_zeros.csv'")
    assert "column amount is kept as text" in result.output and "CAST(" in result.output


def test_numbers_written_back_keep_their_digits(ctx: ToolContext, tmp_path: Path) -> None:
    write = CsvWriteTool()
    for name in (
        "fixed_decimals",
        "long_decimals",
        "human_decimals",
        "float_repr",
        "huge_integers",
    ):
        sql = f"SELECT * FROM '{name}.csv'"
        action = write.plan({"path": f"back_{name}.csv", "mode": "create", "sql": sql}, ctx)
        write.run(action, ctx)
        written = (ctx.workspace.root / f"back_{name}.csv").read_bytes()
        assert written == FILES[name], name
        (ctx.workspace.root / f"back_{name}.csv").unlink()


def test_ragged_rows_can_be_skipped_and_counted(ctx: ToolContext) -> None:
    result = query(ctx, "SELECT * FROM 'ragged_issue.csv'", bad_rows="skip")
    assert result.data["rows"] == [[1, 2, 3]]
    assert "2 ragged rows skipped" in result.output and "lines 3, 4" in result.output
    with pytest.raises(ToolError, match="line 2: a quoted field starts on this line"):
        query(ctx, "SELECT * FROM 'unterminated_quote.csv'", bad_rows="skip")


def test_blank_lines_are_skipped(ctx: ToolContext) -> None:
    for name in ("blank_lines_inside", "blank_lines_crlf", "blank_lines_cr"):
        assert query(ctx, f"SELECT count(*) AS n FROM '{name}.csv'").data["rows"] == [[2]]
    # In a one-column file a blank line could be taken for an empty value: it is said.
    result = query(ctx, "SELECT count(*) AS n FROM 'one_column_blank_lines.csv'")
    assert result.data["rows"] == [[2]] and "2 blank lines skipped" in result.output
