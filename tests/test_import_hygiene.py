"""Architecture rules that must hold: the core never imports Textual, and quick commands never
load litellm (3.5 s and 200 MB of import)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules_loaded(code: str, env_home: Path) -> set[str]:
    env = {**os.environ, "ASSISTANT_HOME": str(env_home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_core_packages_import_no_textual(tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil\n"
        "import tools, assistant.agent, assistant.journal\n"
        "for pkg in (tools, assistant.agent, assistant.journal):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
    )
    loaded = _modules_loaded(code, tmp_path)
    assert {
        "tools.base",
        "assistant.agent.gate",
        "assistant.agent.model",
        "assistant.journal",
    } <= loaded
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["config", "show"],
        ["keys", "list"],
        ["history", "list"],
        ["run", "--help"],
        ["tool", "--help"],
    ],
)
def test_quick_commands_do_not_load_litellm_or_textual(tmp_path: Path, argv: list[str]) -> None:
    code = (
        "import contextlib, io\n"
        "from assistant.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
    )
    loaded = _modules_loaded(code, tmp_path)
    assert "assistant.cli" in loaded
    assert "litellm" not in loaded
    assert "textual" not in loaded
