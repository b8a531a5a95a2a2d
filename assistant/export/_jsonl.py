"""JSON Lines export of a session's raw event stream, and its import as a read-only session.

Line 1 is a header with the session's facts; each further line is one event with its ts, kind,
payload, prev_hash and hash. Every line is ASCII JSON (``\\u001b``, never a raw ESC byte), so
printing the file cannot drive a terminal. Import recomputes the chain under the original
session id and refuses the file, naming the line, if any link fails. The journal gives the
imported copy a new id (ids are the journal's to assign), so its events are chained again under
that id with their original times and payloads; the original id and head hash stay in its meta.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.export._transcript import Redact, Transcript

if TYPE_CHECKING:
    from assistant.journal import Journal

FORMAT = "live-assistant/session"
VERSION = 1
MAX_IMPORT_BYTES = 256_000_000
_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_HASH = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(r"[0-9a-f]{32}")
_KIND = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")


class ImportRefused(AssistantError):
    """A file that is not an intact session export; the message names the line."""


@dataclass(frozen=True)
class ImportResult:
    session_id: str
    """The new, read-only session."""
    source_session: str
    events: int
    redacted: int
    """Events whose payload the Redactor changed on the way in (their hashes are new anyway)."""


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=True, allow_nan=False)


def render(t: Transcript) -> str:
    """The header and one line per event. Where the export's own redaction changed a payload,
    the hashes from that event on are recomputed (and the header says from which)."""
    from assistant.journal import canonical, event_hash

    info = t.info
    first = min(t.changed) if t.changed else None
    header = {
        "type": "session",
        "format": FORMAT,
        "version": VERSION,
        "id": info.id,
        "title": info.title,
        "model": info.model,
        "workspace": info.workspace,
        "parent": info.parent,
        "created_at": info.created_at,
        "updated_at": info.updated_at,
        "meta": info.meta,
        "events": len(t.events),
        "verified": t.check.ok,
        "verify_reason": t.check.reason,
        "rehashed_from": first,
    }
    lines = [_line(header)]
    prev = None
    for e in t.events:
        prev_hash, digest = e.prev_hash, e.hash
        if first is not None and e.seq >= first:
            prev_hash = prev if prev is not None else e.prev_hash
            digest = event_hash(prev_hash, info.id, e.seq, e.ts, e.kind, canonical(e.payload))
        lines.append(
            _line(
                {
                    "type": "event",
                    "seq": e.seq,
                    "ts": e.ts,
                    "kind": e.kind,
                    "payload": e.payload,
                    "prev_hash": prev_hash,
                    "hash": digest,
                }
            )
        )
        prev = digest
    return "\n".join(lines) + "\n"


@dataclass
class _Parsed:
    header: dict[str, Any]
    events: list[tuple[str, str, dict[str, Any], str]]
    """(ts, kind, payload, the payload's canonical text as hashed) of each event."""
    head: str


def _fail(n: int, why: str) -> ImportRefused:
    return ImportRefused(f"line {n}: {why}")


def _json(n: int, raw: str) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _fail(n, f"not valid JSON ({getattr(exc, 'msg', type(exc).__name__)})") from None
    if not isinstance(obj, dict):
        raise _fail(n, "expected a JSON object")
    return obj


def _text_or_none(header: dict[str, Any], key: str) -> None:
    if header.get(key) is not None and not isinstance(header.get(key), str):
        raise _fail(1, f"{key} must be text or null")


def parse(data: bytes | str) -> _Parsed:
    """Check a file line by line and recompute its hash chain; ImportRefused names what fails."""
    from assistant.journal import GENESIS, canonical, event_hash

    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"the file is not UTF-8 text (byte {exc.start})") from None
    del raw
    lines = text.split("\n")
    del text  # each line is dropped once checked: a large file is not held three times
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise ImportRefused("the file is empty")
    header = _json(1, lines[0])
    if header.get("type") != "session" or header.get("format") != FORMAT:
        raise _fail(1, f"not a session export (expected a header with format {FORMAT!r})")
    if header.get("version") != VERSION:
        raise _fail(
            1, f"export version {header.get('version')!r} is not supported (expected {VERSION})"
        )
    sid = header.get("id")
    if not isinstance(sid, str) or not _ID.fullmatch(sid):
        raise _fail(1, "id must be a session id (32 hex characters)")
    for key in ("title", "model", "parent"):
        _text_or_none(header, key)
    if not isinstance(header.get("workspace"), str):
        raise _fail(1, "workspace must be text")
    if not isinstance(header.get("created_at"), str) or not _TS.fullmatch(header["created_at"]):
        raise _fail(1, "created_at must be a journal time such as 2025-01-31T09:15:02.123Z")
    if not isinstance(header.get("meta", {}), dict):
        raise _fail(1, "meta must be a JSON object")
    count = header.get("events")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise _fail(1, "events must be the number of events")
    prev = GENESIS
    events: list[tuple[str, str, dict[str, Any], str]] = []
    for n in range(2, len(lines) + 1):
        e = _json(n, lines[n - 1])
        lines[n - 1] = ""
        seq = len(events) + 1
        where = f"event {seq}"
        if e.get("type") != "event":
            raise _fail(n, 'expected an event line ("type": "event")')
        if e.get("seq") != seq or isinstance(e.get("seq"), bool):
            raise _fail(
                n, f"expected event {seq}, found seq {e.get('seq')!r} (missing or reordered)"
            )
        ts, kind, payload = e.get("ts"), e.get("kind"), e.get("payload")
        if not isinstance(ts, str) or not _TS.fullmatch(ts):
            raise _fail(n, f"{where}: ts must be a journal time such as 2025-01-31T09:15:02.123Z")
        if not isinstance(kind, str) or len(kind) > 64 or not _KIND.fullmatch(kind):
            raise _fail(n, f"{where}: kind must be an event kind such as user.message")
        if not isinstance(payload, dict):
            raise _fail(n, f"{where}: payload must be a JSON object")
        if e.get("prev_hash") != prev:  # prev is 64 hex, so this also checks the spelling
            if not isinstance(e.get("prev_hash"), str) or not _HASH.fullmatch(e["prev_hash"]):
                raise _fail(n, f"{where}: prev_hash must be 64 hex characters")
            raise _fail(n, f"{where}: prev_hash does not match the hash of the event before it")
        try:
            body = canonical(payload)
            if not body.isascii():
                body.encode("utf-8")
        except (ValueError, UnicodeEncodeError):
            raise _fail(n, f"{where}: the payload holds a value the journal cannot store") from None
        digest = event_hash(prev, sid, seq, ts, kind, body)
        if e.get("hash") != digest:
            if not isinstance(e.get("hash"), str) or not _HASH.fullmatch(e["hash"]):
                raise _fail(n, f"{where}: hash must be 64 hex characters")
            raise _fail(n, f"{where}: hash does not match its contents (the line was edited)")
        prev = digest
        events.append((ts, kind, payload, body))
    if len(events) != count:
        raise ImportRefused(
            f"the header says {count} events but the file holds {len(events)} (cut short?)"
        )
    return _Parsed(header, events, prev)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: its passes over a large import's objects cost more
    than they free. Restored afterwards, whatever happened."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def import_jsonl(
    journal: Journal, data: bytes | str, *, redact: Redact | None = None
) -> ImportResult:
    """Verify an export and store it as a new read-only session; nothing is written if the file
    does not verify. Refused when this journal already holds the session or an import of it.

    The whole session is stored in one transaction (one fsync), its read-only flag and origin
    chained in the new session's header."""
    with _no_gc():  # a large file makes millions of objects, none of them cyclic garbage
        return _import(journal, data, redact)


def _import(journal: Journal, data: bytes | str, redact: Redact | None) -> ImportResult:
    from assistant.journal import DuplicateSession

    parsed = parse(data)
    header = parsed.header
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    meta = {
        "read_only": True,
        "imported": {
            "source_session": header["id"],
            "source_parent": header.get("parent"),
            "source_head_hash": parsed.head,
            "rehashed_from": header.get("rehashed_from"),
            "file_sha256": hashlib.sha256(raw).hexdigest(),
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "source_meta": header.get("meta") or {},
    }
    if redact is None:
        from assistant.secrets import redactor

        redact = redactor().redact
    try:
        stored = journal.import_session(
            source=header["id"],
            created_at=header["created_at"],
            model=header.get("model"),
            workspace=header["workspace"],
            title=header.get("title"),
            meta=meta,
            events=parsed.events,
            redact=redact,
        )
    except DuplicateSession as exc:
        raise ImportRefused(str(exc)) from None
    return ImportResult(stored.session_id, header["id"], stored.events, stored.changed)
