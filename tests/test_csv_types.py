"""How csv_query settles column types without changing a cell: tested over every row for the
columns a query reads, checked value by value for the others, remembered per version of a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tools.base import ToolContext
from tools.csv_files import CsvQueryTool
from tools.csv_files.coltypes import classify
from tools.csv_files.engine import QueryLimits, run_job
from tools.csv_files.query import prepare_sql
from tools.workspace import Workspace


def zips(late: str = "00501") -> str:
    rows = [f"{10000 + i},{i % 7}" for i in range(7000)]
    rows[6500] = f"{late},3"
    return "zip,amount\n" + "\n".join(rows) + "\n"


@pytest.fixture
def ctx(workspace_dir: Path) -> ToolContext:
    return ToolContext(workspace=Workspace(workspace_dir))


def query(ctx: ToolContext, sql: str) -> Any:
    tool = CsvQueryTool()
    return tool.run(tool.plan({"sql": sql}, ctx), ctx)


def test_a_column_the_query_does_not_read_is_not_a_cost_nor_a_risk(
    ctx: ToolContext, workspace_dir: Path
) -> None:
    (workspace_dir / "z.csv").write_text(zips())
    assert query(ctx, "SELECT sum(amount) AS s FROM 'z.csv'").data["rows"] == [
        [sum(i % 7 for i in range(7000) if i != 6500) + 3]
    ]
    result = query(ctx, "SELECT zip FROM 'z.csv' WHERE zip LIKE '0%'")
    assert result.data["types"] == ["VARCHAR"] and result.data["rows"] == [["00501"]]


def test_a_value_that_does_not_fit_an_untested_column_reruns_the_query(
    ctx: ToolContext, workspace_dir: Path
) -> None:
    (workspace_dir / "z.csv").write_text(zips())
    prepared = prepare_sql(
        "SELECT zip FROM 'z.csv' ORDER BY zip LIMIT 2", ctx, "csv_query", QueryLimits()
    )
    prepared.columns = frozenset()  # as if the query read no column: nothing is tested first
    answer = run_job(prepared, workspace_dir, QueryLimits(), fetch=3, count=True, text=False)
    assert answer.types == ["VARCHAR"] and answer.rows == [["00501"], ["10000"]]


def test_what_a_query_learnt_is_forgotten_when_the_file_changes(
    ctx: ToolContext, workspace_dir: Path
) -> None:
    path = workspace_dir / "z.csv"
    path.write_text(zips(late="10001"))
    assert query(ctx, "SELECT zip FROM 'z.csv' LIMIT 1").data["types"] == ["BIGINT"]
    info = path.stat()
    path.write_text(zips(late="00501"))  # same size; the time stamps are put back too
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size
    result = query(ctx, "SELECT zip FROM 'z.csv' WHERE zip < '1'")
    assert result.data["types"] == ["VARCHAR"] and result.data["rows"] == [["00501"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", "int"),
        ("-0", "text"),
        ("0", "int"),
        ("1.50", "zeros"),
        ("1.0", "zero1"),
        ("-0.5", "frac"),
        ("-0.0", "text"),
        ("2024-02-29", "date"),
        ("2023-02-29", "text"),
        ("2024-01-01 24:00:00", "text"),
        ("2024-01-01 23:59:59", "ts"),
        (" 1", "text"),
        ("١٢", "text"),  # digits of another script are text, not numbers
    ],
)
def test_python_and_sql_classify_a_value_alike(value: str, expected: str) -> None:
    import duckdb

    from tools.csv_files import coltypes

    names = {
        coltypes.INT: "int",
        coltypes.FRAC: "frac",
        coltypes.FRAC_ZERO1: "zero1",
        coltypes.FRAC_ZEROS: "zeros",
        coltypes.DATE_C: "date",
        coltypes.TS_C: "ts",
        coltypes.TEXT: "text",
    }
    assert names[classify(value)] == expected
    sql = f"SELECT {coltypes.code_sql('v')} FROM (SELECT ?::VARCHAR AS v)"
    bits = duckdb.connect().execute(sql, [value]).fetchone()
    assert bits is not None and names[coltypes.stats_from_bits(bits[0], 0).classes] == expected


def test_a_copy_is_kept_for_the_next_query_and_not_used_once_the_file_changes(
    ctx: ToolContext, workspace_dir: Path
) -> None:
    from tools.csv_files import engine

    path = workspace_dir / "q.csv"
    path.write_text('id,name\n1,"Ann"\n2,"Bob"\n')  # quoted: copied for DuckDB
    first = query(ctx, "SELECT name FROM 'q.csv' ORDER BY id").data["rows"]
    folder = Path(engine._copies.folder())
    kept = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert first == [["Ann"], ["Bob"]] and len(kept) >= 1
    assert query(ctx, "SELECT count(*) FROM 'q.csv'").data["rows"] == [[2]]
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == kept  # reused, not redone
    info = path.stat()
    path.write_text('id,name\n1,"Cy"\n2,"Bob"\n')  # one byte shorter; times put back
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert query(ctx, "SELECT name FROM 'q.csv' ORDER BY id").data["rows"] == [["Cy"], ["Bob"]]
