"""csv_read: sniffing (encodings, dialects), strict errors that name the line, bounded pages."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest

from tools.base import Effect, Result, ToolContext, ToolError
from tools.csv_files import CsvReadTool
from tools.csv_files.read import HEAD_BYTES
from tools.workspace import Workspace


@pytest.fixture
def ctx(workspace_dir: Path) -> ToolContext:
    return ToolContext(workspace=Workspace(workspace_dir))


def read(ctx: ToolContext, path: str, tool: CsvReadTool | None = None, **args: Any) -> Result:
    tool = tool or CsvReadTool()
    return tool.run(tool.plan({"path": path, **args}, ctx), ctx)


def test_header_types_count_and_page(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "orders.csv").write_text(
        "id,name,amount,zip,day,paid,at\n"
        "1,Ann,2.5,08123,2024-01-31,true,2024-01-31T10:00:00Z\n"
        "2,Bob,-3,90210,2024-02-01,false,2024-02-01 11:30\n"
        "3,,1e3,,2024-02-02,TRUE,\n"
    )
    tool = CsvReadTool()
    action = tool.plan({"path": "orders.csv"}, ctx)
    assert action.effect is Effect.READ and action.targets == ("path:orders.csv",)
    result = tool.run(action, ctx)
    data = result.data
    assert data["columns"] == ["id", "name", "amount", "zip", "day", "paid", "at"]
    types = ["integer", "text", "decimal", "text", "date", "boolean", "timestamp"]
    assert data["types"] == types  # "08123" stays text: a zip code, not a number
    assert data["total"] == 3 and data["total_exact"] is True
    assert data["rows"][2] == ["3", "", "1e3", "", "2024-02-02", "TRUE", ""]
    assert "orders.csv: 3 rows x 7 columns" in result.output
    assert "rows 1-3 of 3:" in result.output
    assert "id integer, name text, amount decimal, zip text" in result.output


def test_offset_and_limit_page_through_rows(workspace_dir: Path, ctx: ToolContext) -> None:
    lines = ["n,square"] + [f"{i},{i * i}" for i in range(1, 121)]
    (workspace_dir / "sq.csv").write_text("\n".join(lines) + "\n")
    result = read(ctx, "sq.csv", offset=50, limit=20)
    assert [r[0] for r in result.data["rows"]] == [str(i) for i in range(51, 71)]
    assert "rows 51-70 of 120:" in result.output
    past = read(ctx, "sq.csv", offset=500)
    assert past.data["rows"] == [] and "no rows to show from row 501 of 120" in past.output


@pytest.mark.parametrize("args", [{"limit": 51}, {"limit": 0}, {"offset": -1}, {"limit": True}])
def test_page_bounds_are_enforced_in_plan(
    ctx: ToolContext, workspace_dir: Path, args: dict[str, Any]
) -> None:
    (workspace_dir / "a.csv").write_text("a\n1\n")
    with pytest.raises(ToolError, match="limit|offset"):
        CsvReadTool().plan({"path": "a.csv", **args}, ctx)


TEXT = "name,city,price\nZoë,Köln,€5\nJosé,São Paulo,3\n"
ROWS = [["Zoë", "Köln", "€5"], ["José", "São Paulo", "3"]]


@pytest.mark.parametrize(
    ("data", "encoding", "bom", "guessed"),
    [
        (TEXT.encode("utf-8"), "utf-8", False, False),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8", True, False),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le", True, False),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be", True, False),
        (TEXT.encode("cp1252"), "cp1252", False, True),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "cp1252"],
)
def test_encodings_are_sniffed(
    workspace_dir: Path, ctx: ToolContext, data: bytes, encoding: str, bom: bool, guessed: bool
) -> None:
    (workspace_dir / "enc.csv").write_bytes(data)
    result = read(ctx, "enc.csv")
    fmt = result.data["format"]
    assert (fmt["encoding"], fmt["bom"], fmt["guessed"]) == (encoding, bom, guessed)
    assert result.data["columns"] == ["name", "city", "price"]  # no BOM left in "name"
    assert result.data["rows"] == ROWS
    assert ("a guess" in result.output) is guessed


def test_byte_undefined_in_cp1252_falls_back_to_latin1(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    (workspace_dir / "l1.csv").write_bytes(b"a,b\n\x81x,\xe9\n")
    result = read(ctx, "l1.csv")
    assert result.data["format"]["encoding"] == "latin-1" and result.data["format"]["guessed"]
    assert result.data["rows"] == [["\x81x", "é"]]
    assert "\\x81x" in result.output  # the control character is shown escaped


def test_invalid_utf8_after_the_sniffed_head_restarts_as_cp1252(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    filler = "".join(f"{i},plain ascii text\n" for i in range(HEAD_BYTES // 15))
    data = ("id,text\n" + filler).encode() + "999,café\n".encode("cp1252")
    assert len(data) > HEAD_BYTES
    (workspace_dir / "late.csv").write_bytes(data)
    result = read(ctx, "late.csv", offset=HEAD_BYTES // 15)
    assert result.data["format"]["encoding"] == "cp1252" and result.data["format"]["guessed"]
    assert result.data["rows"] == [["999", "café"]]


@pytest.mark.parametrize(
    ("text", "delimiter", "ending"),
    [
        ("a;b;c\r\n1;2,5;x\r\n", ";", "\r\n"),
        ("a\tb\tc\n1\t2,5\tx\n", "\t", "\n"),
        ("a|b|c\r1|2,5|x\r", "|", "\r"),
        ('a,b,c\n1,"2,5",x\n', ",", "\n"),
    ],
)
def test_dialects_are_sniffed(
    workspace_dir: Path, ctx: ToolContext, text: str, delimiter: str, ending: str
) -> None:
    (workspace_dir / "d.csv").write_bytes(text.encode())
    result = read(ctx, "d.csv")
    assert result.data["format"]["delimiter"] == delimiter
    assert result.data["format"]["lineterminator"] == ending
    assert result.data["rows"] == [["1", "2,5", "x"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "a,b\n1,2\n3,4,5\n6,7\n",
            r"line 3: the row has 3 fields but the header has 2 \(ragged row\)",
        ),
        ("a,b\n1,2\n3\n", r"line 3: the row has 1 field but the header has 2"),
        ("id,name,id\n1,2,3\n", r"line 1: duplicate column name 'id' \(columns 1 and 3\)"),
        ("id,,x\n1,2,3\n", r"line 1: column 2 of the header has an empty name"),
        (
            'a,b\n1,2\n3,"never closed\n4,5\n6,7\n',
            r"line 3: a quoted field starts on this line and is never closed",
        ),
        ('a,b\n1,"x"y\n', r"line 2: text follows a closing quote"),
        ("", r"the file is empty"),
        ("\n\n", r"no header row"),
        ("a,b\n1,\x00\n", r"NUL bytes"),
    ],
    ids=[
        "ragged-long",
        "ragged-short",
        "dup-header",
        "empty-header",
        "unterminated",
        "after-quote",
        "empty",
        "blank",
        "nul",
    ],
)
def test_malformed_files_name_the_line(
    workspace_dir: Path, ctx: ToolContext, content: str, message: str
) -> None:
    (workspace_dir / "bad.csv").write_text(content)
    with pytest.raises(ToolError, match=message):
        read(ctx, "bad.csv")


def test_oversized_field_names_its_line(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "big.csv").write_text('a,b\n1,2\n3,"' + "x" * 200_000 + '"\n')
    with pytest.raises(ToolError, match=r"line 3: a field is longer than 131,072 characters"):
        read(ctx, "big.csv")


def test_unterminated_quote_is_never_merged_silently(workspace_dir: Path, ctx: ToolContext) -> None:
    rows = "".join(f"{i},ok\n" for i in range(500))
    (workspace_dir / "u.csv").write_text('a,b\n0,"oops\n' + rows)
    with pytest.raises(ToolError, match="line 2: a quoted field starts on this line"):
        read(ctx, "u.csv")


def test_blank_lines_are_skipped_and_reported(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "b.csv").write_text("\na,b\n1,2\n\n3,4\n\n")
    result = read(ctx, "b.csv")
    assert result.data["rows"] == [["1", "2"], ["3", "4"]] and result.data["blank_lines"] == 3
    assert "3 blank lines skipped" in result.output


def test_output_is_bounded_and_escaped(workspace_dir: Path, ctx: ToolContext) -> None:
    evil = "\x1b[31mred\u202eevil\nnext"
    lines = ["id,text"] + [f'{i},"{evil}{"y" * 300}"' for i in range(60)]
    (workspace_dir / "e.csv").write_text("\n".join(lines) + "\n")
    result = read(ctx, "e.csv")
    assert len(result.output.encode()) < 9_000
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\\x1b[31mred\\u202eevil\\nnext" in result.output
    assert "…" in result.output  # cells are cut at 200 characters
    assert "cut to fit" in result.output
    assert result.data["rows"][0][1].startswith(evil)  # the UI gets the real value


def test_time_bound_gives_a_lower_bound_not_a_wrong_count(
    workspace_dir: Path, ctx: ToolContext
) -> None:
    (workspace_dir / "t.csv").write_text("a\n" + "1\n" * 10_000)
    result = read(ctx, "t.csv", tool=CsvReadTool(scan_seconds=0))
    assert result.data["total_exact"] is False and result.data["total"] < 10_000
    assert "at least" in result.output and "csv_query" in result.output


def test_folders_and_missing_files_are_clear_errors(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "sub").mkdir()
    with pytest.raises(ToolError, match="sub is not a file"):
        CsvReadTool().plan({"path": "sub"}, ctx)
    with pytest.raises(ToolError, match="nope.csv: no such file"):
        CsvReadTool().plan({"path": "nope.csv"}, ctx)


def test_unknown_arguments_are_refused(workspace_dir: Path, ctx: ToolContext) -> None:
    (workspace_dir / "a.csv").write_text("a\n1\n")
    with pytest.raises(ToolError, match="unknown argument: encoding"):
        CsvReadTool().plan({"path": "a.csv", "encoding": "latin-1"}, ctx)


def test_very_wide_files_stay_bounded(workspace_dir: Path, ctx: ToolContext) -> None:
    names = [f"column_{i}" for i in range(3000)]
    (workspace_dir / "wide.csv").write_text(
        ",".join(names) + "\n" + ",".join("v" * 50 for _ in names) + "\n"
    )
    result = read(ctx, "wide.csv")
    assert len(result.output) < 9_000 and "…" in result.output
    assert len(result.data["columns"]) == 3000  # the UI still gets every column
