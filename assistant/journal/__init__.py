"""The journal: a tamper-evident SQLite replay log of sessions, events and blobs.

Nothing here imports the agent or the UI: the journal stores event kinds and JSON payloads.
"""

from assistant.journal._chain import GENESIS, canonical, event_hash
from assistant.journal._migrations import MIGRATIONS
from assistant.journal._records import (
    ActionRecord,
    DuplicateSession,
    JournalError,
    JournalReport,
    NotResumable,
    SearchHit,
    SessionInfo,
    SessionLookupError,
    StoredEvent,
    VerifyResult,
)
from assistant.journal._store import Journal, format_ts
from assistant.journal._summary import make_title

__all__ = [
    "make_title",
    "GENESIS",
    "MIGRATIONS",
    "ActionRecord",
    "DuplicateSession",
    "Journal",
    "JournalError",
    "JournalReport",
    "NotResumable",
    "SearchHit",
    "SessionInfo",
    "SessionLookupError",
    "StoredEvent",
    "VerifyResult",
    "canonical",
    "event_hash",
    "format_ts",
]
