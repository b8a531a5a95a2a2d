"""Hostile arguments to the CSV tools become clear tool errors, never an escaping exception, a
traceback or an absolute path: over-long names, lone surrogates, NULs, absurd numbers, values
nested thousands deep, SQL built to break the parser. Seeded fuzz through the gate, plus the
named cases against the tools themselves (plan and run)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.agent.approval import Decision
from assistant.config import Settings
from assistant.runtime import Runtime, start_session
from tests.support.approvers import ScriptedApprover
from tools.base import ToolContext, ToolError
from tools.csv_files import CsvQueryTool, CsvReadTool, CsvWriteTool
from tools.workspace import Workspace

SEED = 20240607
PER_TOOL = 1_000


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


STRINGS: list[Any] = [
    "a" * 300 + ".csv",
    "d/" * 200 + "x.csv",
    "x\udcff.csv",
    "\ud800",
    "nul\x00.csv",
    "",
    " ",
    "../../etc/passwd",
    "/etc/passwd",
    "~/x.csv",
    "\u202eevil.csv",
    "**/**/**/**/*.csv",
    "[",
    "[z-a]*.csv",
    "*" * 2_000,
    "data.csv",
    "x" * 100_000,
    "e\u0301.csv",
]
NUMBERS: list[Any] = [
    10**100,
    -1,
    2**63,
    float("nan"),
    float("inf"),
    -1e308,
    True,
    0,
    51,
]
# Values that break the gate's JSON-schema check itself (an integer too long to print, lists
# nested 100,000 deep) are the gate's to turn into errors; the tools' own handling of them is
# tested directly below.
SQL: list[Any] = [
    "SELECT " + "(" * 3_000 + "1" + ")" * 3_000,
    "SELECT * FROM '" + "a" * 300 + ".csv'",
    "SELECT * FROM '\udcff.csv'",
    "SELECT '\ud800'",
    "SELECT repeat('x', 99999999999999)",
    "SELECT 1e999",
    "SELECT 99999999999999999999999999999999999999999999::HUGEINT",
    "SELECT * FROM read_csv([" + ", ".join(["'data.csv'"] * 2_000) + "])",
    "SELECT * FROM read_csv('data.csv', delim=';')",
    "SELECT * FROM read_csv(['data.csv', ['nested.csv']])",
    "SELECT * FROM 'data.csv' WHERE a IN (" + ", ".join(["1"] * 5_000) + ")",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT * FROM t",
    "SELECT * FROM '**/**/**/*.csv'",
    "SELECT * FROM 'data.csv'; DROP TABLE x",
    "SELECT\x00 1",
    "SELECT * FROM 'data.csv' AS \"" + "q" * 10_000 + '"',
    "SELECT a FROM 'data.csv'",
    "FROM 'data.csv' SELECT a, b",
]
OTHER: list[Any] = [None, [], {}, {"a": {"b": {"c": None}}}, nested(50), ["x"] * 10, b"bytes"]


def hostile(rng: random.Random, kind: str) -> Any:
    pools = {"str": STRINGS, "num": NUMBERS, "sql": SQL, "any": OTHER}
    roll = rng.random()
    if roll < 0.7:
        return rng.choice(pools[kind])
    return rng.choice(STRINGS + NUMBERS + OTHER)


def arg_sets(tool: str, rng: random.Random) -> Iterator[dict[str, Any]]:
    for _ in range(PER_TOOL):
        if tool == "csv_read":
            args = {
                "path": hostile(rng, "str"),
                "offset": hostile(rng, "num"),
                "limit": hostile(rng, "num"),
            }
        elif tool == "csv_query":
            args = {
                "sql": hostile(rng, "sql"),
                "limit": hostile(rng, "num"),
                "bad_rows": hostile(rng, "str"),
            }
        else:
            rows = [["a", "b"], [hostile(rng, "num"), hostile(rng, "str")]]
            if rng.random() < 0.2:
                rows = [hostile(rng, "any")]
            args = {
                "path": hostile(rng, "str"),
                "mode": rng.choice(["create", "overwrite", "append", "x"]),
                "rows": rows,
            }
            if rng.random() < 0.3:
                args = {"path": "out.csv", "mode": "create", "sql": hostile(rng, "sql")}
        for key in list(args):
            if rng.random() < 0.15:
                del args[key]
        if rng.random() < 0.05:
            args["extra\udcff"] = hostile(rng, "any")
        yield args


@pytest.fixture
def runtime(workspace_dir: Path) -> Iterator[Runtime]:
    (workspace_dir / "data.csv").write_text("a,b\n1,x\n2,y\n")
    (workspace_dir / "nested.csv").write_text("a,b\n3,z\n")
    approver = ScriptedApprover(lambda action: Decision("approve"))
    tools = {t.name: t for t in (CsvReadTool(), CsvQueryTool(), CsvWriteTool())}
    rt = start_session(Settings(), approver=approver, tools=tools, workspace=workspace_dir)
    yield rt
    rt.journal.close()


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["csv_read", "csv_query", "csv_write"])
async def test_seeded_hostile_arguments_through_the_gate(
    runtime: Runtime, workspace_dir: Path, tool: str
) -> None:
    rng = random.Random(f"{SEED}-{tool}")
    root = str(workspace_dir.parent)
    for args in arg_sets(tool, rng):
        outcome = await runtime.gate.execute(tool, args)  # nothing may escape
        assert outcome.status in ("done", "failed", "error", "denied")
        if not any(root in str(v) for v in args.values()):
            assert root not in outcome.text, (args, outcome.text)
        assert "Traceback" not in outcome.text


@pytest.fixture
def ctx(workspace_dir: Path) -> ToolContext:
    (workspace_dir / "data.csv").write_text("a,b\n1,x\n")
    return ToolContext(workspace=Workspace(workspace_dir))


def plan_and_run(tool: Any, args: dict[str, Any], ctx: ToolContext) -> None:
    tool.run(tool.plan(args, ctx), ctx)


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        (CsvReadTool(), {"path": "a" * 300 + ".csv"}, "File name too long|no such file"),
        (CsvReadTool(), {"path": "x\udcff.csv"}, "not valid Unicode"),
        (CsvReadTool(), {"path": "data.csv", "offset": 10**100}, "no rows to show|offset"),
        (
            CsvQueryTool(),
            {"sql": "SELECT * FROM '" + "a" * 300 + ".csv'"},
            "File name too long|no such",
        ),
        (CsvQueryTool(), {"sql": "SELECT '\ud800'"}, "not valid Unicode"),
        (CsvQueryTool(), {"sql": "SELECT " + "(" * 3000 + "1" + ")" * 3000}, "nested|depth|parse"),
        (CsvQueryTool(), {"sql": "SELECT 1", "limit": 10**100}, "limit must be"),
        (CsvQueryTool(), {"sql": "SELECT 1", "bad_rows": ["skip"]}, "bad_rows"),
        (
            CsvWriteTool(),
            {"path": "o.csv", "mode": "create", "rows": [["a"], [10**5000]]},
            "too long to write",
        ),
        (
            CsvWriteTool(),
            {"path": "o.csv", "mode": "create", "rows": [["a"], [nested(100_000)]]},
            "must be a string",
        ),
        (
            CsvWriteTool(),
            {"path": "o.csv", "mode": "create", "rows": nested(100_000)},
            r"rows\[0\]\[0\] must be",
        ),
        (
            CsvWriteTool(),
            {"path": "o\udcff.csv", "mode": "create", "rows": [["a"]]},
            "not valid Unicode",
        ),
        (CsvWriteTool(), {"path": "o.csv", "mode": ["create"], "rows": [["a"]]}, "mode must be"),
        (
            CsvWriteTool(),
            {"path": "o.csv", "mode": "create", "rows": [["a\ud800"]]},
            "not valid Unicode",
        ),
        (
            CsvWriteTool(),
            {"path": "a" * 300 + ".csv", "mode": "create", "rows": [["a"]]},
            "File name too long",
        ),
    ],
)
def test_named_hostile_arguments_are_clear_errors(
    ctx: ToolContext, tool: Any, args: dict[str, Any], message: str
) -> None:
    try:
        plan_and_run(tool, args, ctx)
    except ToolError as exc:
        assert re.search(message, str(exc)), str(exc)
        assert str(ctx.workspace.root.parent) not in str(exc)
    else:
        assert "no rows to show" in message  # a read past the end is an answer, not an error
