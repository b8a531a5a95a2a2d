"""The CSV tools through the real gate: deny rules cover every file they would read or write,
globs included; a session grant covers only the folder and the kind of change it names; a file
with other hard links is refused for writing and named when read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import paths
from assistant.agent.approval import Decision
from assistant.config import DenyRule, Settings
from assistant.runtime import Runtime, start_session
from tests.support.approvers import ScriptedApprover
from tools.csv_files import CsvQueryTool, CsvReadTool, CsvWriteTool

SECRET = "hunter2-canary"
SECRET_NAME = "payroll-keys"


def tools() -> dict[str, Any]:
    return {t.name: t for t in (CsvReadTool(), CsvQueryTool(), CsvWriteTool())}


@pytest.fixture
def ws(workspace_dir: Path) -> Path:
    (workspace_dir / "public").mkdir()
    (workspace_dir / "private").mkdir()
    (workspace_dir / "public" / "a.csv").write_text("id,amount\n1,10\n2,20\n")
    (workspace_dir / "public" / "b.csv").write_text("id,amount\n3,30\n")
    (workspace_dir / "private" / f"{SECRET_NAME}.csv").write_text(f"id,amount\n9,{SECRET}\n")
    (workspace_dir / "public" / "door.csv").symlink_to(f"../private/{SECRET_NAME}.csv")
    return workspace_dir


def session(ws: Path, approver: ScriptedApprover, *rules: DenyRule) -> Runtime:
    return start_session(
        Settings(deny=tuple(rules)), approver=approver, tools=tools(), workspace=ws
    )


@pytest.fixture
def guarded(ws: Path) -> Iterator[tuple[Runtime, ScriptedApprover]]:
    approver = ScriptedApprover(lambda action: Decision("approve"))
    rt = session(ws, approver, DenyRule(tool="*", target="path:private", reason="payroll"))
    yield rt, approver
    rt.journal.close()


def journal_bytes() -> bytes:
    folder = paths.journal_file().parent
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())


def assert_never_shown(*texts: str, name_too: bool = True) -> None:
    """The denied file's contents appear nowhere (nor its name, unless the call itself named it)."""
    secrets = [SECRET, SECRET_NAME] if name_too else [SECRET]
    data = journal_bytes()
    for secret in secrets:
        assert all(secret not in text for text in texts) and secret.encode() not in data


async def test_a_glob_skips_a_denied_file_without_naming_it(
    guarded: tuple[Runtime, ScriptedApprover],
) -> None:
    rt, _ = guarded
    outcome = await rt.gate.execute("csv_query", {"sql": "SELECT * FROM '**/*.csv' ORDER BY id"})
    assert outcome.status == "done", outcome.text
    assert outcome.result is not None
    assert outcome.result.data["rows"] == [[1, 10], [2, 20], [3, 30]]
    assert "2 matches of '**/*.csv' skipped: a deny rule covers them" in outcome.text
    assert_never_shown(outcome.text, str(outcome.result.data))


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT * FROM 'private/{SECRET_NAME}.csv'",
        "SELECT * FROM 'public/door.csv'",  # a link into the denied folder
        f"SELECT * FROM read_csv(['public/a.csv', 'private/{SECRET_NAME}.csv'])",
        "SELECT * FROM 'private/*.csv'",
    ],
)
async def test_a_query_that_names_a_denied_file_is_refused(
    guarded: tuple[Runtime, ScriptedApprover], sql: str
) -> None:
    rt, _ = guarded
    outcome = await rt.gate.execute("csv_query", {"sql": sql})
    assert outcome.status in ("error", "denied"), outcome.text
    assert SECRET not in outcome.text
    assert SECRET.encode() not in journal_bytes()


async def test_csv_read_of_a_denied_file_is_refused(
    guarded: tuple[Runtime, ScriptedApprover],
) -> None:
    rt, _ = guarded
    for path in (f"private/{SECRET_NAME}.csv", "public/door.csv"):
        outcome = await rt.gate.execute("csv_read", {"path": path})
        assert outcome.status in ("error", "denied") and "payroll" in outcome.text
    assert_never_shown(name_too=False)


async def test_csv_write_reads_no_denied_source_and_writes_no_denied_target(
    guarded: tuple[Runtime, ScriptedApprover], ws: Path
) -> None:
    rt, approver = guarded
    sql = "SELECT * FROM 'public/*.csv' UNION ALL SELECT * FROM 'private/*.csv'"
    outcome = await rt.gate.execute("csv_write", {"path": "out.csv", "mode": "create", "sql": sql})
    assert outcome.status in ("error", "denied") and not (ws / "out.csv").exists()
    sql = "SELECT * FROM '**/*.csv' ORDER BY id"
    outcome = await rt.gate.execute("csv_write", {"path": "out.csv", "mode": "create", "sql": sql})
    assert outcome.status == "done", outcome.text
    assert (ws / "out.csv").read_text() == "id,amount\n1,10\n2,20\n3,30\n"
    target = f"private/{SECRET_NAME}.csv"
    for mode in ("overwrite", "append"):
        rows = [["id", "amount"], ["4", "40"]]
        outcome = await rt.gate.execute("csv_write", {"path": target, "mode": mode, "rows": rows})
        assert outcome.status in ("error", "denied")
    assert SECRET in (ws / target).read_text()
    assert all(SECRET not in a.preview.text for a in approver.seen)
    assert_never_shown(*(a.preview.text for a in approver.seen), name_too=False)


async def test_a_read_only_rule_keeps_a_write_preview_from_showing_the_file(ws: Path) -> None:
    approver = ScriptedApprover(lambda action: Decision("approve"))
    rule = DenyRule(tool="*", target="path:private", effect="read", reason="no peeking")
    rt = session(ws, approver, rule)
    try:
        rows = [["id", "amount"], ["4", "40"]]
        target = f"private/{SECRET_NAME}.csv"
        outcome = await rt.gate.execute(
            "csv_write", {"path": target, "mode": "append", "rows": rows}
        )
        assert outcome.status == "error" and "no peeking" in outcome.text
        assert approver.seen == []
    finally:
        rt.journal.close()


async def test_a_create_grant_never_approves_an_overwrite_or_another_folder(ws: Path) -> None:
    answers = [Decision("approve", remember=True), Decision("deny", reason="no"), Decision("deny")]
    approver = ScriptedApprover(answers)
    rt = session(ws, approver)
    try:
        rows = [["id"], ["1"]]
        first = await rt.gate.execute(
            "csv_write", {"path": "public/new1.csv", "mode": "create", "rows": rows}
        )
        assert first.status == "done"
        grant = next(iter(rt.gate.policy.grants.values()))
        assert (
            grant.label == "csv_write: create new files in the folder public/ (not its subfolders)"
        )
        assert grant.kinds == {"create"}
        again = await rt.gate.execute(
            "csv_write", {"path": "public/new2.csv", "mode": "create", "rows": rows}
        )
        assert again.status == "done" and len(approver.seen) == 1  # covered by the grant
        over = await rt.gate.execute(
            "csv_write", {"path": "public/new1.csv", "mode": "overwrite", "rows": [["id"], ["2"]]}
        )
        assert over.status == "denied" and len(approver.seen) == 2  # asked again
        assert (ws / "public" / "new1.csv").read_text() == "id\n1\n"
        (ws / "public" / "sub").mkdir()
        deeper = await rt.gate.execute(
            "csv_write", {"path": "public/sub/n.csv", "mode": "create", "rows": rows}
        )
        assert deeper.status == "denied" and len(approver.seen) == 3
    finally:
        rt.journal.close()


async def test_an_append_grant_does_not_cover_an_overwrite(ws: Path) -> None:
    approver = ScriptedApprover([Decision("approve", remember=True), Decision("deny")])
    rt = session(ws, approver)
    try:
        args = {"path": "public/a.csv", "mode": "append", "rows": [["id", "amount"], ["5", "50"]]}
        assert (await rt.gate.execute("csv_write", args)).status == "done"
        args = {
            "path": "public/b.csv",
            "mode": "overwrite",
            "rows": [["id", "amount"], ["6", "60"]],
        }
        assert (await rt.gate.execute("csv_write", args)).status == "denied"
        assert (ws / "public" / "b.csv").read_text() == "id,amount\n3,30\n"
    finally:
        rt.journal.close()


async def test_hard_links_are_refused_for_writing_and_named_when_read(
    ws: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("id,amount\n7,70\n")
    os.link(outside, ws / "public" / "linked.csv")
    approver = ScriptedApprover(lambda action: Decision("approve"))
    rt = session(ws, approver)
    try:
        for mode in ("overwrite", "append"):
            args = {
                "path": "public/linked.csv",
                "mode": mode,
                "rows": [["id", "amount"], ["8", "80"]],
            }
            outcome = await rt.gate.execute("csv_write", args)
            assert outcome.status in ("error", "failed") and "2 hard links" in outcome.text
        assert outside.read_text() == "id,amount\n7,70\n"
        read = await rt.gate.execute("csv_read", {"path": "public/linked.csv"})
        assert read.status == "done" and "public/linked.csv has 2 hard links" in read.text
        query = await rt.gate.execute("csv_query", {"sql": "SELECT * FROM 'public/linked.csv'"})
        assert query.status == "done" and "public/linked.csv has 2 hard links" in query.text
    finally:
        rt.journal.close()
