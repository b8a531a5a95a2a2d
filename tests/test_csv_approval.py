"""csv_write through the real gate: the console shows the diff preview, a person approves it, the
journal keeps the before-image, and an undo (the restore tool) brings back the exact bytes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.agent import events as ev
from assistant.agent.approval import ConsoleApprover
from assistant.cli.render import ConsoleRenderer
from assistant.config import Settings
from assistant.runtime import Runtime, start_session
from assistant.undo import undo_args
from tools.csv_files import CsvQueryTool, CsvReadTool, CsvWriteTool
from tools.restore import RestoreTool

ORIGINAL = 'id;name\r\n1;Ann\r\n2;"Bob"\r\n'.encode("cp1252") + "3;Zoë".encode("cp1252")


class Console:
    """A terminal: what was printed, and the answers typed at each prompt."""

    def __init__(self) -> None:
        self.out = io.StringIO()
        self.answers: list[str] = []
        self.prompts: list[str] = []

    def read(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)


@pytest.fixture
def session(workspace_dir: Path) -> Iterator[tuple[Runtime, Console, list[ev.Event]]]:
    (workspace_dir / "people.csv").write_bytes(ORIGINAL)
    console = Console()
    renderer = ConsoleRenderer(console.out)
    seen: list[ev.Event] = []
    tools: dict[str, Any] = {
        t.name: t for t in (CsvReadTool(), CsvQueryTool(), CsvWriteTool(), RestoreTool())
    }
    rt = start_session(
        Settings(),
        approver=ConsoleApprover(renderer.write, console.read),
        tools=tools,
        workspace=workspace_dir,
        listeners=[renderer, seen.append],
    )
    yield rt, console, seen
    rt.journal.close()


def results(seen: list[ev.Event]) -> list[ev.ActionResult]:
    return [e for e in seen if isinstance(e, ev.ActionResult)]


async def test_preview_approve_write_and_undo(
    session: tuple[Runtime, Console, list[ev.Event]], workspace_dir: Path
) -> None:
    rt, console, seen = session
    console.answers = ["y"]
    rows = [["id", "name"], ["1", "Ann"], ["2", "Robert"], ["3", "Zoë"], ["4", "=2+2"]]
    outcome = await rt.gate.execute(
        "csv_write", {"path": "people.csv", "mode": "overwrite", "rows": rows}
    )
    assert outcome.status == "done"
    shown = console.out.getvalue()
    assert "● WRITE csv_write: overwrite people.csv: 1 row added, 1 row changed (1 cell)" in shown
    assert (
        "  │ encoding cp1252 (a guess: the bytes are not valid UTF-8), delimiter ';', CRLF" in shown
    )
    assert '  │ ~ row 2: name: "Bob" → "Robert"' in shown
    assert "  │ + row 4: 4,'=2+2" in shown
    assert (
        "[a] allow for this session: csv_write: overwrite existing files in the workspace top folder "
        "(not its subfolders)" in shown
    )
    assert console.prompts == ["  decide> "]
    written = (workspace_dir / "people.csv").read_bytes()
    assert written == ORIGINAL[: ORIGINAL.index(b"2;")] + b"2;Robert\r\n3;Zo\xeb\r\n4;'=2+2\r\n"

    blobs = results(seen)[-1].blobs
    assert list(blobs) == ["people.csv"] and blobs["people.csv"]
    assert rt.journal.get_blob(blobs["people.csv"]) == ORIGINAL

    console.answers = ["y"]
    undo, _ = undo_args(rt.journal, outcome.action_id)
    assert (await rt.gate.execute("restore", undo)).status == "done"
    assert (workspace_dir / "people.csv").read_bytes() == ORIGINAL


async def test_undo_of_a_create_removes_the_file(
    session: tuple[Runtime, Console, list[ev.Event]], workspace_dir: Path
) -> None:
    rt, console, seen = session
    console.answers = ["y"]
    sql = "SELECT name FROM 'people.csv' ORDER BY id DESC"  # cp1252 and ';', as csv_read sees it
    outcome = await rt.gate.execute(
        "csv_write", {"path": "names.csv", "mode": "create", "sql": sql}
    )
    assert outcome.status == "done"
    assert (workspace_dir / "names.csv").read_text() == "name\nZoë\nBob\nAnn\n"
    assert "  │ + row 1: Zoë" in console.out.getvalue()
    blobs = results(seen)[-1].blobs
    assert blobs == {"names.csv": None}
    console.answers = ["y"]
    undo, _ = undo_args(rt.journal, outcome.action_id)
    assert (await rt.gate.execute("restore", undo)).status == "done"
    assert not (workspace_dir / "names.csv").exists()


async def test_denied_write_changes_nothing_and_reads_never_ask(
    session: tuple[Runtime, Console, list[ev.Event]], workspace_dir: Path
) -> None:
    rt, console, _seen = session
    console.answers = ["n", "not now"]
    outcome = await rt.gate.execute(
        "csv_write", {"path": "people.csv", "mode": "append", "rows": [["id", "name"], ["9", "X"]]}
    )
    assert outcome.status == "denied" and "not now" in outcome.text
    assert (workspace_dir / "people.csv").read_bytes() == ORIGINAL
    assert "  │ + row 4: 9,X" in console.out.getvalue()
    console.prompts.clear()
    assert (await rt.gate.execute("csv_read", {"path": "people.csv"})).status == "done"
    assert (await rt.gate.execute("csv_query", {"sql": "SELECT 1 AS one"})).status == "done"
    assert console.prompts == []
