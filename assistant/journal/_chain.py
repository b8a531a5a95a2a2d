"""The hash chain: canonical payload text, each event's hash, and the walk that verifies a session."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from assistant.journal._model import JournalError, VerifyResult

GENESIS = "0" * 64
"""The prev_hash of a session's first event."""


def canonical(obj: Any) -> str:
    """The one JSON spelling that is hashed and stored (sorted keys, no spaces, no NaN)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


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
        f'{{"kind":{canonical(kind)},"payload":{payload_text},"seq":{int(seq)},'
        f'"session":{canonical(session)},"ts":{canonical(ts)}}}'
    )
    return hashlib.sha256((prev_hash + doc).encode("utf-8")).hexdigest()


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

    ``recorded`` is the event count the session row keeps, which catches events cut off the end.
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
            f"the session recorded {recorded} events but the chain holds {checked}",
        )
    return VerifyResult(
        session_id,
        True,
        checked,
        None,
        f"chain intact ({checked} event{'' if checked == 1 else 's'})",
    )
