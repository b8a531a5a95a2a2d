"""EventLog: the one place events go out, redacted, to the journal first and then to listeners."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from assistant.agent.events import AssistantDelta, Event


class EventStore(Protocol):
    """What the agent needs of the journal (assistant.journal.Journal satisfies it)."""

    def append(self, session_id: str, kind: str, payload: dict[str, Any]) -> Any: ...

    def put_blob(self, data: bytes) -> str: ...


class DeltaRedaction(Protocol):
    """Redacts one stream of text deltas, holding back what may be a value cut in two."""

    def feed(self, text: str) -> str: ...

    def flush(self) -> str: ...


Listener = Callable[[Event], None]


class EventLog:
    """Emits events in order. The journal write commits before any listener sees the event, so
    what was shown was already recorded, and ``action.approved`` is durable before a tool runs.

    With ``delta_window`` (``Redactor.window``), text deltas pass a rolling window: characters
    that may start a secret value are held until the next delta shows they do not (or the value
    is marked), and any other event first releases what is held, so order is kept.
    """

    def __init__(
        self,
        store: EventStore | None,
        session_id: str,
        redact: Callable[[Any], Any] | None = None,
        listeners: list[Listener] | None = None,
        delta_window: Callable[[], DeltaRedaction] | None = None,
        create: Callable[[Event], object] | None = None,
    ) -> None:
        """``create``: makes the session in the store, called with the first event before it is
        stored (a session where nothing happened is never recorded, so it never clutters
        history; everything after its first event is kept as before)."""
        self.store = store
        self.session_id = session_id
        self._create = create
        self._create_lock = threading.Lock()
        self._redact = redact
        self.listeners: list[Listener] = list(listeners or [])
        self._new_window = delta_window
        self._window: DeltaRedaction | None = None

    def redact(self, value: Any) -> Any:
        """``value`` as this log would record it (the model's messages pass here too)."""
        return self._redact(value) if self._redact is not None else value

    def emit(self, event: Event) -> Event:
        """Redact, persist (unless a delta), then tell listeners; returns the redacted event."""
        if isinstance(event, AssistantDelta) and self._new_window is not None:
            if self._window is None:
                self._window = self._new_window()
            return self._publish(AssistantDelta(self._window.feed(event.text)))
        self._release()
        if self._redact is not None:
            event = event.redacted(self._redact)
        return self._publish(event)

    def _release(self) -> None:
        window, self._window = self._window, None
        if window is not None:
            rest = window.flush()
            if rest:
                self._publish(AssistantDelta(rest))

    def _publish(self, event: Event) -> Event:
        if isinstance(event, AssistantDelta) and not event.text:
            return event  # everything was held back: nothing to show yet
        if event.persist and self.store is not None:
            self._start(event)
            self.store.append(self.session_id, event.kind, event.to_json())
        for listener in list(self.listeners):
            listener(event)
        return event

    @property
    def started(self) -> bool:
        """True once the session is in the store (at once, unless it is made on first use)."""
        return self._create is None

    def _start(self, first: Event) -> None:
        if self._create is None:
            return
        with self._create_lock:
            if self._create is not None:
                self._create(first)
                self._create = None

    def put_blob(self, data: bytes) -> str | None:
        """Keep a before-image; None when there is no journal (then undo is not possible)."""
        return self.store.put_blob(data) if self.store is not None else None
