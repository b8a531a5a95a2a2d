"""Secrets: keyring under a timeout, loud failures, no plaintext fallback, and the Redactor."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from assistant.cli import main
from assistant.secrets import SERVICE, KeyringUnavailable, Redactor, SecretStore
from tests.support.keyrings import MemoryKeyring

CANARY = "canary-7f3a9c1e-secret-value"


class FailKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")


class ForgetfulKeyring(FailKeyring):
    """Like the null backend: accepts a set, returns None."""

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class HangingKeyring(FailKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return None


def _set(name: str, value: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(value + "\n"))
    return main(["keys", "set", name, *extra])


def test_set_list_delete(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _set("SHOP", CANARY, monkeypatch, "--host", "shop.example.com") == 0
    assert memory_keyring.store[(SERVICE, "SHOP")] == CANARY
    assert main(["keys", "list"]) == 0
    out = capsys.readouterr()
    assert "SHOP" in out.out and "shop.example.com" in out.out
    assert CANARY not in out.out + out.err
    assert main(["keys", "delete", "SHOP"]) == 0
    assert (SERVICE, "SHOP") not in memory_keyring.store
    assert main(["keys", "delete", "SHOP"]) == 2


def test_no_keyring_says_so_and_writes_no_file(
    assistant_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring.set_keyring(FailKeyring())
    assert _set("OPENAI_API_KEY", CANARY, monkeypatch) == 1
    err = capsys.readouterr().err
    assert "no system keyring" in err and "environment variable" in err
    assert len(err.strip().splitlines()) == 1
    for f in assistant_home.rglob("*"):
        assert not f.is_file() or CANARY.encode() not in f.read_bytes()


def test_a_keyring_that_forgets_fails_loudly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring.set_keyring(ForgetfulKeyring())
    assert _set("OPENAI_API_KEY", CANARY, monkeypatch) == 1
    assert "did not return it when read back" in capsys.readouterr().err


def test_a_hanging_keyring_cannot_hang_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = HangingKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("OPENAI_API_KEY", "from-the-env")
    store = SecretStore(timeout=0.2)
    started = time.monotonic()
    value, note = store.lookup("OPENAI_API_KEY")
    assert value == "from-the-env" and note is not None and "did not answer" in note
    # The second call fails at once instead of waiting again.
    with pytest.raises(KeyringUnavailable):
        store.get("OTHER")
    assert time.monotonic() - started < 1.0
    backend.release.set()


def test_keyring_comes_before_the_environment(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-value")
    assert SecretStore().lookup("OPENAI_API_KEY") == ("env-value", None)
    memory_keyring.store[(SERVICE, "OPENAI_API_KEY")] = "keyring-value"
    assert SecretStore().lookup("OPENAI_API_KEY") == ("keyring-value", None)


def test_redactor_marks_raw_values_anywhere_and_keeps_handles_as_written() -> None:
    """A raw value becomes a marker, never a handle: a handle in a preview or the journal must
    mean the model wrote a handle (issue 9: the person approved what looked like a handle)."""
    r = Redactor(lambda: [("SHOP", CANARY)])
    r.add("TINY", "ab")  # too short to redact safely
    payload = {
        "a": [f"Bearer {CANARY}", {"k": CANARY}],
        "n": 3,
        "t": ("ab",),
        "h": "Bearer {{secret:SHOP}}",
    }
    assert r.redact(payload) == {
        "a": ["Bearer [raw value of secret SHOP]", {"k": "[raw value of secret SHOP]"}],
        "n": 3,
        "t": ("ab",),
        "h": "Bearer {{secret:SHOP}}",
    }


def test_keys_set_host_names_scheme_host_and_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A binding is an origin: a bare host means https on 443; http and ports must be named."""
    from assistant import config

    hosts = ["api.example.com", "api.example.com:8443", "http://LOCALHOST:8000/", "[::1]:9000"]
    args = [a for h in hosts for a in ("--host", h)]
    assert _set("SHOP", CANARY, monkeypatch, *args) == 0
    assert config.load().secrets["SHOP"] == (
        "http://localhost:8000",
        "https://[::1]:9000",
        "https://api.example.com:443",
        "https://api.example.com:8443",
    )
    assert "https://api.example.com:443" in capsys.readouterr().err
    for bad in ("ftp://api.example.com", "api.example.com/path", "api.example.com:0", "a b"):
        assert _set("SHOP", CANARY, monkeypatch, "--host", bad) == 2
        assert "--host" in capsys.readouterr().err


def test_an_old_host_entry_means_https_on_443(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant import config

    config.set_secret_hosts("OLD", ["shop.example.com"])
    assert main(["keys", "list"]) == 0
    assert "OLD  → https://shop.example.com:443" in capsys.readouterr().out
