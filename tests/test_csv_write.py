"""csv_write: row/cell diffs, byte-for-byte preservation, encodings, formula neutralising,
stale-preview refusal, queries as input, and the approve → write → undo path end to end."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest

from tools.base import Effect, Result, StaleActionError, ToolContext, ToolError
from tools.csv_files import CsvReadTool, CsvWriteTool, write
from tools.workspace import Workspace


@pytest.fixture
def ctx(workspace_dir: Path) -> ToolContext:
    (workspace_dir / "data").mkdir()
    return ToolContext(workspace=Workspace(workspace_dir))


def run_write(ctx: ToolContext, **args: Any) -> Result:
    tool = CsvWriteTool()
    return tool.run(tool.plan(args, ctx), ctx)


def read_rows(ctx: ToolContext, path: str) -> list[list[str]]:
    tool = CsvReadTool()
    data = tool.run(tool.plan({"path": path}, ctx), ctx).data
    return [data["columns"], *data["rows"]]


def test_create_previews_every_row_and_writes_utf8(workspace_dir: Path, ctx: ToolContext) -> None:
    tool = CsvWriteTool()
    rows = [["id", "name", "price"], [1, "Zoë", 2.5], [2, "a,b", None], [3, 'say "hi"', True]]
    action = tool.plan({"path": "data/new.csv", "mode": "create", "rows": rows}, ctx)
    assert action.effect is Effect.WRITE and action.targets == ("path:data/new.csv",)
    assert action.scope is not None and action.scope.key == "csv_write:dir:data"
    assert action.scope.kinds == {"create"}
    assert (
        action.scope.label == "csv_write: create new files in the folder data/ (not its subfolders)"
    )
    assert not (workspace_dir / "data" / "new.csv").exists()  # plan has no side effect
    text = action.preview.text
    assert "csv_write create data/new.csv" in text and "3 rows added" in text
    assert "+ row 1: 1,Zoë,2.5" in text and '+ row 3: 3,"say ""hi""",true' in text
    files = action.preview.data["files"]
    assert files[0]["counts"]["added"] == 3 and files[0]["changes"][1]["new"] == ["2", "a,b", ""]
    result = tool.run(action, ctx)
    assert (workspace_dir / "data" / "new.csv").read_bytes() == (
        'id,name,price\n1,Zoë,2.5\n2,"a,b",\n3,"say ""hi""",true\n'.encode()
    )
    assert result.before_images == {"data/new.csv": None}
    assert result.output == "wrote data/new.csv (create): 3 rows added; 3 data rows now"


def test_create_in_the_root_and_tsv(workspace_dir: Path, ctx: ToolContext) -> None:
    action = CsvWriteTool().plan(
        {"path": "t.tsv", "mode": "create", "rows": [["a", "b"], ["1", "x\ty"]]}, ctx
    )
    assert (
        action.scope is not None
        and action.scope.label
        == "csv_write: create new files in the workspace top folder (not its subfolders)"
    )
    CsvWriteTool().run(action, ctx)
    assert (workspace_dir / "t.tsv").read_bytes() == b'a\tb\n1\t"x\ty"\n'


@pytest.mark.parametrize(
    ("mode", "path", "message"),
    [
        ("create", "data/old.csv", "already exists; use mode overwrite or append"),
        ("overwrite", "data/none.csv", "does not exist; use mode create"),
        ("append", "data/none.csv", "does not exist; use mode create"),
        ("create", "nofolder/x.csv", r"the folder nofolder/ does not exist"),
        ("overwrite", "data", "data is a folder"),
    ],
)
def test_mode_and_target_mismatches(
    workspace_dir: Path, ctx: ToolContext, mode: str, path: str, message: str
) -> None:
    (workspace_dir / "data" / "old.csv").write_text("a\n1\n")
    with pytest.raises(ToolError, match=message):
        CsvWriteTool().plan({"path": path, "mode": mode, "rows": [["a"], ["2"]]}, ctx)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"rows": [["a"]], "sql": "SELECT 1"}, "either rows"),
        ({}, "either rows"),
        ({"rows": []}, "rows must be a list"),
        ({"rows": [["a", "b"], ["1"]]}, r"rows\[1\] has 1 cell but the header has 2"),
        ({"rows": [["a"], ["1", "2"]]}, r"rows\[1\] has 2 cells but the header has 1"),
        (
            {"rows": [["a", "a"], ["1", "2"]]},
            r"rows\[0\] \(the header\): duplicate column name 'a'",
        ),
        ({"rows": [["a", " "], ["1", "2"]]}, r"column 2 of the header has an empty name"),
        ({"rows": [["a"], [{"x": 1}]]}, r"rows\[1\]\[0\] must be a string"),
        ({"rows": [["a"]], "mode": "delete"}, "mode must be one of"),
    ],
)
def test_bad_arguments_are_specific(ctx: ToolContext, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolError, match=message):
        CsvWriteTool().plan({"path": "data/x.csv", "mode": "create", **args}, ctx)


def test_row_cap(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "MAX_ROWS", 2)
    with pytest.raises(ToolError, match="at most 2 rows"):
        CsvWriteTool().plan(
            {"path": "data/x.csv", "mode": "create", "rows": [["a"], ["1"], ["2"], ["3"]]}, ctx
        )


ORIGINAL = (
    b"id;name;note\r\n"
    b'1;"Ann";"quoted, kept"\r\n'
    b"2;Bob;plain\r\n"
    b'3;Cy;"multi\r\nline"\r\n'
    b"4;Dee;last"  # no final line break
)


def test_overwrite_keeps_untouched_records_byte_for_byte(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    (workspace_dir / "data" / "p.csv").write_bytes(ORIGINAL)
    rows = read_rows(ctx, "data/p.csv")
    rows[2][2] = "edited; now"  # Bob's note
    rows.append(["5", "Eve", "new"])
    tool = CsvWriteTool()
    action = tool.plan({"path": "data/p.csv", "mode": "overwrite", "rows": rows}, ctx)
    assert action.scope is not None and action.scope.key == "csv_write:dir:data"
    assert action.scope.kinds == {"overwrite"}
    text = action.preview.text
    assert "delimiter ';', CRLF line endings (kept)" in text
    assert (
        "1 row added, 1 row changed (1 cell); 3 unchanged, kept byte for byte; 5 data rows after"
        in text
    )
    assert '~ row 2: note: "plain" → "edited; now"' in text and "+ row 5: 5,Eve,new" in text
    result = tool.run(action, ctx)
    assert (workspace_dir / "data" / "p.csv").read_bytes() == (
        b'id;name;note\r\n1;"Ann";"quoted, kept"\r\n2;Bob;"edited; now"\r\n'
        b'3;Cy;"multi\r\nline"\r\n4;Dee;last\r\n5;Eve;new\r\n'
    )
    assert result.before_images == {"data/p.csv": ORIGINAL}


def test_overwrite_diff_counts_inserts_deletes_and_header(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    old = "k,v\n" + "".join(f"{i},{i}\n" for i in range(1, 11))
    (workspace_dir / "data" / "d.csv").write_text(old)
    new = [["k", "value"]] + [[str(i), str(i)] for i in range(1, 11) if i not in (3, 4)]
    new.insert(5, ["x", "inserted"])
    new[8][1] = "changed"
    action = CsvWriteTool().plan({"path": "data/d.csv", "mode": "overwrite", "rows": new}, ctx)
    counts = action.preview.data["files"][0]["counts"]
    assert counts == {
        "added": 1,
        "removed": 2,
        "changed": 1,
        "cells_changed": 1,
        "unchanged": 7,
        "header_changed": True,
        "rows_after": 9,
    }
    text = action.preview.text
    assert text.index('~ header: value: "v" → "value"') < text.index("- row 3: 3,3")
    assert "- row 4: 4,4" in text and "+ row 5: x,inserted" in text
    assert '~ row 8: value: "9" → "changed"' in text


def test_overwrite_with_the_same_rows_changes_nothing(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    (workspace_dir / "data" / "p.csv").write_bytes(ORIGINAL)
    action = CsvWriteTool().plan(
        {"path": "data/p.csv", "mode": "overwrite", "rows": read_rows(ctx, "data/p.csv")}, ctx
    )
    assert action.summary == "overwrite data/p.csv: no changes"
    CsvWriteTool().run(action, ctx)
    assert (workspace_dir / "data" / "p.csv").read_bytes() == ORIGINAL


def test_overwrite_replaces_an_unreadable_file_whole(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "data" / "broken.csv").write_text('a,b\n1,"never closed\n2,3\n')
    action = CsvWriteTool().plan(
        {"path": "data/broken.csv", "mode": "overwrite", "rows": [["a", "b"], ["1", "2"]]}, ctx
    )
    assert "not readable as CSV (line 2: a quoted field starts" in action.preview.text
    CsvWriteTool().run(action, ctx)
    assert (workspace_dir / "data" / "broken.csv").read_text() == "a,b\n1,2\n"


def test_append_keeps_the_old_bytes_and_maps_columns(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "data" / "p.csv").write_bytes(ORIGINAL)
    tool = CsvWriteTool()
    action = tool.plan(
        {
            "path": "data/p.csv",
            "mode": "append",
            "rows": [["note", "id", "name"], ["hi", 5, "Eve"]],
        },
        ctx,
    )
    assert "1 row added; 4 unchanged, kept byte for byte; 5 data rows after" in action.preview.text
    assert "+ row 5: 5,Eve,hi" in action.preview.text
    tool.run(action, ctx)
    assert (workspace_dir / "data" / "p.csv").read_bytes() == ORIGINAL + b"\r\n5;Eve;hi\r\n"
    with pytest.raises(
        ToolError, match=r"append needs the file's columns \['id', 'name', 'note'\]"
    ):
        tool.plan(
            {"path": "data/p.csv", "mode": "append", "rows": [["id", "name"], ["6", "F"]]}, ctx
        )


TEXT = "name,city\nZoë,Köln\nJosé,Brno\n"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (b"", "utf-8"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (b"", "cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "cp1252"],
)
@pytest.mark.parametrize("mode", ["overwrite", "append"])
def test_encodings_round_trip(
    workspace_dir: Path, ctx: ToolContext, bom: bytes, codec: str, mode: str
) -> None:
    path = workspace_dir / "data" / "e.csv"
    original = bom + TEXT.encode(codec)
    path.write_bytes(original)
    rows = read_rows(ctx, "data/e.csv")
    if mode == "overwrite":
        rows[2] = ["Łukasz" if codec != "cp1252" else "Renée", "Brno"]
    else:
        rows = [rows[0], ["Renée", "Paris"]]
    run_write(ctx, path="data/e.csv", mode=mode, rows=rows)
    data = path.read_bytes()
    assert data.startswith(bom + "name,city\nZoë,Köln\n".encode(codec))
    expected = [
        ["name", "city"],
        ["Zoë", "Köln"],
        ["Łukasz" if codec != "cp1252" else "Renée", "Brno"],
    ]
    if mode == "append":
        expected = [["name", "city"], ["Zoë", "Köln"], ["José", "Brno"], ["Renée", "Paris"]]
        assert data == original + "Renée,Paris\n".encode(codec)
    assert read_rows(ctx, "data/e.csv") == expected
    assert data.decode(codec).lstrip("\ufeff").count("\ufeff") == 0  # one BOM, at the start


def test_a_character_the_encoding_lacks_is_a_clear_error(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    (workspace_dir / "data" / "w.csv").write_bytes(TEXT.encode("cp1252"))
    rows = read_rows(ctx, "data/w.csv") + [["Łukasz", "Brno"]]
    with pytest.raises(ToolError, match=r"row 3, column 'name': 'Ł' cannot be written in cp1252"):
        CsvWriteTool().plan({"path": "data/w.csv", "mode": "overwrite", "rows": rows}, ctx)


def test_formula_cells_are_neutralised_but_numbers_stay(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    cells = ["=1+1", "+cmd", "-x", "@SUM(A1)", "\tlead", "\rcr", '=HYPERLINK("http://x")']
    numbers = ["-2.5", "+3", "-0", "1e5", "-1.5E-3", "42"]
    tool = CsvWriteTool()
    action = tool.plan(
        {"path": "data/f.csv", "mode": "create", "rows": [["v"], *([c] for c in cells + numbers)]},
        ctx,
    )
    assert f"! {len(cells)} cells start with = + - @ tab or CR" in action.preview.text
    assert "+ row 1: '=1+1" in action.preview.text
    tool.run(action, ctx)
    back = [r[0] for r in read_rows(ctx, "data/f.csv")[1:]]
    assert back == ["'" + c for c in cells] + numbers


def test_existing_cells_are_not_rewritten_when_their_row_is_kept(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    (workspace_dir / "data" / "k.csv").write_text("a,b\n=old,1\n2,3\n")
    rows = read_rows(ctx, "data/k.csv")
    rows[2][1] = "4"
    run_write(ctx, path="data/k.csv", mode="overwrite", rows=rows)
    assert (workspace_dir / "data" / "k.csv").read_text() == "a,b\n=old,1\n2,4\n"
    # Sending back what was written (a neutralised cell) is no change either.
    run_write(ctx, path="data/k.csv", mode="append", rows=[["a", "b"], ["=new", "5"]])
    rows = read_rows(ctx, "data/k.csv")
    action = CsvWriteTool().plan(
        {"path": "data/k.csv", "mode": "overwrite", "rows": rows[:3] + [["=new", "5"]]}, ctx
    )
    assert action.summary.endswith("no changes")


def test_a_changed_file_is_not_overwritten(workspace_dir: Path, ctx: ToolContext) -> None:
    path = workspace_dir / "data" / "s.csv"
    path.write_text("a\n1\n")
    tool = CsvWriteTool()
    action = tool.plan({"path": "data/s.csv", "mode": "overwrite", "rows": [["a"], ["2"]]}, ctx)
    path.write_text("a\n1\n3\n")  # someone else edits it after the preview
    with pytest.raises(
        StaleActionError, match="data/s.csv changed since the preview; nothing was written"
    ):
        tool.run(action, ctx)
    assert path.read_text() == "a\n1\n3\n"


def test_a_file_created_after_the_preview_is_not_replaced(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    tool = CsvWriteTool()
    action = tool.plan({"path": "data/n.csv", "mode": "create", "rows": [["a"], ["1"]]}, ctx)
    (workspace_dir / "data" / "n.csv").write_text("theirs\n")
    with pytest.raises(StaleActionError):
        tool.run(action, ctx)
    assert (workspace_dir / "data" / "n.csv").read_text() == "theirs\n"


def test_sql_result_is_written_and_previewed(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "data" / "o.csv").write_text(
        "id,amount,day\n1,10.5,2024-01-01\n2,-3,2024-01-02\n3,7,2024-01-03\n"
    )
    tool = CsvWriteTool()
    sql = "SELECT id, amount * 2 AS doubled, day, NULL AS nothing FROM 'data/o.csv' WHERE id > 1 ORDER BY id"
    action = tool.plan({"path": "data/out.csv", "mode": "create", "sql": sql}, ctx)
    assert action.targets == ("path:data/out.csv", "path:data/o.csv")
    # amount (10.5, -3, 7) is an exact decimal: doubled, -3 and 7 print as -6 and 14.
    assert "+ row 1: 2,-6,2024-01-02," in action.preview.text
    tool.run(action, ctx)
    assert (workspace_dir / "data" / "out.csv").read_text() == (
        "id,doubled,day,nothing\n2,-6,2024-01-02,\n3,14,2024-01-03,\n"
    )


def test_sql_can_filter_a_file_in_place(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "data" / "o.csv").write_text("id,amount\n1,10\n2,-3\n3,7\n")
    sql = "SELECT * FROM 'data/o.csv' WHERE amount > 0 ORDER BY id"
    action = CsvWriteTool().plan({"path": "data/o.csv", "mode": "overwrite", "sql": sql}, ctx)
    assert action.summary == "overwrite data/o.csv: 1 row removed"
    CsvWriteTool().run(action, ctx)
    assert (workspace_dir / "data" / "o.csv").read_text() == "id,amount\n1,10\n3,7\n"


def test_a_changed_query_source_makes_the_preview_stale(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    (workspace_dir / "data" / "src.csv").write_text("a\n1\n")
    tool = CsvWriteTool()
    action = tool.plan(
        {"path": "data/dst.csv", "mode": "create", "sql": "SELECT * FROM 'data/src.csv'"}, ctx
    )
    (workspace_dir / "data" / "src.csv").write_text("a\n1\n2\n")
    with pytest.raises(StaleActionError, match="differs from the preview"):
        tool.run(action, ctx)
    assert not (workspace_dir / "data" / "dst.csv").exists()


def test_sql_goes_through_the_same_lock(ctx: ToolContext) -> None:
    for sql in (
        "COPY (SELECT 1) TO 'data/x.csv'",
        "SELECT * FROM read_text('data/x.csv')",
        "ATTACH 'x.db'",
    ):
        with pytest.raises(ToolError, match="csv_query runs one read-only query|not available"):
            CsvWriteTool().plan({"path": "data/x.csv", "mode": "create", "sql": sql}, ctx)


def test_unknown_arguments_are_refused(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="unknown argument: encoding"):
        CsvWriteTool().plan(
            {"path": "data/x.csv", "mode": "create", "rows": [["a"]], "encoding": "x"}, ctx
        )


def test_invalid_bytes_after_a_bom_are_named(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "data" / "bom.csv").write_bytes(codecs.BOM_UTF8 + b"a,b\n1,2\n3,\xff\n")
    with pytest.raises(ToolError, match="line 3: the bytes are not valid utf-8"):
        CsvWriteTool().plan(
            {"path": "data/bom.csv", "mode": "append", "rows": [["a", "b"], ["4", "5"]]}, ctx
        )
    overwrite = CsvWriteTool().plan(
        {"path": "data/bom.csv", "mode": "overwrite", "rows": [["a", "b"]]}, ctx
    )
    assert "not readable as CSV (line 3: the bytes are not valid utf-8" in overwrite.preview.text


def test_query_columns_need_distinct_names(ctx: ToolContext) -> None:
    with pytest.raises(
        ToolError, match=r"the query's columns need distinct names: duplicate column name 'a'"
    ):
        CsvWriteTool().plan(
            {"path": "data/x.csv", "mode": "create", "sql": "SELECT 1 AS a, 2 AS a"}, ctx
        )
