"""`python -m assistant ...` as a person runs it: a subprocess with the test's home and a keyring
file it shares with this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.journal import Journal
from tests.support import fake_llm as llm

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(name="env")
def env_fixture(
    assistant_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The environment of a subprocess: temp home, a keyring file shared by processes (this
    test's process too: the journal's key is in it, as one person's keyring serves all)."""
    import keyring

    from tests.support.keyrings import FileKeyring

    monkeypatch.setenv("TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    keyring.set_keyring(FileKeyring())  # the autouse memory_keyring fixture restores the old one
    return subprocess_env(assistant_home, tmp_path / "keyring.json")


def subprocess_env(home: Path, keyring_file: Path, **extra: str) -> dict[str, str]:
    """The environment of an `assistant` subprocess: this test's home and keyring file, offline,
    and none of the developer's provider keys or model settings."""
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    for name in ("ASSISTANT_MODEL", "ASSISTANT_API_BASE"):
        base.pop(name, None)
    return {
        **base,
        "ASSISTANT_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
        "TEST_KEYRING_FILE": str(keyring_file),
        "LITELLM_OFFLINE_MODE": "true",
        "COLUMNS": "200",
        **extra,
    }


def assistant(
    env: dict[str, str], *args: str, stdin: str = "", cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m assistant ARGS` as a person would type it; stdin is not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def model_args(server: llm.FakeLLM) -> list[str]:
    return ["--model", server.model(), "--api-base", server.base_url]


def journal(home: Path) -> Journal:
    return Journal(home / "data" / "journal.sqlite3")
