"""The source session (tests/support/source_session.py) is what the export, import and recipe
tests rely on: every kind of action, and handles, never the secret, in the journal."""

from __future__ import annotations

import json

from assistant.agent import action_life
from tests.support.source_session import (
    CANARY,
    ORDERS,
    Source,
    source_fixture,  # noqa: F401 (the "source" fixture)
)


async def test_the_source_session_has_every_kind_of_action(source: Source) -> None:
    with source.journal() as j:
        lives = action_life.session_fold(j, source.session_id)[1].lives.values()
        states = [(s.proposed.tool, s.state, s.decided_by) for s in lives]
        assert j.verify(source.session_id).ok
    assert states == [
        ("http_request", "done", "policy:read"),
        ("csv_query", "done", "policy:read"),
        ("csv_write", "denied", "human"),
        ("csv_write", "done", "human"),
    ]
    assert (source.workspace / "summary.csv").read_text() == "region,total\nnorth,15\nsouth,20\n"
    assert (source.workspace / "orders.csv").read_text() == ORDERS  # the denied write did not run
    assert source.server.seen[0].headers["authorization"] == f"Bearer {CANARY}"


async def test_the_journal_keeps_handles_not_the_secret(source: Source) -> None:
    assert CANARY.encode() not in source.journal_path.read_bytes()
    with source.journal() as j:
        text = json.dumps([e.payload for e in j.events(source.session_id)])
    assert "{{secret:SHOP}}" in text
