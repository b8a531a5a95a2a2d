"""The journal's HMAC key: kept in the OS keyring, one entry per journal location.

The entry lives under the app's service name ("live-assistant"), named after the journal's
path (``journal-key-<sha256 of the path>``), and holds the key with the id of the journal it
signs. Bound to the location rather than shared: a keyring that holds the key for this path
proves this journal was keyed, so a journal rewritten without its key cannot pass as one
that never had a keyring. Reading the journal never touches the keyring; appending and
verifying do, once per Journal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

ENTRY_PREFIX = "journal-key-"
KEY_BYTES = 32
KEYRING_TIMEOUT = 3.0
"""Seconds a keyring call may take before the journal treats the keyring as unavailable."""


OK = "ok"
ABSENT = "absent"
"""The keyring works and holds no key for this location."""
OTHER_JOURNAL = "other journal"
"""The keyring's key for this location was made for another journal (this one replaced it)."""
UNAVAILABLE = "unavailable"
"""No keyring, a locked or failing one, or an entry that is not a journal key."""


@dataclass(frozen=True)
class KeyInfo:
    """What the keyring said about this journal's key.

    ``key`` is None when there is none to use; ``problem`` then says why in words.
    ``journal`` is the id of the journal the entry was made for (None when there is no entry);
    ``replaced`` the journal whose entry a new key took over.
    """

    key: bytes | None
    journal: str | None = None
    problem: str | None = None
    state: str = OK
    replaced: str | None = None

    @property
    def key_id(self) -> str | None:
        return key_id(self.key) if self.key is not None else None


def key_id(key: bytes) -> str:
    """A short public name for a key (an HMAC of a constant), stored in the chain's key notes."""
    return hmac.new(key, b"live-assistant journal key id", hashlib.sha256).hexdigest()[:16]


def entry_name(path: Path) -> str:
    """The keyring entry for the journal at ``path`` (resolved, so each location has its own)."""
    where = str(Path(path).resolve()).encode("utf-8", "surrogateescape")
    return ENTRY_PREFIX + hashlib.sha256(where).hexdigest()[:32]


def _decode(raw: str) -> tuple[bytes, str] | None:
    try:
        data = json.loads(raw)
        key = base64.b64decode(data["key"], validate=True)
        journal = data["journal"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if len(key) != KEY_BYTES or not isinstance(journal, str):
        return None
    return key, journal


def _unavailable(exc: Exception) -> str:
    """The keyring's own words up to the advice about environment variables (not ours here)."""
    return str(exc).split(";")[0].strip() or "no keyring is available"


def lookup(path: Path, journal_id: str | None = None) -> KeyInfo:
    """The key for the journal at ``path`` if the keyring holds one; never creates one.

    With ``journal_id``, a key made for another journal is reported as OTHER_JOURNAL (its
    ``key`` is then None: it cannot check this journal).
    """
    from assistant.secrets import KeyringUnavailable, SecretStore

    try:
        raw = SecretStore(KEYRING_TIMEOUT).get(entry_name(path))
    except KeyringUnavailable as exc:
        return KeyInfo(None, None, _unavailable(exc), UNAVAILABLE)
    except Exception as exc:  # a backend's own failure: the journal must still work
        return KeyInfo(None, None, f"the keyring failed ({type(exc).__name__})", UNAVAILABLE)
    if raw is None:
        return KeyInfo(None, None, "the keyring holds no key for this journal", ABSENT)
    decoded = _decode(raw)
    if decoded is None:
        problem = "the keyring's entry for this journal is not a journal key"
        return KeyInfo(None, None, problem, UNAVAILABLE)
    key, owner = decoded
    if journal_id is not None and owner != journal_id:
        problem = f"the keyring's key for this location belongs to journal {owner[:12]}"
        return KeyInfo(None, owner, problem, OTHER_JOURNAL)
    return KeyInfo(key, owner)


def create(path: Path, journal_id: str) -> KeyInfo:
    """Make a new key for the journal at ``path`` and store it; the keyring must give it back."""
    from assistant.secrets import KeyringUnavailable, SecretError, SecretStore

    key = os.urandom(KEY_BYTES)
    value = json.dumps({"v": 1, "journal": journal_id, "key": base64.b64encode(key).decode()})
    try:
        SecretStore(KEYRING_TIMEOUT).set(entry_name(path), value)
    except KeyringUnavailable as exc:
        return KeyInfo(None, None, _unavailable(exc), UNAVAILABLE)
    except SecretError:
        problem = "the keyring did not keep the key it was given"
        return KeyInfo(None, None, problem, UNAVAILABLE)
    except Exception as exc:
        return KeyInfo(None, None, f"the keyring failed ({type(exc).__name__})", UNAVAILABLE)
    return KeyInfo(key, journal_id)
