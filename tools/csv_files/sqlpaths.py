"""Finds every file a csv_query SQL statement names (via DuckDB's own parser), resolves each
through the Workspace, and rewrites the SQL to read exactly those real paths with read_csv."""

from __future__ import annotations

import glob
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.base import ToolError
from tools.words import plural
from tools.workspace import PathEscapeError, Workspace

MAX_SQL_CHARS = 20_000
MAX_FILES = 1_000
_NO_LOCATION = 2**64 - 1
FILE_FUNCTIONS = frozenset({"read_csv", "read_csv_auto", "sniff_csv"})
# Table functions that read files other than CSV, list folders or run SQL given as text: the
# engine's allow-list of paths would stop them anyway; refusing them here gives a clear message.
REFUSED_FUNCTIONS = frozenset(
    {
        "query", "query_table", "read_text", "read_blob", "glob", "read_parquet", "parquet_scan",
        "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
        "parquet_bloom_probe", "read_json", "read_json_auto", "read_json_objects",
        "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects",
        "read_xlsx", "sqlite_scan", "sqlite_attach", "postgres_scan", "mysql_scan",
        "iceberg_scan", "delta_scan", "duckdb_secrets", "which_secret", "load_aws_credentials",
    }
)  # fmt: skip
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass
class _Ref:
    """A file named in the SQL: where its literal sits (byte offsets) and how to replace it."""

    text: str
    kind: str  # "table" (FROM 'x.csv'), "bare" (DESCRIBE 'x.csv'), "arg" (read_csv('x.csv')),
    # or "list-item" (read_csv(['x.csv', ...]))
    location: int | None
    alias: str = ""


@dataclass
class Prepared:
    """SQL ready for the locked engine: every file literal replaced by a checked real path."""

    sql: str
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse(con: Any, sql: str, *, max_chars: int = MAX_SQL_CHARS) -> dict[str, Any]:
    """DuckDB's parse tree of one SELECT statement, or a ToolError saying what is allowed."""
    if not isinstance(sql, str) or not sql.strip():
        raise ToolError("sql must be a non-empty SELECT statement")
    if len(sql) > max_chars:
        raise ToolError(f"sql is too long ({len(sql):,} characters; at most {MAX_SQL_CHARS:,})")
    raw = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]
    tree = json.loads(raw)
    if tree.get("error"):
        message = str(tree.get("error_message", "cannot be parsed"))
        if "Only SELECT statements" in message:
            raise ToolError(
                "csv_query runs one read-only query (SELECT, WITH, FROM-first, VALUES, DESCRIBE, "
                "SUMMARIZE); ATTACH, COPY, INSTALL, LOAD, SET, PRAGMA, CREATE, EXPORT and other "
                "statements are refused"
            )
        raise ToolError(f"the SQL cannot be parsed: {message}")
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise ToolError(f"send one statement at a time (found {len(statements)})")
    statement: dict[str, Any] = statements[0]
    return statement


def prepare(con: Any, sql: str, ws: Workspace) -> Prepared:
    """Find, resolve and rewrite the file references in ``sql`` (see the module docstring)."""
    refs: list[_Ref] = []
    _walk(parse(con, sql), frozenset(), refs)
    prepared = Prepared(sql)
    data = sql.encode()
    edits: list[tuple[int, int, str]] = []
    for ref in refs:
        start, end = _place(data, ref, edits)
        paths = _resolve(ref.text, ws, prepared.notes)
        edits.append((start, end, _replacement(ref, paths, glob=_is_glob(ref.text))))
        prepared.files.extend(p for p in paths if p not in prepared.files)
        if len(prepared.files) > MAX_FILES:
            raise ToolError(f"the query names more than {MAX_FILES} files")
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text.encode() + data[end:]
    prepared.sql = data.decode()
    if edits:
        _verify(con, prepared)
    return prepared


def _walk(node: Any, ctes: frozenset[str], refs: list[_Ref]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, ctes, refs)
        return
    if not isinstance(node, dict):
        return
    cte_map = node.get("cte_map")
    if isinstance(cte_map, dict) and cte_map.get("map"):
        ctes = ctes | {str(e.get("key", "")).lower() for e in cte_map["map"]}
    kind = node.get("type")
    if kind == "SHOW_REF":
        _mark_bare(node)
    if kind == "BASE_TABLE" and not node.get("schema_name") and not node.get("catalog_name"):
        name = str(node.get("table_name", ""))
        if name.lower() not in ctes:
            ref_kind = "bare" if node.get("_bare") else "table"
            refs.append(_Ref(name, ref_kind, _location(node), str(node.get("alias") or "")))
    elif kind == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
        _table_function(node["function"], refs)
    for value in node.values():
        if isinstance(value, (dict, list)):
            _walk(value, ctes, refs)


def _mark_bare(show: dict[str, Any]) -> None:
    """DESCRIBE 'x.csv' / SUMMARIZE 'x.csv' parse as a made-up SELECT * FROM 'x.csv' (its star
    has no location): the name stands alone in the text, so it is replaced by FROM read_csv(...)."""
    query = show.get("query")
    if not isinstance(query, dict) or query.get("type") != "SELECT_NODE":
        return
    stars = query.get("select_list") or []
    made_up = len(stars) == 1 and stars[0].get("class") == "STAR" and _location(stars[0]) is None
    table = query.get("from_table")
    if made_up and isinstance(table, dict) and table.get("type") == "BASE_TABLE":
        table["_bare"] = True


def _table_function(fn: dict[str, Any], refs: list[_Ref]) -> None:
    name = str(fn.get("function_name", "")).lower()
    if name in REFUSED_FUNCTIONS:
        raise ToolError(
            f"{name}() is not available in csv_query: it reads only CSV files in the workspace, "
            "named by path (FROM 'data/x.csv' or read_csv('data/x.csv'))"
        )
    if name not in FILE_FUNCTIONS:
        return
    positional = [expr for arg_name, expr in _arguments(fn) if not arg_name and not _is_named(expr)]
    if not positional:
        raise ToolError(f"{name}() needs the file path as its first argument")
    first = positional[0]
    text = _string(first)
    if text is not None:
        refs.append(_Ref(text, "arg", _location(first)))
        return
    if first.get("class") == "FUNCTION" and first.get("function_name") in ("list_value", "row"):
        items = [expr for _, expr in _arguments(first)]
        texts = [_string(item) for item in items]
        if items and all(t is not None for t in texts):
            refs.extend(
                _Ref(str(t), "list-item", _location(i)) for t, i in zip(texts, items, strict=True)
            )
            return
    raise ToolError(
        f"{name}() needs the file path as a quoted literal (or a list of them), "
        "e.g. read_csv('data/orders.csv'); computed paths are refused"
    )


def _arguments(fn: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Function arguments in both parse-tree layouts (DuckDB 2.x "arguments", 1.x "children")."""
    if isinstance(fn.get("arguments"), list):
        return [(str(a.get("name") or ""), a.get("expression") or {}) for a in fn["arguments"]]
    return [("", child) for child in fn.get("children") or []]


def _is_named(expr: dict[str, Any]) -> bool:
    return expr.get("class") == "COMPARISON"  # name=value parameters in the 1.x layout


def _string(expr: dict[str, Any]) -> str | None:
    """The text of a string constant in either parse-tree layout, else None."""
    if expr.get("class") != "CONSTANT":
        return None
    literal = expr.get("literal")
    if isinstance(literal, dict):
        return str(literal.get("text")) if literal.get("kind") == "STRING" else None
    value = expr.get("value")
    if not isinstance(value, dict) or value.get("is_null"):
        return None
    return str(value.get("value")) if (value.get("type") or {}).get("id") == "VARCHAR" else None


def _location(node: dict[str, Any]) -> int | None:
    loc = node.get("query_location")
    return loc if isinstance(loc, int) and 0 <= loc < _NO_LOCATION else None


def _is_glob(text: str) -> bool:
    return bool(_GLOB_CHARS.search(text))


def _resolve(text: str, ws: Workspace, notes: list[str]) -> list[Path]:
    """The real paths a reference stands for; every one inside the workspace and a regular file."""
    if _URL.match(text):
        raise ToolError(f"{text!r}: URLs are refused; csv_query reads files in the workspace only")
    if not _is_glob(text):
        real = ws.resolve(text, must_exist=True)
        if not stat.S_ISREG(os.stat(real).st_mode):
            raise ToolError(f"{text!r} is not a file")
        return [real]
    ws.resolve(text)  # refuses absolute, ~ and NUL before the pattern touches the disk
    if ".." in Path(text).parts:
        raise ToolError(f"{text!r}: '..' is not allowed in a file pattern")
    found: list[Path] = []
    skipped = 0
    for match in sorted(glob.iglob(text, root_dir=ws.root, recursive=True)):
        try:
            real = ws.resolve(match)
        except PathEscapeError:
            skipped += 1
            continue
        if real.is_file() and real not in found:
            found.append(real)
        if len(found) > MAX_FILES:
            raise ToolError(f"{text!r} matches more than {MAX_FILES} files")
    if skipped:
        notes.append(
            f"{plural(skipped, 'match', 'matches')} of {text!r} skipped: outside the workspace"
            " or the assistant's data"
        )
    if not found:
        raise ToolError(f"no files in the workspace match {text!r}")
    return found


_LITERAL = re.compile(rb"""[eE]?'(?:[^']|'')*'|"(?:[^"]|"")*\"""")


def _place(data: bytes, ref: _Ref, taken: list[tuple[int, int, str]]) -> tuple[int, int]:
    """Byte span of the literal that spells ``ref.text``: at its parse location, or, when the
    parser gave none (DESCRIBE 'x.csv'), its one occurrence not already placed."""
    if ref.location is not None:
        match = _LITERAL.match(data, ref.location)
        if match and _unquote(match.group()) == ref.text:
            return match.span()
        if ref.kind in ("table", "bare"):
            raise _not_a_table(ref.text)  # an unquoted name: FROM orders
        raise ToolError(f"the path {ref.text!r} could not be located in the query")
    spans = [
        m.span()
        for m in _LITERAL.finditer(data)
        if _unquote(m.group()) == ref.text
        and not any(s < m.end() and m.start() < e for s, e, _ in taken)
    ]
    if not spans and ref.kind in ("table", "bare"):
        raise _not_a_table(ref.text)
    if len(spans) != 1:
        raise ToolError(
            f"the path {ref.text!r} could not be located in the query; write it once, e.g. "
            f"SELECT * FROM '{ref.text}'"
        )
    return spans[0]


def _not_a_table(name: str) -> ToolError:
    return ToolError(
        f"{name!r} is not a table: name CSV files by quoted path, e.g. FROM '{name}.csv'"
    )


def _unquote(literal: bytes) -> str | None:
    text = literal.decode(errors="replace")
    if text[:1] in "eE":
        return None if "\\" in text else text[2:-1].replace("''", "'")
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _replacement(ref: _Ref, paths: list[Path], *, glob: bool) -> str:
    literals = ", ".join(_sql_string(str(p)) for p in paths)
    if ref.kind == "list-item":
        return literals
    value = f"[{literals}]" if glob else literals
    if ref.kind == "arg":
        return value
    if ref.kind == "bare":
        return f"FROM read_csv({value})"
    # FROM 'data/x.csv' → read_csv('/real/data/x.csv') AS "x": same reader, same default alias.
    alias = "" if ref.alias else ' AS "' + _default_alias(ref.text).replace('"', '""') + '"'
    return f"read_csv({value}){alias}"


def _default_alias(text: str) -> str:
    """DuckDB's alias for FROM 'dir/name.ext': the file name up to its first dot."""
    return Path(text).name.split(".", 1)[0] or Path(text).name


def _verify(con: Any, prepared: Prepared) -> None:
    """Parse the rewritten SQL again: every file it names must be one of the checked paths."""
    refs: list[_Ref] = []
    _walk(parse(con, prepared.sql, max_chars=len(prepared.sql)), frozenset(), refs)
    allowed = {str(p) for p in prepared.files}
    for ref in refs:
        if ref.kind in ("table", "bare") or ref.text not in allowed:
            raise ToolError(f"internal check failed: {ref.text!r} survived the rewrite")
