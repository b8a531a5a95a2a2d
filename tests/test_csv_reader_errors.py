"""An error from DuckDB's CSV reader reaches the person and the model short and in the file's
terms: the file, the line (a copy's row where DuckDB reads a copy), what failed and the column's
header name; never DuckDB's advice about reader options nobody can set, nor its dump of options.

The errors here are DuckDB's own: its reader run on real files with the read SQL csv_query's
loader builds, given a column type the data does not fit (csv_query's checks keep that from
happening in a query; these are the messages that would come if something slipped past them).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import pytest

from tools.csv_files.engine import MAX_ERROR_CHARS, clean_error
from tools.csv_files.loader import Loaded, Loader
from tools.csv_files.readerror import ReadFile
from tools.csv_files.sqlpaths import SourceFile

DUMPED = ("Possible", "file =", "delimiter =", "sample_size", "strict_mode", "types={")


def dumps(text: str) -> bool:
    """Whether ``text`` shows DuckDB's advice, its options or the views' column names c0..cN."""
    return any(word in text for word in DUMPED) or re.search(r"\bc\d+\b", text) is not None


def duckdb_error(tmp_path: Path, name: str, data: bytes, kinds: list[str]) -> tuple[str, Loaded]:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / name).write_bytes(data)
    loader = Loader(str(tmp_path), time.monotonic() + 60, skip_ragged=False)
    loaded = loader.inspect(SourceFile(str(ws / name), name))
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect().execute(f"SELECT * FROM {loaded.read_typed(kinds)}").fetchall()
    return str(caught.value), loaded


def read_files(loaded: Loaded, loader_copies: dict[str, str] | None = None) -> dict[str, ReadFile]:
    if loaded.plain:
        return {loaded.file.real: ReadFile(loaded.rel, loaded.header, True)}
    return {p: ReadFile(rel, loaded.header, False) for p, rel in (loader_copies or {}).items()}


def test_a_conversion_error_names_the_file_line_and_column(tmp_path: Path) -> None:
    data = b"id,customer,total\n10001,C1,5.5\n10007,C0,x\n"
    raw, loaded = duckdb_error(tmp_path, "o.csv", data, ["BIGINT", "VARCHAR", "DECIMAL(2,1)"])
    assert "Possible solutions" in raw and "file = " in raw  # what DuckDB says
    names = {loaded.file.real: "o.csv"}
    text = clean_error(raw, str(tmp_path / "ws"), names, read_files(loaded))
    assert text.startswith("o.csv, line 3 could not be read: ")
    assert 'column "total"' in text and "10007,C0,x" in text
    assert not dumps(text), text
    assert "\n" not in text and len(text) < 300


def test_a_file_the_worker_has_not_noted_yet_is_still_named(tmp_path: Path) -> None:
    data = b"id,customer,total\n10001,C1,5.5\n10007,C0,x\n"
    raw, loaded = duckdb_error(tmp_path, "o.csv", data, ["BIGINT", "VARCHAR", "DECIMAL(2,1)"])
    text = clean_error(raw, str(tmp_path / "ws"), {loaded.file.real: "o.csv"})
    assert text.startswith("o.csv, line 3 could not be read: "), text
    assert "Possible" not in text and "delimiter" not in text


def test_a_ragged_row_names_its_line(tmp_path: Path) -> None:
    raw, loaded = duckdb_error(tmp_path, "r.csv", b"a,b\n1,2\n3\n", ["VARCHAR", "VARCHAR"])
    text = clean_error(raw, str(tmp_path / "ws"), {loaded.file.real: "r.csv"}, read_files(loaded))
    assert text.startswith("r.csv, line 3 could not be read: ")
    assert "Expected Number of Columns: 2 Found: 1" in text
    assert not dumps(text), text


def test_a_copy_is_named_as_its_file_without_the_copys_line_number(tmp_path: Path) -> None:
    data = b'name,day\n"Ann",2024-01-05\n"Bob","soon"\n'  # quoted: read through a copy
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "q.csv").write_bytes(data)
    loader = Loader(str(tmp_path), time.monotonic() + 60, skip_ragged=False)
    loaded = loader.inspect(SourceFile(str(ws / "q.csv"), "q.csv"))
    assert not loaded.plain
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect().execute(f"SELECT * FROM {loaded.read_typed(['VARCHAR', 'DATE'])}")
    names = {loaded.file.real: "q.csv", **loader.copies}
    text = clean_error(caught.value, str(ws), names, read_files(loaded, loader.copies))
    assert text.startswith("q.csv could not be read: "), text
    assert 'Column "day" is read as DATE' in text and '(the row: "Bob","soon")' in text
    assert str(tmp_path) not in text
    assert not dumps(text), text


def test_other_errors_are_left_as_duckdb_words_them() -> None:
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect().execute("SELECT CAST('x' AS INTEGER)")
    text = clean_error(caught.value, "/nowhere")
    assert text.startswith("Conversion Error: Could not convert string 'x' to INT32")
    assert "LINE 1: SELECT CAST('x' AS INTEGER)" in text
    assert len(clean_error("x" * 5000, "/nowhere")) == MAX_ERROR_CHARS
