"""Every test gets its own ASSISTANT_HOME, an in-memory keyring and a workspace folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest

from tests.support.keyrings import FileKeyring, MemoryKeyring

if TYPE_CHECKING:
    from tests.support.pilot import AppOpener

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def assistant_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "assistant-home"
    home.mkdir()
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    monkeypatch.setenv("LITELLM_OFFLINE_MODE", "true")
    for var in ("EDITOR", "VISUAL"):  # the console's e would open the developer's editor
        monkeypatch.delenv(var, raising=False)
    for var in ("ASSISTANT_MODEL", "ASSISTANT_API_BASE", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def shared_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """One keyring (a file) for this test's process and the commands it starts, as one person's
    keyring serves them all: a journal keyed here verifies there. Returns the subprocess env."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TEST_KEYRING_FILE", str(path))
    keyring.set_keyring(FileKeyring())  # memory_keyring (autouse) puts the old one back
    return {
        "TEST_KEYRING_FILE": str(path),
        "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def open_app(workspace_dir: Path) -> AppOpener:
    """Opens the app on this test's workspace under Textual's pilot (see AppOpener)."""
    from tests.support.pilot import AppOpener

    return AppOpener(workspace_dir)


@pytest.fixture
def fake_llm() -> Iterator[object]:
    """A scripted OpenAI-compatible server on 127.0.0.1 (see tests/support/fake_llm.py)."""
    from tests.support.fake_llm import FakeLLM

    with FakeLLM() as server:
        yield server
