"""Benchmark: csv_query against DuckDB run directly, on a generated CSV (1 GB by default).

Each run is a fresh child process; the time is measured inside it (query start to result in
hand) and the peak memory is the child's own maximum RSS (os.wait4). Runs alternate between the
two sides so a warm or cold page cache favours neither.

    .venv/bin/python bench/csv_query.py              # 1 GB, 3 runs per side
    .venv/bin/python bench/csv_query.py --size-gb 0.2 --repeat 5
    .venv/bin/python bench/csv_query.py --file data/big.csv   # an existing file instead

"Direct" is plain ``duckdb.connect()`` with its defaults (progress bar off, as in csv_query),
then ``execute(sql).fetchall()``: DuckDB's own dialect and type guess.
"csv_query" is the tool's plan + run: SQL check and rewrite (twice: plan, then run checks
again), a worker process forked for the query, the file checked to be one DuckDB reads exactly
as Python's csv module does, the columns the query reads tested over every row so that a type
never changes a cell, a locked connection (memory_limit 512MB, one thread per core), the first
page of rows and, when there are more, a count.
Each child runs the query twice: "first" is a file csv_query has not seen, "again" the same file
once more in the same process (csv_query remembers what it learnt about a file's version).
``--quoted`` writes the text columns in quotes: such a file is read by Python's csv module and
copied for DuckDB (csv_read's exact reading), which is much slower.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BYTES_PER_ROW = 56.5

QUERIES = [
    (
        "group by region (4 groups)",
        "SELECT region, count(*) AS n, sum(amount) AS total, avg(amount) AS mean "
        "FROM 'big.csv' GROUP BY region ORDER BY region",
    ),
    (
        "top customers (100k groups)",
        "SELECT customer, count(*) AS n, sum(amount) AS total FROM 'big.csv' "
        "GROUP BY customer ORDER BY total DESC LIMIT 10",
    ),
    (
        "filter, 10% of rows *",
        "SELECT * FROM 'big.csv' WHERE amount > 9000",
    ),
]

GENERATE = """
import duckdb, sys
con = duckdb.connect()
quote = "FORCE_QUOTE (customer, note)," if sys.argv[3] == "quoted" else ""
con.execute(f'''COPY (SELECT i AS id, 'customer_' || (i % 100000) AS customer,
    ['north', 'south', 'east', 'west'][(i % 4) + 1] AS region,
    round((i * 7919 % 1000000) / 100.0, 2) AS amount,
    DATE '2020-01-01' + CAST(i % 1500 AS INTEGER) AS day, 'note ' || (i % 977) AS note
    FROM range({int(sys.argv[2])}) t(i)) TO '{sys.argv[1]}' ({quote} HEADER)''')
"""

DIRECT = """
import json, sys, time
import duckdb
folder, sql = sys.argv[1], sys.argv[2]
times = []
for _ in range(2):
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # csv_query turns it off too
    rows = con.execute(sql.replace("'big.csv'", "'" + folder + "/big.csv'")).fetchall()
    times.append(time.perf_counter() - started)
    con.close()
print(json.dumps({"seconds": times[0], "again": times[1], "rows": len(rows)}))
"""

TOOL = """
import json, sys, time
import duckdb  # imported before the clock starts, as in DIRECT (the app imports it once)
from tools.base import ToolContext
from tools.csv_files import CsvQueryTool
from tools.workspace import Workspace
folder, sql = sys.argv[1], sys.argv[2]
times = []
for _ in range(2):
    started = time.perf_counter()
    ctx = ToolContext(workspace=Workspace(folder))
    tool = CsvQueryTool()
    result = tool.run(tool.plan({"sql": sql}, ctx), ctx)
    times.append(time.perf_counter() - started)
print(json.dumps({"seconds": times[0], "again": times[1], "rows": result.data["total"]}))
# The worker server is stopped at exit and waited for: its workers' CPU and memory count here.
"""


def child(code: str, *args: str) -> tuple[dict[str, float], float, float]:
    """Run ``code`` in a fresh interpreter: (its last JSON line, its peak RSS in MB, the CPU
    seconds it used in all, start-up included; steadier than wall time on a busy machine)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {code.strip().splitlines()[0]} ...")
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    cpu = usage.ru_utime + usage.ru_stime
    return (json.loads(lines[-1]) if lines else {}), usage.ru_maxrss / 1024, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-gb", type=float, default=1.0, help="size of the generated CSV")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side and query")
    parser.add_argument("--file", type=Path, help="query this CSV instead (its columns must match)")
    parser.add_argument("--quoted", action="store_true", help="quote the generated text columns")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-csv-") as tmp:
        folder = Path(tmp)
        if args.file:
            (folder / "big.csv").symlink_to(args.file.resolve())
        else:
            rows = int(args.size_gb * 1e9 / BYTES_PER_ROW)
            print(f"generating {rows:,} rows ...", flush=True)
            child(GENERATE, str(folder / "big.csv"), str(rows), "quoted" if args.quoted else "")
        size = (folder / "big.csv").stat().st_size
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"file: {size / 1e9:.2f} GB, {os.cpu_count()} CPUs, load average {load}")
        print(
            f"medians of {args.repeat} runs per side; s: query wall time (first, then again in "
            "the same process); cpu: the child's CPU s for both, workers included\n"
        )
        print(
            f"{'query':<28} {'direct s':>8} {'tool s':>7} {'ratio':>6} {'again d':>8} "
            f"{'tool':>6} {'ratio':>6} {'cpu d':>6} {'tool':>6} {'ratio':>6} {'MB d':>5} {'tool':>5}"
        )
        for name, sql in QUERIES:
            times: dict[str, list[float]] = {"direct": [], "tool": []}
            again: dict[str, list[float]] = {"direct": [], "tool": []}
            cpus: dict[str, list[float]] = {"direct": [], "tool": []}
            peaks: dict[str, float] = {"direct": 0.0, "tool": 0.0}
            answers = set()
            for _ in range(args.repeat):
                for side, code in (("direct", DIRECT), ("tool", TOOL)):
                    out, peak, cpu = child(code, str(folder), sql)
                    times[side].append(out["seconds"])
                    again[side].append(out["again"])
                    cpus[side].append(cpu)
                    peaks[side] = max(peaks[side], peak)
                    answers.add(out["rows"])
            wall = [statistics.median(times[side]) for side in ("direct", "tool")]
            wall2 = [statistics.median(again[side]) for side in ("direct", "tool")]
            cpu = [statistics.median(cpus[side]) for side in ("direct", "tool")]
            print(
                f"{name:<28} {wall[0]:>8.2f} {wall[1]:>7.2f} {wall[1] / wall[0]:>6.2f} "
                f"{wall2[0]:>8.2f} {wall2[1]:>6.2f} {wall2[1] / wall2[0]:>6.2f} "
                f"{cpu[0]:>6.2f} {cpu[1]:>6.2f} {cpu[1] / cpu[0]:>6.2f} "
                f"{peaks['direct']:>5.0f} {peaks['tool']:>5.0f}   rows: {sorted(answers)}"
            )
        print(
            "\n* direct fetches every matching row into Python; csv_query returns 50 rows and "
            "counts the rest, so this line compares different work."
        )
        print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
