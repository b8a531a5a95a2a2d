"""Shared by the live-step export tests: the people file, the mapping query the recorded step
ran, the session `assistant run` records for them (written straight into a journal), and a
settle that waits for the dialog's threads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.agent import events as ev
from assistant.journal import Journal

PEOPLE = "Name,E-mail,Phone\nAda Lovelace,ada@example.org,1\nAlan Turing,alan@example.org,2\n"
MAP = 'SELECT "Name" AS name, "E-mail" AS email FROM \'people.csv\''


async def settle(pilot: Any) -> None:
    """Wait for the screens' worker threads and the messages they post (no sleeping)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def session(path: Path, workspace: Path) -> tuple[Journal, str]:
    """The session `assistant run` records for people.csv → contacts.csv, written directly
    (the snapshot must not depend on the time or a temporary folder's name, and shows neither)."""
    (workspace / "people.csv").write_text(PEOPLE)
    (workspace / "contacts.csv").write_text("name,email\nAda Lovelace,ada@example.org\n")
    journal = Journal(path)
    sid = journal.create_session(model="m", workspace=str(workspace), title="people to contacts")
    count = {"sql": "SELECT count(*) AS n FROM 'people.csv'", "limit": 50}
    write = {"path": "contacts.csv", "mode": "create", "sql": MAP}
    for event in (
        ev.UserMessage("Write the names and emails of people.csv to contacts.csv"),
        ev.ActionProposed(
            "a1", "c1", "csv_query", count, "read", "query people.csv", {}, ["path:people.csv"], ""
        ),
        ev.ActionDecided("a1", "approve", "policy:read"),
        ev.ActionApproved("a1", "policy:read"),
        ev.ActionResult("a1", True, "n\n2", data={"columns": ["n"], "total": 1, "rows": [[2]]}),
        ev.ActionProposed(
            "a2", "c2", "csv_write", write, "write", "create contacts.csv: 2 rows added", {},
            ["path:contacts.csv", "path:people.csv"], "",
        ),
        ev.ActionDecided("a2", "approve", "human"),
        ev.ActionApproved("a2", "human"),
        ev.ActionResult("a2", True, "wrote contacts.csv", data={"rows_after": 2, "bytes": 69}),
    ):  # fmt: skip
        journal.append(sid, event.kind, event.to_json())
    return journal, sid
