"""csv-spectrum (vendored in tests/fixtures/csv-spectrum): every case parses to its expected JSON
with csv_read and csv_query, and survives csv_write unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tools.base import ToolContext
from tools.csv_files import CsvQueryTool, CsvReadTool, CsvWriteTool
from tools.workspace import Workspace

SPECTRUM = Path(__file__).parent / "fixtures" / "csv-spectrum"
CASES = sorted(p.stem for p in (SPECTRUM / "csvs").glob("*.csv"))


def expected(name: str) -> list[dict[str, str]]:
    data: Any = json.loads((SPECTRUM / "json" / f"{name}.json").read_text(encoding="utf-8"))
    if name == "location_coordinates":
        # Upstream errata (README.md here): the JSON is a bare object (issue #22) and its phone
        # number is not the CSV's (issue #20). Only these two facts are corrected.
        assert isinstance(data, dict) and data["Contact Phone Number"] == "1234567890"
        data = [{**data, "Contact Phone Number": "2095257564"}]
    assert isinstance(data, list)
    return data


@pytest.fixture
def ctx(workspace_dir: Path) -> ToolContext:
    shutil.copytree(SPECTRUM / "csvs", workspace_dir / "csvs")
    return ToolContext(workspace=Workspace(workspace_dir))


def test_all_cases_are_vendored() -> None:
    assert len(CASES) == 12 and (SPECTRUM / "LICENSE").is_file()
    assert (SPECTRUM / "csvs" / "simple_crlf.csv").read_bytes() == b"a,b,c\r\n1,2,3\r\n"


@pytest.mark.parametrize("name", CASES)
def test_csv_read_matches_expected_json(ctx: ToolContext, name: str) -> None:
    tool = CsvReadTool()
    result = tool.run(tool.plan({"path": f"csvs/{name}.csv"}, ctx), ctx)
    rows = [dict(zip(result.data["columns"], row, strict=True)) for row in result.data["rows"]]
    assert rows == expected(name)
    assert result.data["total"] == len(rows)


@pytest.mark.parametrize("name", CASES)
def test_csv_query_matches_expected_json(ctx: ToolContext, name: str) -> None:
    tool = CsvQueryTool()
    sql = f"SELECT * FROM 'csvs/{name}.csv'"
    result = tool.run(tool.plan({"sql": sql}, ctx), ctx)
    # A typed column holds values that print back as the file's text; an empty one is NULL.
    rows = [
        {c: "" if v is None else str(v) for c, v in zip(result.data["columns"], row, strict=True)}
        for row in result.data["rows"]
    ]
    assert rows == expected(name)


@pytest.mark.parametrize("name", CASES)
def test_csv_write_round_trips(ctx: ToolContext, workspace_dir: Path, name: str) -> None:
    rows = expected(name)
    table = [list(rows[0])] + [list(r.values()) for r in rows]
    write, read = CsvWriteTool(), CsvReadTool()
    write.run(write.plan({"path": f"{name}.csv", "mode": "create", "rows": table}, ctx), ctx)
    back = read.run(read.plan({"path": f"{name}.csv"}, ctx), ctx)
    assert [back.data["columns"], *back.data["rows"]] == table

    # Overwriting a file with the rows it already holds keeps every byte, CRLFs included.
    original = (workspace_dir / "csvs" / f"{name}.csv").read_bytes()
    action = write.plan({"path": f"csvs/{name}.csv", "mode": "overwrite", "rows": table}, ctx)
    assert action.summary.endswith("no changes")
    write.run(action, ctx)
    assert (workspace_dir / "csvs" / f"{name}.csv").read_bytes() == original
