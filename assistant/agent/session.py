"""SessionLog: the one place events go out, redacted, to the journal first and then to listeners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from assistant.agent.events import Event


class EventStore(Protocol):
    """What the agent needs of the journal (assistant.journal.Journal satisfies it)."""

    def append(self, session_id: str, kind: str, payload: dict[str, Any]) -> Any: ...

    def put_blob(self, data: bytes) -> str: ...


Listener = Callable[[Event], None]


class SessionLog:
    """Emits events in order. The journal write commits before any listener sees the event, so
    what was shown was already recorded, and ``action.approved`` is durable before a tool runs."""

    def __init__(
        self,
        store: EventStore | None,
        session_id: str,
        redact: Callable[[Any], Any] | None = None,
        listeners: list[Listener] | None = None,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self._redact = redact
        self.listeners: list[Listener] = list(listeners or [])

    def emit(self, event: Event) -> Event:
        """Redact, persist (unless a delta), then tell listeners; returns the redacted event."""
        if self._redact is not None:
            event = event.redacted(self._redact)
        if event.persist and self.store is not None:
            self.store.append(self.session_id, event.kind, event.to_json())
        for listener in list(self.listeners):
            listener(event)
        return event

    def put_blob(self, data: bytes) -> str | None:
        """Keep a before-image; None when there is no journal (then undo is not possible)."""
        return self.store.put_blob(data) if self.store is not None else None
