"""The generic seams know no tool: the gate and ToolContext carry nothing of HTTP, each tool
setting is defined once (its settings class) and reaches the tool from its config table."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from assistant import config, paths
from assistant.cli import main
from tests.support import http_servers
from tests.support.http_servers import LoopbackServer, Reply
from tools import all_tools, settings_types
from tools.base import Configurable, ToolContext
from tools.http_request import HttpSettings

ROOT = Path(__file__).resolve().parent.parent
net_guard = http_servers.net_guard
http_server = http_servers.http_server


def _constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_tool_context_carries_only_what_every_tool_may_use() -> None:
    assert {f.name for f in dataclasses.fields(ToolContext)} == {
        "workspace",
        "secrets",
        "tool_settings",
        "unlocked",
        "read_blob",
        "denied",
    }


def test_the_gate_parses_no_target() -> None:
    """What an approval unlocks is the tool's word (``Unlocking.unlocks``): the gate records
    it without reading hosts out of targets."""
    gate = ROOT / "assistant" / "agent" / "gate.py"
    assert not [c for c in _constants(gate) if "host:" in c or c == "host"]
    source = gate.read_text()
    for word in ("allowed_hosts", "approved_private", "private_allow", "removeprefix"):
        assert word not in source


def test_each_http_limit_is_defined_once() -> None:
    """No second class declares a default for an HTTP limit (config once had one, the tool's
    spec another)."""
    names = {f.name for f in dataclasses.fields(HttpSettings)} - {"timeout"}
    home = ROOT / "tools" / "http_request" / "settings.py"
    found = []
    for path in [*ROOT.glob("assistant/**/*.py"), *ROOT.glob("tools/**/*.py")]:
        if path == home:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    target = getattr(item, "target", None)
                    defaults = isinstance(item, ast.AnnAssign) and item.value is not None
                    if defaults and isinstance(target, ast.Name) and target.id in names:
                        found.append(f"{path.relative_to(ROOT)}: {node.name}.{target.id}")
    assert found == []


def test_every_configurable_tool_has_its_table_registered() -> None:
    declared = {t.settings_type for t in all_tools().values() if isinstance(t, Configurable)}
    assert declared and declared <= set(settings_types())
    for kind in settings_types():
        assert isinstance(kind.table, str) and kind.table


def test_mcp_tools_read_their_table_like_any_tool() -> None:
    """MCP tools come and go with their servers (not in ``all_tools``), yet their [mcp] table is
    a registered tool settings class, and its [mcp.servers.NAME] tables are read by that class,
    not by the config."""
    from tools.mcp import McpSettings, McpTool

    assert McpTool.settings_type is McpSettings and McpSettings in settings_types()
    tree = ast.parse((ROOT / "assistant" / "config.py").read_text())
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
    modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in [*names, *modules] if "mcp" in n.lower()]
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[mcp]\nmax_result_chars = 500\n[mcp.servers.files]\ncommand = "x"\n')
    mcp = config.load(env={}).for_tool(McpSettings)
    assert mcp.max_result_chars == 500 and mcp.servers["files"].command == "x"


def test_the_config_builds_a_tools_settings_from_its_table_within_its_bounds() -> None:
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text("[http]\nmax_body_bytes = 2048\nmax_redirects = 0\n")
    settings = config.load(env={})
    http = settings.for_tool(HttpSettings)
    assert (http.max_body_bytes, http.max_redirects, http.timeout) == (2048, 0, 30.0)
    assert settings.public_dict()["http"]["max_body_bytes"] == 2048
    cfg.write_text("[http]\nmax_redirects = -1\n")
    with pytest.raises(config.ConfigError, match=r"\[http\]: max_redirects must be a whole"):
        config.load(env={})
    # code that builds the settings by hand meets the same bounds as the file
    with pytest.raises(ValueError, match="HttpSettings.timeout"):
        HttpSettings(timeout=0)
    with pytest.raises(ValueError, match="HttpSettings.max_body_bytes"):
        HttpSettings(max_body_bytes=0)


def test_a_configured_limit_reaches_the_tool_through_the_cli(
    http_server: LoopbackServer,
    workspace_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    http_server.routes["/long"] = lambda seen: Reply(
        200, [("Content-Type", "text/plain")], b"x" * 500
    )
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text("[http]\nmodel_excerpt_chars = 40\n")
    args = f'{{"url": "{http_server.url("/long")}"}}'
    argv = ["tool", "http_request", args, "--workspace", str(workspace_dir)]
    assert main([*argv, "--allow-host", http_server.key]) == 0
    out = capsys.readouterr().out
    assert "[showing 40 of 500 characters]" in out and "460 more characters" in out
