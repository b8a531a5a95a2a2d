"""An in-memory event store for gate tests that need no journal, and a gate built on it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from assistant.agent.event_log import EventLog
from assistant.agent.gate import Gate
from assistant.agent.policy import Policy
from assistant.config import DenyRule
from tests.support.fake_tools import NoteTool, PeekTool
from tools.base import ToolContext
from tools.workspace import Workspace


class ListStore:
    """An in-memory EventStore: enough to see what would be journaled, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.blobs: dict[str, bytes] = {}

    def append(self, session_id: str, kind: str, payload: dict[str, Any]) -> None:
        self.events.append((kind, payload))

    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]

    def text(self) -> str:
        """Every payload and blob as one text, to search for what must not be there."""
        return json.dumps(self.events) + repr(list(self.blobs.values()))


def make_gate(
    ws: Path, approver: Any, deny: tuple[DenyRule, ...] = ()
) -> tuple[Gate, NoteTool, ListStore]:
    """A gate over the note (write) and peek (read) tools in ``ws``, journaling to a ListStore."""
    note = NoteTool()
    store = ListStore()
    ctx = ToolContext(workspace=Workspace(ws))
    gate = Gate(
        {"note": note, "peek": PeekTool()}, ctx, Policy(deny), approver, EventLog(store, "s1")
    )
    return gate, note, store
