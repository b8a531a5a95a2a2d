"""Which columns a query selects never changes a cell: for varied files (empty cells in number,
text, date and code columns; quoted "" beside bare empty fields; NULL-like text), every selection
of columns, in every order, through the real gate, gives the projection of `SELECT *`: the same
values, the same NULL-or-'' for each empty cell, the same rows; so does a WHERE on an empty cell.

DuckDB's reader once applied `force_not_null` by the position among the columns a query read,
not the file's column: `SELECT total` failed with a conversion error that dumped DuckDB's reader
options, and other selections turned an empty text cell into NULL, or an empty number into ''.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.agent.approval import Decision
from assistant.config import Settings
from assistant.runtime import Runtime, start_session
from tests.support.approvers import ScriptedApprover
from tests.support.cli import assistant, env_fixture  # noqa: F401 - the env fixture
from tools.csv_files import CsvQueryTool

FILES: dict[str, str] = {
    # The report's file: an empty number among text and numbers.
    "orders": "id,customer,total\n10001,C1,5.5\n10007,C0,\n10008,C2,7.5\n",
    # Read by DuckDB itself (no quote character): empties in every kind of column.
    "plain": (
        "id,code,name,day,amount,note\n"
        "1,00501,Ann,2024-01-05,10.50,NULL\n"
        "2,,Bob,,,\n"
        "3,02134,,2024-02-29,7.25,null\n"
        ",00007,Cy,2023-12-31,,NA\n"
        "5,,,,0.10,\n"
        "6,10001,Dee,2024-03-01,3.00,N/A\n"
    ),
    # Quoted fields: copied by Python's csv module first; "" and a bare empty are both ''.
    "quoted": (
        "id,code,name,day,amount,note\n"
        '1,"00501","Ann",2024-01-05,10.50,"NULL"\n'
        '2,"",Bob,"",,""\n'
        '3,02134,"",2024-02-29,"7.25",\n'
        '"",00007,"Cy, Jr.",2023-12-31,"","a ""quoted"" word"\n'
        '5,,,,0.10,"NA"\n'
    ),
    # Text first and last, typed columns between, a column with no value at all.
    "edges": ("label,n,when,blank,tail\na,1,2024-01-01,,x\n,,,,\nc,3,,,\n,4,2024-01-03,,z\n"),
    # Numbers a type would change stay text (leading zeros, mixed scales); empties among them.
    "codes": "zip,price,qty\n00501,1.50,1\n,2.5,\n02134,,3\n,,\n",
}


@pytest.fixture
def runtime(workspace_dir: Path) -> Iterator[Runtime]:
    approver = ScriptedApprover(lambda action: Decision("approve"))
    rt = start_session(
        Settings(), approver=approver, tools={"csv_query": CsvQueryTool()}, workspace=workspace_dir
    )
    yield rt
    rt.journal.close()


async def query(rt: Runtime, sql: str) -> dict[str, Any]:
    outcome = await rt.gate.execute("csv_query", {"sql": sql, "limit": 50})
    assert outcome.status == "done", f"{sql}: {outcome.text}"
    assert outcome.result is not None
    data = outcome.result.data
    assert data["total"] == len(data["rows"])
    return data


def selections(width: int) -> Iterator[tuple[int, ...]]:
    """Every subset of the columns in every order (up to four columns), else every subset in
    the file's order and reversed."""
    for size in range(1, width + 1):
        for subset in itertools.combinations(range(width), size):
            if width <= 4:
                yield from itertools.permutations(subset)
            else:
                yield subset
                if size > 1:
                    yield subset[::-1]


def select_list(columns: list[str], chosen: tuple[int, ...]) -> str:
    return ", ".join('"' + columns[i].replace('"', '""') + '"' for i in chosen)


def project(rows: list[list[Any]], chosen: tuple[int, ...]) -> list[list[Any]]:
    return [[row[i] for i in chosen] for row in rows]


@pytest.mark.slow  # about 500 queries through the gate
@pytest.mark.parametrize("name", sorted(FILES))
async def test_every_selection_is_the_projection_of_select_star(
    runtime: Runtime, workspace_dir: Path, name: str
) -> None:
    path = workspace_dir / f"{name}.csv"
    path.write_text(FILES[name])
    full = await query(runtime, f"SELECT * FROM '{name}.csv'")
    columns, types, rows = full["columns"], full["types"], full["rows"]
    assert len(rows) == FILES[name].count("\n") - 1
    for chosen in selections(len(columns)):
        cols = select_list(columns, chosen)
        # A file version the tool has typed whole (after SELECT *) ...
        got = await query(runtime, f"SELECT {cols} FROM '{name}.csv'")
        assert got["rows"] == project(rows, chosen), cols
        assert got["types"] == [types[i] for i in chosen], cols
        # ... and a fresh one whose first query reads only these columns.
        fresh = f"{name}-{'-'.join(map(str, chosen))}.csv"
        shutil.copyfile(path, workspace_dir / fresh)
        got = await query(runtime, f"SELECT {cols} FROM '{fresh}'")
        assert got["rows"] == project(rows, chosen), (fresh, cols)
        assert got["types"] == [types[i] for i in chosen], (fresh, cols)
        (workspace_dir / fresh).unlink()


@pytest.mark.parametrize("name", sorted(FILES))
async def test_where_on_an_empty_cell_keeps_its_rows(
    runtime: Runtime, workspace_dir: Path, name: str
) -> None:
    (workspace_dir / f"{name}.csv").write_text(FILES[name])
    full = await query(runtime, f"SELECT * FROM '{name}.csv'")
    columns, types, rows = full["columns"], full["types"], full["rows"]
    width = len(columns)
    for i in range(width):
        others = [j for j in range(width) if j != i]
        # The tested column alone, beside one other column, and beside every other one.
        for chosen in [(i,), *((j, i) for j in others[:1]), (*others, i)]:
            cols = select_list(columns, chosen)
            target = select_list(columns, (i,))
            conditions = [(f"{target} IS NULL", lambda v: v is None)]
            if types[i] == "VARCHAR":
                conditions.append((f"{target} = ''", lambda v: v == ""))
            for where, keep in conditions:
                fresh = f"{name}-where.csv"
                (workspace_dir / fresh).write_text(FILES[name])
                want = project([r for r in rows if keep(r[i])], chosen)
                for rel in (f"{name}.csv", fresh):  # typed whole before, and fresh
                    got = await query(runtime, f"SELECT {cols} FROM '{rel}' WHERE {where}")
                    assert got["rows"] == want, (rel, cols, where)
                # What the first query on it left untested is tested now, cell for cell.
                again = await query(runtime, f"SELECT * FROM '{fresh}'")
                assert (again["rows"], again["types"]) == (rows, types), (fresh, cols, where)
                (workspace_dir / fresh).unlink()


def test_the_reported_query_through_the_cli(
    env: dict[str, str],  # noqa: F811 - the fixture imported above
    workspace_dir: Path,
) -> None:
    (workspace_dir / "o.csv").write_text(FILES["orders"])
    for sql, expected in [
        ("SELECT total FROM 'o.csv'", [["5.5"], [None], ["7.5"]]),
        ("SELECT customer, total FROM 'o.csv' WHERE total IS NULL", [["C0", None]]),
        ("SELECT total, customer FROM 'o.csv'", [["5.5", "C1"], [None, "C0"], ["7.5", "C2"]]),
    ]:
        args = '{"sql": "' + sql.replace('"', '\\"') + '"}'
        done = assistant(
            env, "tool", "csv_query", args, "--workspace", str(workspace_dir), "--json"
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert expected_rows(done.stdout) == expected, sql
        assert "Conversion Error" not in done.stdout + done.stderr


def expected_rows(stdout: str) -> list[list[Any]]:
    """The rows of the action's result among the JSON lines `--json` prints."""
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    (result,) = [e for e in events if e["kind"] == "action.result"]
    return result["data"]["rows"]
