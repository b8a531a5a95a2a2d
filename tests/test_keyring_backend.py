"""A keyring backend that keeps values in a plain file is not "the system keyring": the app names
the backend in use, and uses a file backend only when the person opted in (config or env)."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest

from assistant import paths
from assistant.cli import main
from assistant.secrets import SERVICE, KeyringUnavailable, SecretStore, keyring_backend
from tests.support.keyrings import MemoryKeyring
from tests.support.pilot import AppOpener, found, wait_for
from tests.support.plain_keyring import PlaintextFileKeyring
from tests.support.textdump import screen_text

ROOT = Path(__file__).resolve().parent.parent
CANARY = "canary-5be1-plaintext-never"


@pytest.fixture
def plaintext(assistant_home: Path) -> PlaintextFileKeyring:
    backend = PlaintextFileKeyring()
    keyring.set_keyring(backend)
    return backend


def opt_in() -> None:
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("allow_plaintext_keyring = true\n")


def leaked(home: Path) -> bool:
    needles = (CANARY.encode(), base64.b64encode(CANARY.encode()))
    return any(any(n in f.read_bytes() for n in needles) for f in home.rglob("*") if f.is_file())


def keys_set(name: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(CANARY + "\n"))
    return main(["keys", "set", name])


def test_the_backend_in_use_is_named_and_classified() -> None:
    file_info = keyring_backend(PlaintextFileKeyring())
    assert file_info.kind == "file"
    assert file_info.name == "tests.support.plain_keyring.PlaintextFileKeyring"
    assert "plaintext file" in file_info.describe() and "not encrypted" in file_info.describe()
    assert keyring_backend(keyring.backends.fail.Keyring()).kind == "none"
    assert keyring_backend(keyring.backends.null.Keyring()).kind == "none"
    memory = keyring_backend(MemoryKeyring())
    assert memory.kind == "other" and "system keyring" not in memory.describe()


def test_keys_set_refuses_a_plaintext_backend_unless_opted_in(
    plaintext: PlaintextFileKeyring,
    assistant_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert keys_set("SHOP", monkeypatch) == 1
    err = capsys.readouterr().err
    assert "PlaintextFileKeyring" in err and "plain file" in err
    assert "allow_plaintext_keyring" in err and "system keyring" in err
    assert not Path(plaintext.file_path).exists() and not leaked(assistant_home)

    opt_in()
    assert keys_set("SHOP", monkeypatch) == 0
    err = capsys.readouterr().err
    assert f"stored SHOP in a plaintext file, {plaintext.file_path}" in err
    assert "anyone who can read that file" in err and "system keyring" not in err
    assert plaintext.get_password(SERVICE, "SHOP") == CANARY


def test_a_value_in_a_plaintext_file_is_not_read_without_opting_in(
    plaintext: PlaintextFileKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    plaintext.set_password(SERVICE, "OPENAI_API_KEY", "from-the-file")
    monkeypatch.setenv("OPENAI_API_KEY", "from-the-env")
    value, note = SecretStore(1.0).lookup("OPENAI_API_KEY")
    assert value == "from-the-env" and note is not None and "plain file" in note
    with pytest.raises(KeyringUnavailable):
        SecretStore(1.0, allow_plaintext=False).get("OPENAI_API_KEY")
    assert SecretStore(1.0, allow_plaintext=True).get("OPENAI_API_KEY") == "from-the-file"
    monkeypatch.setenv("ASSISTANT_ALLOW_PLAINTEXT_KEYRING", "true")
    assert SecretStore(1.0).lookup("OPENAI_API_KEY") == ("from-the-file", None)


def flat(app: object) -> str:
    """The screen's text with line wrapping and box borders undone."""
    text = re.sub("[\u2500-\u259f]", " ", screen_text(app))  # type: ignore[arg-type]
    return " ".join(text.split())


def cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=CANARY + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={
            **base,
            "ASSISTANT_HOME": str(home),
            "PYTHONPATH": str(ROOT),
            "PYTHON_KEYRING_BACKEND": "tests.support.plain_keyring.PlaintextFileKeyring",
            **env,
        },
    )


def test_the_cli_with_a_plaintext_backend_from_the_environment(assistant_home: Path) -> None:
    proc = cli(assistant_home, "keys", "set", "SHOP", "--host", "shop.example.com")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "PlaintextFileKeyring" in proc.stderr and "allow_plaintext_keyring" in proc.stderr
    assert not leaked(assistant_home)
    proc = cli(assistant_home, "keys", "set", "SHOP", ASSISTANT_ALLOW_PLAINTEXT_KEYRING="true")
    assert proc.returncode == 0, proc.stderr
    assert "in a plaintext file" in proc.stderr and "keyring_pass.cfg" in proc.stderr
    proc = cli(assistant_home, "keys", "set", "SHOP", ASSISTANT_ALLOW_PLAINTEXT_KEYRING="nope")
    assert proc.returncode == 2 and "must be true or false" in proc.stderr


async def test_setup_says_a_plaintext_backend_is_not_used(
    plaintext: PlaintextFileKeyring, open_app: AppOpener
) -> None:
    async with open_app(setup=True, probe=found()) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: "for this session only" in flat(app), "the keyring note")
        text = flat(app)
        assert "keeps values in a plain file" in text and "system keyring" in text
        assert "Keys are stored" not in text


async def test_setup_says_plaintext_storage_when_opted_in(
    plaintext: PlaintextFileKeyring, open_app: AppOpener
) -> None:
    opt_in()
    async with open_app(setup=True, probe=found()) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: "Keys are stored in a plaintext file" in flat(app), "note")
        assert "anyone who can read" in flat(app)


def test_the_null_backend_is_no_keyring_not_a_place_keys_are_stored(assistant_home: Path) -> None:
    # keyring's null backend says yes to a set and keeps nothing: never claim a key went there
    proc = cli(
        assistant_home,
        "keys",
        "set",
        "SHOP",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no system keyring is available here" in proc.stderr
    assert "Nothing was stored" in proc.stderr and "stored SHOP in" not in proc.stderr


async def test_setup_says_the_null_backend_keeps_nothing(open_app: AppOpener) -> None:
    keyring.set_keyring(keyring.backends.null.Keyring())
    async with open_app(setup=True, probe=found()) as pilot:
        app = pilot.app
        await wait_for(pilot, lambda: "for this session only" in flat(app), "the keyring note")
        assert "no system keyring is available here" in flat(app)
        assert "Keys are stored in" not in flat(app)
