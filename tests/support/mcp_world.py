"""What MCP tests share: config tables for the reference servers and the hostile ones, an
approver that records what it was shown, and a check that a process is gone."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.agent.approval import ApprovalRequest, Decision
from tests.support.npm_servers import binary, install
from tools.base import Action

ROOT = Path(__file__).resolve().parents[2]
CANARY = "mcp-canary-7f3a9b2c4d-never-show-me"


def hostile(mode: str = "tools", *, pid_dir: Path | None = None, **extra: Any) -> dict[str, Any]:
    """A ``[mcp.servers.NAME]`` table for tests/support/mcp_servers.py in ``mode``."""
    env = {"PYTHONPATH": str(ROOT), "CANARY": "{{secret:MCP_CANARY}}"}
    if pid_dir is not None:
        env["MCP_PID_DIR"] = str(pid_dir)
    table: dict[str, Any] = {
        "command": sys.executable,
        "args": ["-m", "tests.support.mcp_servers", mode],
        "env": env,
        "cwd": str(ROOT),
    }
    table.update(extra)
    return table


def filesystem(folder: Path, **extra: Any) -> dict[str, Any]:
    """npm's reference filesystem server, allowed ``folder`` only."""
    install()
    return {"command": str(binary("mcp-server-filesystem")), "args": [str(folder)], **extra}


def everything(**extra: Any) -> dict[str, Any]:
    """npm's reference "everything" server over stdio."""
    install()
    return {"command": str(binary("mcp-server-everything")), "args": ["stdio"], **extra}


def write_config(home: Path, servers: Mapping[str, Mapping[str, Any]], **mcp: Any) -> Path:
    """The config file under ASSISTANT_HOME with these servers (and [mcp] limits)."""
    import tomli_w

    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps({"mcp": {**mcp, "servers": dict(servers)}}))
    return path


@dataclass
class Recorder:
    """An approver that answers from a script and notes, for each action it was asked about,
    the action and what ``check`` said at that moment (e.g. "does the file exist yet?")."""

    verdicts: list[str]
    check: Callable[[], Any] = lambda: None
    asked: list[tuple[Action, Any]] = field(default_factory=list)

    async def decide(self, request: ApprovalRequest) -> Decision:
        self.asked.append((request.action, self.check()))
        verdict = self.verdicts.pop(0) if self.verdicts else "deny"
        return Decision(verdict, reason="" if verdict == "approve" else "not now")  # type: ignore[arg-type]


def alive(pid: int) -> bool:
    """Is this process still running (a zombie counts as gone)?"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def server_pids(pid_dir: Path) -> list[int]:
    return [int(p.name) for p in pid_dir.iterdir()] if pid_dir.exists() else []
