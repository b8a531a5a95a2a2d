"""npm's reference MCP servers, pinned, installed once into ``.cache/mcp-servers`` (ignored by
git): ``.ci/run`` installs them before pytest (``python -m tests.support.npm_servers``), and a
test that needs them installs them if they are missing, or fails: it never skips.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / ".cache" / "mcp-servers"
PACKAGES = {
    "mcp-server-filesystem": "@modelcontextprotocol/server-filesystem@2026.8.31",
    "mcp-server-everything": "@modelcontextprotocol/server-everything@2026.8.31",
}


def binary(name: str) -> Path:
    return FOLDER / "node_modules" / ".bin" / name


def install() -> None:
    """Install the pinned packages unless every binary is there (AssertionError says why not)."""
    if all(binary(name).exists() for name in PACKAGES):
        return
    npm = shutil.which("npm")
    assert npm, "npm is needed for the reference MCP servers (node 20 and npm are required)"
    FOLDER.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [npm, "install", "--prefix", str(FOLDER), "--no-audit", "--no-fund", *PACKAGES.values()],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"npm install failed: {proc.stderr[-2000:]}"
    missing = [name for name in PACKAGES if not binary(name).exists()]
    assert not missing, f"npm installed no {', '.join(missing)}"


if __name__ == "__main__":
    install()
    print(f"reference MCP servers in {FOLDER}", file=sys.stderr)
