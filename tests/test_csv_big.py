"""A 1 GB CSV queried by csv_query in a child process: the answer is right and the child's peak
memory stays far below the file's size (DuckDB streams it; nothing is loaded into Python).

About 15 s on a 2-core machine (10 s of it generating the file), hence the slow marker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROWS = 18_200_000  # about 55 bytes a row: just over 1 GB
GENERATE = """
import duckdb, sys
con = duckdb.connect(config={"threads": 2})
con.execute(f'''COPY (SELECT i AS id, 'customer_' || (i % 100000) AS customer,
    ['north', 'south', 'east', 'west'][(i % 4) + 1] AS region,
    round((i * 7919 % 1000000) / 100.0, 2) AS amount,
    DATE '2020-01-01' + CAST(i % 1500 AS INTEGER) AS day, 'note ' || (i % 977) AS note
    FROM range({int(sys.argv[2])}) t(i)) TO '{sys.argv[1]}' (HEADER)''')
"""
QUERY = """
import json, sys
from tools.base import ToolContext
from tools.workspace import Workspace
from tools.csv_files import CsvQueryTool
ctx = ToolContext(workspace=Workspace(sys.argv[1]))
tool = CsvQueryTool()
sql = "SELECT region, count(*) AS n, sum(amount) AS total FROM 'big.csv' GROUP BY region ORDER BY region"
result = tool.run(tool.plan({"sql": sql}, ctx), ctx)
print(json.dumps(result.data))
"""


def run_child(code: str, *args: str) -> tuple[str, int]:
    """Run Python code in a child; returns (stdout, the child's own peak RSS in bytes)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, err.decode()
    return out.decode(), usage.ru_maxrss * 1024  # kilobytes on Linux


@pytest.mark.slow
def test_one_gigabyte_csv_is_queried_with_bounded_memory(workspace_dir: Path) -> None:
    big = workspace_dir / "big.csv"
    try:
        run_child(GENERATE, str(big), str(ROWS))
        size = big.stat().st_size
        assert size > 1_000_000_000
        started = time.monotonic()
        out, peak = run_child(QUERY, str(workspace_dir))
        elapsed = time.monotonic() - started
        data = json.loads(out)
        assert data["columns"] == ["region", "n", "total"] and data["total"] == 4
        assert [row[1] for row in data["rows"]] == [ROWS // 4] * 4
        assert peak < 600 * 2**20, (
            f"peak RSS {peak / 2**20:.0f} MB for a {size / 2**30:.2f} GiB file"
        )
        assert peak < size / 2
        print(f"\n1 GB csv_query: {elapsed:.1f} s, child peak RSS {peak / 2**20:.0f} MB")
    finally:
        big.unlink(missing_ok=True)  # pytest keeps old temp folders; do not keep a gigabyte
