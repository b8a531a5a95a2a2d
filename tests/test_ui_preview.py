"""The preview renderer on previews the real tools plan: an HTTP request card, a colored unified
diff, a row/cell CSV diff, a shell command with the paths it touches; and untrusted text shown
escaped, never interpreted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.text import Text

from assistant.ui.widgets.preview import (
    STYLE_ADD,
    STYLE_DEL,
    STYLE_SECRET,
    arguments_diff,
    diff_text,
    plain,
    render_preview,
)
from tests.support.preview_data import Secrets, fixed_dns
from tools.base import Action, Preview, ToolContext
from tools.csv_files import CsvWriteTool
from tools.http_request import HttpRequestTool
from tools.restore import RestoreTool
from tools.shell_lite import ShellTool
from tools.workspace import Workspace


def rendered(renderable: RenderableType, width: int = 120) -> str:
    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=Workspace(ws), secrets=Secrets())


def plan(tool: Any, args: dict[str, Any], ws: Path) -> Action:
    action: Action = tool.plan(args, ctx(ws))
    return action


def test_http_write_is_a_request_card(workspace_dir: Path) -> None:
    action = plan(
        HttpRequestTool(resolver=fixed_dns),
        {
            "method": "POST",
            "url": "https://shop.example.com/api/orders?since=2026-11-18",
            "headers": {"Authorization": "Bearer {{secret:shop}}"},
            "json": {"id": 10231, "status": "paid"},
        },
        workspace_dir,
    )
    text = rendered(render_preview(action.preview))
    lines = text.splitlines()
    assert lines[0].strip() == "POST  https://shop.example.com/api/orders?since=2026-11-18"
    assert "Authorization: Bearer {{secret:shop}}" in text
    assert "s3cr3t" not in text
    assert '"status": "paid"' in text  # pretty-printed body
    assert "HTTP requests cannot be undone." in text
    assert "93.184.215.14" not in text  # planning looks no name up (issue 9): nothing to show
    assert action.preview.data["lookup"] == "after approval"


def test_secret_handles_get_their_own_color() -> None:
    line = plain("Bearer {{secret:shop}} and more")
    spans = [(line.plain[s.start : s.end], str(s.style)) for s in line.spans]
    assert spans == [("{{secret:shop}}", STYLE_SECRET)]


def test_shell_write_lists_touched_paths_and_a_colored_diff(workspace_dir: Path) -> None:
    (workspace_dir / "old.txt").write_text("one\ntwo\n")
    action = plan(ShellTool(), {"command": "echo three >> old.txt"}, workspace_dir)
    renderable = render_preview(action.preview)
    text = rendered(renderable)
    assert text.splitlines()[0] == "$ echo three >> old.txt"
    assert "touches 1 path:" in text
    assert "append" in text and "old.txt" in text and "8 → 14 B" in text
    assert "+three" in text and "@@" in text
    diff = diff_text("--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n")
    styles = {diff.plain[s.start : s.end].strip(): str(s.style) for s in diff.spans}
    assert styles["-old"] == STYLE_DEL and styles["+new"] == STYLE_ADD


def test_csv_overwrite_is_a_row_and_cell_diff(workspace_dir: Path) -> None:
    (workspace_dir / "orders.csv").write_text("id,total,status\n1,10,open\n2,20,open\n3,30,open\n")
    action = plan(
        CsvWriteTool(),
        {
            "path": "orders.csv",
            "mode": "overwrite",
            "rows": [
                ["id", "total", "status"],
                ["1", "10", "paid"],
                ["3", "30", "open"],
                ["4", "40", "new"],
            ],
        },
        workspace_dir,
    )
    text = rendered(render_preview(action.preview))
    assert "overwrite orders.csv" in text
    assert "+1 added" in text and "-1 removed" in text and "~1 changed" in text
    changed = next(line for line in text.splitlines() if line.lstrip().startswith("~"))
    assert "open → paid" in changed
    assert any(line.lstrip().startswith("+") and "40" in line for line in text.splitlines())
    assert any(line.lstrip().startswith("-") and "20" in line for line in text.splitlines())


def test_restore_preview_colors_the_unified_diff_in_its_text(workspace_dir: Path) -> None:
    (workspace_dir / "a.txt").write_text("now\n")
    blobs = {"h1": b"before\n"}
    context = ToolContext(workspace=Workspace(workspace_dir), read_blob=blobs.__getitem__)
    entry = {"path": "a.txt", "to": {"kind": "file", "blob": "h1"}, "left": None}
    action = RestoreTool().plan({"source": "x", "paths": [entry]}, context)
    renderable = render_preview(action.preview)
    assert isinstance(renderable, Text)
    styles = {renderable.plain[s.start : s.end].strip(): str(s.style) for s in renderable.spans}
    assert styles["+before"] == STYLE_ADD and styles["-now"] == STYLE_DEL


def test_table_and_text_kinds() -> None:
    table = Preview("table", "2 rows", {"columns": ["name", "n"], "rows": [["a", 1], ["b", 2]]})
    text = rendered(render_preview(table))
    assert "name" in text and "a" in text and "2" in text
    assert rendered(
        render_preview(Preview("text", "read data.csv", {"path": "data.csv"}))
    ).strip() == ("read data.csv")


def test_untrusted_text_is_escaped_not_interpreted() -> None:
    evil = "[bold red]click[/] \x1b[2J\u202eevil\u200b"
    for kind in ("text", "http", "shell", "nonsense"):
        data = {"method": "GET", "url": evil, "command": evil, "stages": [[evil]]}
        text = rendered(render_preview(Preview(kind, evil, data)))
        assert "[bold red]click[/]" in text
        assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
        assert "\\x1b[2J" in text and "\\u202e" in text and "\\u200b" in text


def test_unexpected_data_falls_back_to_the_plain_text() -> None:
    broken = {"kind": "http", "text": "GET https://x.example", "data": {"headers": 5}}
    assert "GET https://x.example" in rendered(render_preview(broken))
    weird_rows = Preview(
        "diff", "csv_write create x.csv", {"files": [{"diff": "rows", "changes": [7]}]}
    )
    assert "csv_write create x.csv" in rendered(render_preview(weird_rows))
    assert rendered(render_preview("just a string")).strip() == "just a string"


def test_arguments_diff_shows_the_edit() -> None:
    text = arguments_diff({"command": "echo hi > a.txt"}, {"command": "echo bye > b.txt"})
    assert '-  "command": "echo hi > a.txt"' in text.plain
    assert '+  "command": "echo bye > b.txt"' in text.plain
