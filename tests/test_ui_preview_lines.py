"""The decision view of a preview (preview_lines) on previews the real tools plan: every row,
column, header, diff line and body character the tool gave is a line, nothing cut by the UI;
what the tool itself summarised is named in ``cuts``, and the action's arguments fill in the
rows or body it left out. Untrusted text stays escaped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.ui.widgets.preview_lines import PreviewLines, preview_lines
from tests.support.preview_data import Secrets, fixed_dns
from tools.base import Action, Preview, ToolContext
from tools.csv_files import CsvWriteTool
from tools.http_request import HttpRequestTool
from tools.shell_lite import ShellTool
from tools.workspace import Workspace


def planned(tool: Any, args: dict[str, Any], ws: Path) -> tuple[Action, PreviewLines]:
    action: Action = tool.plan(args, ToolContext(workspace=Workspace(ws), secrets=Secrets()))
    return action, preview_lines(action.tool, dict(action.args), action.preview)


def plain(lines: PreviewLines) -> list[str]:
    return [line.plain.rstrip() for line in lines.lines]


def test_a_csv_overwrite_past_the_tools_list_shows_every_row_of_the_arguments(
    workspace_dir: Path,
) -> None:
    old = "id,name,note\n" + "".join(f"{i},n{i},old\n" for i in range(1, 301))
    (workspace_dir / "t.csv").write_text(old)
    rows = [["id", "name", "note"]] + [[str(i), f"n{i}", f"new {i}"] for i in range(1, 301)]
    _, lines = planned(
        CsvWriteTool(), {"path": "t.csv", "mode": "overwrite", "rows": rows}, workspace_dir
    )
    text = plain(lines)
    assert lines.cuts == [
        "csv_write listed 100 of 300 changed rows; every row of the arguments follows"
    ]
    assert "… and 200 more changed rows, not listed by the tool" in text
    listed = [t for t in text if t.startswith("~ ")]
    assert len(listed) == 100 and "old → new 1" in listed[0]
    assert text[-1].split() == ["300", "300", "n300", "new", "300"]  # the last row sent
    assert sum(1 for t in text if t.split()[:1] == ["299"]) == 1


def test_a_csv_write_from_a_query_says_the_rest_is_not_in_the_preview(
    workspace_dir: Path,
) -> None:
    (workspace_dir / "src.csv").write_text("n\n" + "".join(f"{i}\n" for i in range(150)))
    args = {"path": "out.csv", "mode": "create", "sql": "select n from 'src.csv'"}
    _, lines = planned(CsvWriteTool(), args, workspace_dir)
    assert lines.cuts == [
        "csv_write listed 100 of 150 changed rows; the other 50 come from its query and are "
        "not in the preview"
    ]


def test_every_column_and_whole_cells_are_shown(workspace_dir: Path) -> None:
    header = [f"column_{i:02d}" for i in range(15)]
    long_cell = "a fairly long cell value " * 6
    rows = [header, [long_cell] + [f"v{i}" for i in range(1, 15)]]
    _, lines = planned(
        CsvWriteTool(), {"path": "wide.csv", "mode": "create", "rows": rows}, workspace_dir
    )
    text = "\n".join(plain(lines))
    assert all(name in text for name in header)  # the compact card shows ten at most
    assert long_cell.strip() in text and "v14" in text
    assert lines.cuts == []


def test_an_http_body_the_tool_cut_is_listed_whole_from_the_arguments(
    workspace_dir: Path,
) -> None:
    body = {f"k{i:04d}": "{{secret:shop}}" if i == 7 else "x" * 60 for i in range(400)}
    args = {"method": "POST", "url": "https://shop.example.com/api", "json": body}
    _, lines = planned(HttpRequestTool(resolver=fixed_dns), args, workspace_dir)
    text = plain(lines)
    full = json.dumps(body, indent=2, ensure_ascii=False)
    assert len(full) > 20_000
    assert lines.cuts == [
        f"the tool cut the body at 20,000 characters; all {len(full):,} follow, from the arguments"
    ]
    start = text.index(f"Body (json, {len(full):,} characters)")
    assert text[start + 1 : start + 1 + len(full.splitlines())] == full.splitlines()
    assert "s3cr3t" not in "\n".join(text)
    handle = next(line for line in lines.lines if "{{secret:shop}}" in line.plain)
    assert any(str(span.style) == "bold magenta" for span in handle.spans)


def test_a_short_http_body_is_the_tools_own(workspace_dir: Path) -> None:
    args = {"method": "PUT", "url": "https://shop.example.com/a", "body": "one\ntwo"}
    _, lines = planned(HttpRequestTool(resolver=fixed_dns), args, workspace_dir)
    text = plain(lines)
    assert lines.cuts == []
    assert text[text.index("Body (text, 7 characters)") + 1 :][:3] == [
        "one",
        "two",
        "(end of body)",
    ]


def test_a_shell_diff_the_tool_cut_is_named(workspace_dir: Path) -> None:
    (workspace_dir / "big.txt").write_text("".join(f"{i}\n" for i in range(1000)))
    _, lines = planned(ShellTool(), {"command": "sort -r big.txt > r.txt"}, workspace_dir)
    assert len(lines.cuts) == 1
    assert lines.cuts[0].startswith("the tool cut the diff of r.txt: ")
    assert lines.cuts[0].endswith(" more lines are not in its preview")
    assert plain(lines)[-1].startswith("[diff cut: ")


def test_untrusted_cells_and_text_stay_escaped(workspace_dir: Path) -> None:
    evil = "[bold]x[/] \x1b]0;title\x07\u202eevil\u200b\nsecond\tline"
    rows = [["a", "b"], [evil, "ok"]] + [[str(i), "y"] for i in range(150)]
    _, lines = planned(
        CsvWriteTool(), {"path": "e.csv", "mode": "create", "rows": rows}, workspace_dir
    )
    for text in plain(lines):
        assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
        assert "\n" not in text and "\t" not in text
    joined = "\n".join(plain(lines))
    assert "[bold]x[/]" in joined and "\\x1b" in joined and "\\u202e" in joined
    assert "\\n" in joined and "\\t" in joined
    for kind in ("text", "http", "shell", "nonsense"):
        data = {"method": "GET", "url": evil, "command": evil, "stages": [[evil]]}
        shown = "\n".join(plain(preview_lines("x", {}, Preview(kind, evil, data))))
        assert "\x1b" not in shown and "\u202e" not in shown and "[bold]x[/]" in shown


def test_unexpected_data_falls_back_to_the_plain_text() -> None:
    broken = {"kind": "http", "text": "GET https://x.example\nline two", "data": {"headers": 5}}
    assert plain(preview_lines("http_request", {}, broken)) == ["GET https://x.example", "line two"]
    for changes in (7, [7], [{"op": "add", "new": 5}]):
        data = {"files": [{"diff": "rows", "changes": changes}]}
        weird = Preview("diff", "csv_write create x.csv\n+ row 1: a", data)
        assert plain(preview_lines("csv_write", {}, weird)) == [
            "csv_write create x.csv",
            "+ row 1: a",
        ]
    assert plain(preview_lines("x", {}, "just a string")) == ["just a string"]


def test_a_table_preview_lists_every_row() -> None:
    rows = [[f"r{i}", i] for i in range(200)]
    lines = preview_lines("x", {}, Preview("table", "", {"columns": ["name", "n"], "rows": rows}))
    text = plain(lines)
    assert len(text) == 201 and text[-1].split() == ["r199", "199"]


def test_a_cut_mark_no_renderer_knows_still_says_summarised() -> None:
    text = "csv_write create x.csv\n+ row 1: a\n… and 900 more changes"
    lines = preview_lines("csv_write", {}, Preview("diff", text, {}))
    assert lines.cuts == ['the tool left parts out of its preview ("… and 900 more changes")']
    body = "POST https://x.example\nBody (text, 30,000 bytes):\n  aaaa\n  [preview cut at 20,000 characters]"
    lines = preview_lines("http_request", {}, Preview("text", body, {}))
    assert lines.cuts == [
        'the tool left parts out of its preview ("[preview cut at 20,000 characters]")'
    ]
    assert preview_lines("x", {}, Preview("text", "nothing left out", {})).cuts == []


def test_a_csv_create_says_rows_added_and_no_header_change(workspace_dir: Path) -> None:
    """A new file has no header to change: the pane's counts line says what was added only;
    replacing a file's header still says so."""
    rows = [["id", "name"], ["1", "a"], ["2", "b"]]
    args = {"path": "new.csv", "mode": "create", "rows": rows}
    _, lines = planned(CsvWriteTool(), args, workspace_dir)
    (counts,) = [t for t in plain(lines) if t.startswith("+2 added")]
    assert counts == "+2 added  2 rows after"
    (workspace_dir / "old.csv").write_text("id,label\n1,a\n2,b\n")
    args = {"path": "old.csv", "mode": "overwrite", "rows": rows}
    _, lines = planned(CsvWriteTool(), args, workspace_dir)
    assert any(t.endswith("header changed") for t in plain(lines))
