"""An in-memory event store for gate tests that need no journal."""

from __future__ import annotations

import hashlib
from typing import Any


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
