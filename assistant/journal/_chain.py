"""The chains: each session's sha256 event chain, and the journal-wide ledger chain over them.

A session's events are chained by sha256 (``event_hash``), which an export carries and an
import re-checks on another machine. That chain alone proves nothing against someone who can
edit the file: they recompute it. So every session header, every event hash and every journal
note is also a record of one journal-wide sequence (the ``ledger``), each record's ``link`` an
HMAC-SHA256 of the link before it, under a key kept in the OS keyring ("k:" links); where no
keyring works the link is a plain sha256 ("u:"), which anyone can recompute.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from json.encoder import encode_basestring
from typing import Any

from assistant.journal._records import JournalError, VerifyResult

GENESIS = "0" * 64
"""The prev_hash of a session's first event."""


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical(obj: Any) -> str:
    """The one JSON spelling that is hashed and stored (sorted keys, no spaces, no NaN).

    Exactly ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)``, with the encoder made once (an import hashes every event twice).
    """
    return _ENCODER.encode(obj)


def _quote(text: str) -> str:
    """``canonical`` of a string, without the encoder's overhead (the C escaper it uses)."""
    return encode_basestring(text) if type(text) is str else canonical(text)


def normalize_payload(payload: Any, kind: str) -> tuple[dict[str, Any], str]:
    """The payload as it will read back from the journal, and its canonical text.

    Round-tripping through JSON makes what the caller gets back identical to what ``events``
    returns later (tuples become lists, int keys strings) and the stored text stable.
    """
    if not isinstance(payload, dict):
        raise JournalError(f"{kind}: payload must be a JSON object, not {type(payload).__name__}")
    try:
        text = canonical(payload)
    except (TypeError, ValueError) as exc:
        raise JournalError(f"{kind}: payload is not JSON-serialisable ({exc})") from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (bytes decoded with surrogateescape) cannot be stored as UTF-8.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    data = json.loads(text)
    return data, canonical(data)


def event_hash(
    prev_hash: str, session: str, seq: int, ts: str, kind: str, payload_text: str
) -> str:
    """sha256 hex of prev_hash + canonical JSON of {session, seq, ts, kind, payload}.

    Built as text around the already canonical payload so it is not serialised twice; the keys
    are in sorted order, so this equals ``canonical({...})`` exactly (a test checks that).
    """
    doc = (
        f'{{"kind":{_quote(kind)},"payload":{payload_text},"seq":{int(seq)},'
        f'"session":{_quote(session)},"ts":{_quote(ts)}}}'
    )
    return hashlib.sha256((prev_hash + doc).encode("utf-8")).hexdigest()


KEYED = "k:"
UNKEYED = "u:"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def genesis_link(journal_id: str) -> str:
    """The link before a journal's first record: it binds the chain to this journal's id."""
    return "g:" + journal_id


def ledger_link(
    prev: str, gseq: int, session_id: str, seq: int, digest: str, key: bytes | None
) -> str:
    """One record's link: HMAC-SHA256 under ``key`` ("k:..."), or sha256 without one ("u:...").

    ``digest`` is the record's content: an event's hash, or the sha256 of a session header or
    of a journal note. ``seq`` is 0 for a header, the event's seq, or the gseq for a note.
    """
    msg = f"{prev}\n{gseq}\n{session_id}\n{seq}\n{digest}".encode()
    if key is None:
        return UNKEYED + hashlib.sha256(b"live-assistant ledger\n" + msg).hexdigest()
    return KEYED + hmac.digest(key, msg, "sha256").hex()


def session_header(
    session_id: str,
    created_at: str,
    title: str | None,
    model: str | None,
    workspace: str,
    parent: str | None,
    meta: dict[str, Any],
) -> str:
    """The canonical text of what a session was created with; its sha256 goes on the ledger."""
    return canonical(
        {
            "id": session_id,
            "created_at": created_at,
            "title": title,
            "model": model,
            "workspace": workspace,
            "parent": parent,
            "meta": meta,
        }
    )


def _text(raw: Any) -> str | None:
    """A column read as bytes (so tampering with encodings cannot crash the check) as text."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def verify_rows(session_id: str, rows: Iterable[tuple[Any, ...]], recorded: int) -> VerifyResult:
    """Walk (seq, ts, kind, payload, prev_hash, hash) rows in seq order and recompute the chain.

    ``recorded`` is how many events the journal-wide chain holds for the session, which
    catches events cut off the end.
    """
    prev = GENESIS
    expected = 1
    checked = 0

    def bad(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(session_id, False, checked, seq, reason)

    for seq, raw_ts, raw_kind, raw_payload, raw_prev, raw_hash in rows:
        if not isinstance(seq, int) or seq < expected:
            return bad(expected, f"event {expected}: its sequence number was altered ({seq!r})")
        if seq > expected:
            return bad(expected, f"event {expected} is missing (the next stored event is {seq})")
        ts, kind, payload = _text(raw_ts), _text(raw_kind), _text(raw_payload)
        stored_prev, stored_hash = _text(raw_prev), _text(raw_hash)
        if ts is None or kind is None or payload is None:
            return bad(seq, f"event {seq}: a column is not valid UTF-8 text")
        if stored_prev != prev:
            link = "the chain's start" if seq == 1 else f"event {seq - 1}"
            return bad(seq, f"event {seq}: prev_hash does not match the hash of {link}")
        try:
            parsed = json.loads(payload)
        except ValueError:
            return bad(seq, f"event {seq}: payload is not valid JSON")
        try:
            if canonical(parsed) != payload:
                return bad(seq, f"event {seq}: payload is not in canonical form (edited)")
        except ValueError:
            return bad(seq, f"event {seq}: payload holds a value JSON cannot carry")
        if event_hash(prev, session_id, seq, ts, kind, payload) != stored_hash:
            return bad(seq, f"event {seq}: hash does not match its contents")
        prev = stored_hash
        expected += 1
        checked += 1
    if checked != recorded:
        return bad(
            min(checked, recorded) + 1,
            f"the journal-wide chain recorded {recorded} events for this session but"
            f" {checked} are stored: events were deleted",
        )
    return VerifyResult(
        session_id,
        True,
        checked,
        None,
        f"chain intact ({checked} event{'' if checked == 1 else 's'})",
    )
