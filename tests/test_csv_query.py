"""csv_query: SQL over workspace CSV files, paged with a total, inside a locked DuckDB."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tools.base import Effect, Result, ToolContext, ToolError
from tools.csv_files import CsvQueryTool, engine, scratch
from tools.csv_files.engine import QueryLimits
from tools.workspace import Workspace


@pytest.fixture
def ctx(workspace_dir: Path) -> ToolContext:
    data = workspace_dir / "data"
    data.mkdir()
    (data / "orders.csv").write_text(
        "id,region,amount,day\n1,north,10.5,2024-01-01\n2,south,20,2024-01-02\n"
        "3,north,4.5,2024-01-03\n4,east,7,2024-01-04\n"
    )
    (data / "regions.csv").write_text("region,manager\nnorth,Ann\nsouth,Bob\neast,Cy\n")
    (data / "semi.txt").write_text("a;b\n1;2\n")
    return ToolContext(workspace=Workspace(workspace_dir))


def query(ctx: ToolContext, sql: str, tool: CsvQueryTool | None = None, **args: Any) -> Result:
    tool = tool or CsvQueryTool()
    return tool.run(tool.plan({"sql": sql, **args}, ctx), ctx)


def test_aggregate_with_columns_types_and_total(ctx: ToolContext) -> None:
    tool = CsvQueryTool()
    sql = (
        "SELECT region, sum(amount) AS total FROM 'data/orders.csv' GROUP BY region ORDER BY region"
    )
    action = tool.plan({"sql": sql}, ctx)
    assert action.effect is Effect.READ and action.targets == ("path:data/orders.csv",)
    assert "data/orders.csv" in action.preview.text and sql in action.preview.text
    result = tool.run(action, ctx)
    assert result.data["columns"] == ["region", "total"]
    # amount holds 10.5, 20, 4.5 and 7: an exact decimal that prints each value as written.
    assert result.data["types"] == ["VARCHAR", "DECIMAL(38,1)"]
    assert result.data["rows"] == [["east", "7"], ["north", "15"], ["south", "20"]]
    assert result.data["total"] == 3
    assert result.output.startswith("rows 1-3 of 3:\nregion,total\neast,7\n")


def test_large_results_are_paged_with_the_total(ctx: ToolContext) -> None:
    result = query(ctx, "SELECT range AS n FROM range(1000)", limit=10)
    assert [r[0] for r in result.data["rows"]] == list(range(10))
    assert result.data["total"] == 1000
    assert "rows 1-10 of 1,000" in result.output and "990 more rows" in result.output
    assert query(ctx, "SELECT 1 AS x; -- trailing comment").data["total"] == 1


def test_default_page_is_bounded_in_rows_and_bytes(ctx: ToolContext) -> None:
    result = query(ctx, "SELECT range AS n, repeat('x', 190) AS pad FROM range(100000)")
    assert result.data["total"] == 100_000 and len(result.data["rows"]) == 50
    assert len(result.output.encode()) < 9_000 and "cut to fit about 8 KB" in result.output
    with pytest.raises(ToolError, match="limit"):
        CsvQueryTool().plan({"sql": "SELECT 1", "limit": 51}, ctx)


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        (
            "SELECT o.id, r.manager FROM 'data/orders.csv' o JOIN \"data/regions.csv\" r "
            "USING (region) WHERE o.amount > 8 ORDER BY o.id",
            [[1, "Ann"], [2, "Bob"]],
        ),
        ("SELECT orders.id FROM 'data/orders.csv' WHERE orders.id < 2", [[1]]),  # default alias
        ("SELECT * FROM read_csv('data/semi.txt')", [[1, 2]]),  # ';' as csv_read sniffs it
        ("SELECT count(*) FROM read_csv(['data/orders.csv', 'data/orders.csv'])", [[8]]),
        ("SELECT count(*) FROM 'data/o*.csv'", [[4]]),
        ("SELECT count(*) FROM read_csv('data/*.csv', union_by_name = true)", [[7]]),
        ("FROM 'data/regions.csv' SELECT manager WHERE region = 'east'", [["Cy"]]),
        ("WITH t AS (SELECT * FROM 'data/orders.csv') SELECT max(id) FROM t", [[4]]),
        ("SELECT column_name FROM (DESCRIBE 'data/regions.csv')", [["region"], ["manager"]]),
        (
            "SELECT 'data/orders.csv' AS name, count(*) FROM 'data/orders.csv'",
            [["data/orders.csv", 4]],
        ),
        ("SELECT 'é' AS e, count(*) FROM 'data/orders.csv'", [["é", 4]]),
    ],
    ids=[
        "join",
        "alias",
        "read_csv-options",
        "list",
        "glob",
        "glob-arg",
        "from-first",
        "cte",
        "describe",
        "literal",
        "non-ascii",
    ],
)
def test_sql_forms(ctx: ToolContext, sql: str, rows: list[list[Any]]) -> None:
    assert query(ctx, sql).data["rows"] == rows


def test_describe_and_summarize(ctx: ToolContext) -> None:
    described = query(ctx, "DESCRIBE 'data/orders.csv'")
    assert [r[0] for r in described.data["rows"]] == ["id", "region", "amount", "day"]
    summary = query(ctx, "SUMMARIZE 'data/orders.csv'")
    assert summary.data["total"] == 4 and "column_name" in summary.data["columns"]


def test_symlink_to_a_workspace_file_is_followed(ctx: ToolContext, workspace_dir: Path) -> None:
    (workspace_dir / "data" / "alias.csv").symlink_to("orders.csv")
    result = query(ctx, "SELECT count(*) AS n FROM 'data/alias.csv' WHERE alias.id > 1")
    assert result.data["rows"] == [[3]]


def test_values_become_json_and_text_is_escaped(ctx: ToolContext) -> None:
    sql = (
        "SELECT NULL AS nothing, 1.25::DECIMAL(5,2) AS price, DATE '2024-01-31' AS day, "
        "chr(27) || '[31mred' || chr(8238) AS evil, [1, 2] AS list"
    )
    result = query(ctx, sql)
    assert result.data["rows"] == [[None, "1.25", "2024-01-31", "\x1b[31mred\u202e", [1, 2]]]
    assert "NULL" in result.output and "\\x1b[31mred\\u202e" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output


@pytest.mark.parametrize(
    "sql",
    [
        "ATTACH 'data/x.db' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "COPY (SELECT 1) TO 'data/out.csv'",
        "SET threads = 1",
        "SET enable_external_access = true",
        "RESET allowed_paths",
        "PRAGMA enable_profiling",
        "CREATE TABLE t AS SELECT 1",
        "EXPORT DATABASE 'data/dump'",
        "CALL pragma_version()",
        "PIVOT 'data/orders.csv' ON region USING sum(amount)",
    ],
)
def test_statements_other_than_queries_are_refused(
    ctx: ToolContext, workspace_dir: Path, sql: str
) -> None:
    with pytest.raises(ToolError, match="csv_query runs one read-only query"):
        CsvQueryTool().plan({"sql": sql}, ctx)
    assert sorted(p.name for p in (workspace_dir / "data").iterdir()) == [
        "orders.csv",
        "regions.csv",
        "semi.txt",
    ]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; SELECT 2", "one statement at a time"),
        ("SELECT * FROM read_text('data/orders.csv')", r"read_text\(\) is not available"),
        ("SELECT * FROM read_parquet('data/x.parquet')", r"read_parquet\(\) is not available"),
        ("SELECT * FROM query('SELECT 1')", r"query\(\) is not available"),
        ("SELECT * FROM glob('*')", r"glob\(\) is not available"),
        ("SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')", "URLs are refused"),
        ("SELECT * FROM 'https://example.com/x.csv'", "URLs are refused"),
        ("SELECT * FROM read_csv('s3://bucket/x.csv')", "URLs are refused"),
        ("SELECT * FROM read_csv('data/' || 'orders.csv')", "quoted literal"),
        ("SELECT * FROM orders", "name CSV files by quoted path"),
        ("DESCRIBE orders", "name CSV files by quoted path"),
        ("SELECT * FROM 'data/missing.csv'", "no such file"),
        ("SELECT * FROM 'data'", "is not a file"),
        ("SELECT * FROM 'nothing/*.csv'", "no files in the workspace match"),
        ("SELEC 1", "cannot be parsed"),
        ("", "non-empty"),
    ],
)
def test_refusals_are_specific(ctx: ToolContext, sql: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        query(ctx, sql)


def test_environment_is_out_of_reach(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSV_QUERY_SECRET", "hunter2")
    with pytest.raises(ToolError) as err:
        query(ctx, "SELECT getenv('CSV_QUERY_SECRET')")
    assert "hunter2" not in str(err.value)


def test_errors_show_workspace_relative_paths(ctx: ToolContext, workspace_dir: Path) -> None:
    (workspace_dir / "data" / "bad.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(ToolError) as err:
        query(ctx, "SELECT * FROM 'data/bad.csv'")
    message = str(err.value)
    assert str(workspace_dir) not in message and "data/bad.csv: line 3" in message
    with pytest.raises(ToolError) as err:
        query(ctx, "SELECT a + 'x' FROM 'data/orders.csv' o(a)")
    assert str(workspace_dir) not in str(err.value) and "/tmp" not in str(err.value)


def test_a_legacy_encoding_is_read_as_csv_read_reads_it(
    ctx: ToolContext, workspace_dir: Path
) -> None:
    # Earlier, DuckDB refused this file and the model had to guess an encoding option.
    (workspace_dir / "data" / "latin.csv").write_bytes("a,b\n1,café\n".encode("cp1252"))
    assert query(ctx, "SELECT b FROM 'data/latin.csv'").data["rows"] == [["café"]]


def test_slow_query_is_stopped_at_the_deadline(ctx: ToolContext) -> None:
    tool = CsvQueryTool(QueryLimits(timeout=0.3))
    with pytest.raises(ToolError, match=r"ran longer than 0.3 s and was stopped"):
        query(ctx, "SELECT count(*) FROM range(1000000) a, range(1000000) b", tool=tool)


SPILLING_SQL = (
    "SELECT range AS r, range::VARCHAR || repeat('x', 30) AS s FROM range(800000) ORDER BY r DESC"
)


def test_big_sorts_spill_into_the_given_folder(tmp_path: Path) -> None:
    con = engine.connect_locked([], QueryLimits(memory_limit="16MB", threads=1), str(tmp_path))
    try:
        cursor = con.execute(SPILLING_SQL)
        assert cursor.fetchmany(1) == [(799_999, "799999" + "x" * 30)]
        assert any(name.endswith(".tmp") for name in os.listdir(tmp_path))
    finally:
        con.close()


def test_each_query_spills_into_its_own_folder_then_removes_it(
    ctx: ToolContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill_root = tmp_path / "spill-root"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(**kwargs: Any) -> str:
        made.append(real_mkdtemp(**kwargs))
        return made[-1]

    monkeypatch.setattr(scratch.tempfile, "mkdtemp", mkdtemp)
    tool = CsvQueryTool(QueryLimits(memory_limit="16MB", threads=1))
    assert query(ctx, SPILLING_SQL, tool=tool, limit=1).data["total"] == 800_000
    assert len(made) == 1 and Path(made[0]).parent == spill_root
    assert os.listdir(spill_root) == []


def test_plan_refuses_before_anything_runs(ctx: ToolContext, workspace_dir: Path) -> None:
    before = sorted(os.listdir(workspace_dir / "data"))
    CsvQueryTool().plan({"sql": "SELECT * FROM 'data/orders.csv'"}, ctx)
    assert sorted(os.listdir(workspace_dir / "data")) == before


def test_unknown_arguments_are_refused(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="unknown argument: offset"):
        CsvQueryTool().plan({"sql": "SELECT 1", "offset": 5}, ctx)


def test_importing_the_tools_does_not_import_duckdb() -> None:
    code = "import sys, tools.csv_files; print('duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # a third of a second saved at start-up


def test_very_wide_results_stay_bounded(ctx: ToolContext, workspace_dir: Path) -> None:
    names = [f"column_{i}" for i in range(1500)]
    row = ",".join("v" * 50 for _ in names)
    (workspace_dir / "wide.csv").write_text(",".join(names) + "\n" + row + "\n" + row + "\n")
    result = query(ctx, "SELECT * FROM 'wide.csv'")
    assert len(result.output) < 9_000 and "…" in result.output
    assert len(result.data["columns"]) == 1500 and result.data["total"] == 2


def test_files_of_a_pattern_are_typed_together_and_named_relatively(
    ctx: ToolContext, workspace_dir: Path
) -> None:
    logs = workspace_dir / "logs"
    logs.mkdir()
    (logs / "a.csv").write_text("day,n\n2024-01-01,1\n")
    (logs / "b.csv").write_text("n,day,extra\n2.5,2024-01-02,x\n")
    sql = (
        "SELECT filename, day, n, extra FROM read_csv('logs/*.csv', union_by_name = true, "
        "filename = true) ORDER BY filename"
    )
    result = query(ctx, sql)
    assert result.data["types"] == ["VARCHAR", "DATE", "DECIMAL(38,1)", "VARCHAR"]
    assert result.data["rows"] == [
        ["logs/a.csv", "2024-01-01", "1", None],
        ["logs/b.csv", "2024-01-02", "2.5", "x"],
    ]
    with pytest.raises(ToolError, match="have different columns; add union_by_name"):
        query(ctx, "SELECT * FROM 'logs/*.csv'")
