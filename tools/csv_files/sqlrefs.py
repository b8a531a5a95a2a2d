"""Finds every file a csv_query statement names, with DuckDB's own parser: FROM 'x.csv',
DESCRIBE 'x.csv', read_csv('x.csv', ...) and read_csv(['a.csv', 'b.csv']), and where each one sits
in the text so that it can be replaced."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tools.base import ToolError

MAX_SQL_CHARS = 20_000
_NO_LOCATION = 2**64 - 1
FILE_FUNCTIONS = frozenset({"read_csv", "read_csv_auto"})
OPTIONS = frozenset({"union_by_name", "filename"})
# Table functions that read files other than CSV, list folders, run SQL given as text or show
# DuckDB's own guess of a dialect: the engine's allow-list of paths would stop most of them
# anyway; refusing them here gives a clear message.
REFUSED_FUNCTIONS = frozenset(
    {
        "query", "query_table", "read_text", "read_blob", "glob", "read_parquet", "parquet_scan",
        "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
        "parquet_bloom_probe", "read_json", "read_json_auto", "read_json_objects",
        "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects",
        "read_xlsx", "sqlite_scan", "sqlite_attach", "postgres_scan", "mysql_scan",
        "iceberg_scan", "delta_scan", "duckdb_secrets", "which_secret", "load_aws_credentials",
        "sniff_csv", "read_csv_rejects", "reject_errors", "reject_scans",
    }
)  # fmt: skip


@dataclass
class Ref:
    """A file reference in the SQL.

    ``kind``: "table" (FROM 'x.csv'), "bare" (DESCRIBE 'x.csv', no location from the parser) or
    "call" (read_csv(...), ``location`` at the function's name).
    """

    kind: str
    texts: list[str]
    location: int | None
    alias: str = ""
    function: str = ""
    options: dict[str, bool] = field(default_factory=dict)


def parse(con: Any, sql: str, *, max_chars: int = MAX_SQL_CHARS) -> dict[str, Any]:
    """DuckDB's parse tree of one SELECT statement, or a ToolError saying what is allowed."""
    if not isinstance(sql, str) or not sql.strip():
        raise ToolError("sql must be a non-empty SELECT statement")
    if len(sql) > max_chars:
        raise ToolError(f"sql is too long ({len(sql):,} characters; at most {MAX_SQL_CHARS:,})")
    raw = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]
    try:
        tree = json.loads(raw)
    except RecursionError:
        raise ToolError("the SQL is nested too deeply") from None
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


def find_refs(tree: dict[str, Any], views: frozenset[str] = frozenset()) -> list[Ref]:
    """Every file reference in a parse tree (``views``: names that are not files)."""
    refs: list[Ref] = []
    try:
        _walk(tree, views, refs)
    except RecursionError:
        raise ToolError("the SQL is nested too deeply") from None
    return refs


def _walk(node: Any, ctes: frozenset[str], refs: list[Ref]) -> None:
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
            refs.append(Ref(ref_kind, [name], location(node), str(node.get("alias") or "")))
    elif kind == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
        _table_function(node, refs)
    for value in node.values():
        if isinstance(value, (dict, list)):
            _walk(value, ctes, refs)


def _mark_bare(show: dict[str, Any]) -> None:
    """DESCRIBE 'x.csv' / SUMMARIZE 'x.csv' parse as a made-up SELECT * FROM 'x.csv' (its star
    has no location): the name stands alone in the text, so it is replaced by FROM <view>."""
    query = show.get("query")
    if not isinstance(query, dict) or query.get("type") != "SELECT_NODE":
        return
    stars = query.get("select_list") or []
    made_up = len(stars) == 1 and stars[0].get("class") == "STAR" and location(stars[0]) is None
    table = query.get("from_table")
    if made_up and isinstance(table, dict) and table.get("type") == "BASE_TABLE":
        table["_bare"] = True


def _table_function(node: dict[str, Any], refs: list[Ref]) -> None:
    fn = node["function"]
    name = str(fn.get("function_name", "")).lower()
    if name in REFUSED_FUNCTIONS:
        raise ToolError(
            f"{name}() is not available in csv_query: it reads only CSV files in the workspace, "
            "named by path (FROM 'data/x.csv' or read_csv('data/x.csv'))"
        )
    if name not in FILE_FUNCTIONS:
        return
    positional: list[dict[str, Any]] = []
    options: dict[str, bool] = {}
    for arg_name, expr in _arguments(fn):
        if arg_name:
            options[arg_name.lower()] = _option(arg_name, expr)
        elif expr.get("class") == "COMPARISON" and _column(expr.get("left")):
            options[_column(expr.get("left")).lower()] = _option(
                _column(expr.get("left")), expr.get("right") or {}
            )
        else:
            positional.append(expr)
    if len(positional) != 1:
        raise ToolError(f"{name}() takes the file path (or a list of paths) as its one argument")
    first = positional[0]
    text = _string(first)
    if text is not None:
        texts = [text]
    elif first.get("class") == "FUNCTION" and first.get("function_name") in ("list_value", "row"):
        items = [_string(expr) for _, expr in _arguments(first)]
        if not items or any(t is None for t in items):
            raise _computed(name)
        texts = [str(t) for t in items]
    else:
        raise _computed(name)
    alias = str(node.get("alias") or "")
    refs.append(Ref("call", texts, location(node), alias, name, options))


def _computed(name: str) -> ToolError:
    return ToolError(
        f"{name}() needs the file path as a quoted literal (or a list of them), "
        "e.g. read_csv('data/orders.csv'); computed paths are refused"
    )


def _option(name: str, expr: dict[str, Any]) -> bool:
    key = name.lower()
    if key not in OPTIONS:
        raise ToolError(
            f"read_csv option {name!r} is not accepted: csv_query reads every file with the "
            "dialect csv_read detects (delimiter, quoting, encoding, header), so that both tools "
            "see the same cells; the options it takes are union_by_name and filename"
        )
    literal = expr.get("literal") if expr.get("class") == "CONSTANT" else None
    if not isinstance(literal, dict) or literal.get("kind") != "BOOLEAN":
        raise ToolError(f"read_csv option {key} takes true or false")
    return str(literal.get("text")).lower() == "true"


def _column(expr: Any) -> str:
    if isinstance(expr, dict) and expr.get("class") == "COLUMN_REF":
        names = expr.get("column_names") or []
        return str(names[-1]) if len(names) == 1 else ""
    return ""


def _arguments(fn: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Function arguments in both parse-tree layouts (DuckDB 2.x "arguments", 1.x "children")."""
    if isinstance(fn.get("arguments"), list):
        return [(str(a.get("name") or ""), a.get("expression") or {}) for a in fn["arguments"]]
    return [("", child) for child in fn.get("children") or []]


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


def location(node: dict[str, Any]) -> int | None:
    loc = node.get("query_location")
    return loc if isinstance(loc, int) and 0 <= loc < _NO_LOCATION else None


def referenced_names(tree: dict[str, Any], tables: set[str]) -> frozenset[str] | None:
    """The lower-cased names a statement may read columns by, or None when it may read any
    column (a star, COLUMNS(...), a positional reference, a NATURAL join, or a table alias used
    as a value, which packs the whole row). ``tables`` holds the file references' aliases."""
    names: set[str] = set()
    aliases = {t.lower() for t in tables}
    stack: list[Any] = [tree]
    while stack:  # no recursion: the tree may be deep
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        cls = node.get("class")
        if cls in ("STAR", "POSITIONAL_REFERENCE") or node.get("ref_type") == "NATURAL":
            return None
        if node.get("type") in ("BASE_TABLE", "TABLE_FUNCTION", "SUBQUERY") and node.get("alias"):
            aliases.add(str(node["alias"]).lower())
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            aliases.update(str(e.get("key", "")).lower() for e in cte_map.get("map") or [])
        if cls == "COLUMN_REF":
            parts = [str(p).lower() for p in node.get("column_names") or []]
            names.update(parts)
            if len(parts) == 1 and parts[0] in aliases:
                return None
        for column in node.get("using_columns") or []:
            names.add(str(column).lower())
        stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
    if names & aliases:
        return None  # a name that is also a table: it may pack that table's row
    return frozenset(names)


# Where a reference sits in the text (byte offsets: DuckDB's locations count bytes).

LITERAL = re.compile(rb"""[eE]?'(?:[^']|'')*'|"(?:[^"]|"")*\"""")
_SKIP = re.compile(rb"""\s+|--[^\n]*|/\*.*?\*/""", re.S)
_NAME = re.compile(
    rb"""(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")*")(?:\s*\.\s*(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")*"))*"""
)
_TOKEN = re.compile(
    rb"""[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$\$.*?\$\$|[()]|[^()'"$/-]+|.""",
    re.S,
)


def unquote(literal: bytes) -> str | None:
    text = literal.decode(errors="replace")
    if text[:1] in "eE":
        return None if "\\" in text else text[2:-1].replace("''", "'")
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


def bare_statement(sql: str) -> str:
    """``sql`` up to its last token that is not a comment, a semicolon or a space, so that it can
    be wrapped as a subquery: ``SELECT 1; -- note`` becomes ``SELECT 1`` (a semicolon inside a
    string, a quoted name or a comment stays where it is)."""
    data = sql.encode()
    end = 0
    for token in _TOKEN.finditer(data):
        text = token.group()
        if text.startswith((b"--", b"/*")):
            continue
        kept = text.rstrip(b" \t\r\n\f\v;")
        if kept:
            end = token.start() + len(kept)
    return data[:end].decode(errors="replace")


def call_span(data: bytes, start: int) -> tuple[int, int] | None:
    """The byte span of ``name(...)`` starting at ``start``, or None when it is not there."""
    name = _NAME.match(data, start)
    if not name:
        return None
    pos = name.end()
    while (skip := _SKIP.match(data, pos)) and skip.end() > pos:
        pos = skip.end()
    if data[pos : pos + 1] != b"(":
        return None
    depth = 0
    for token in _TOKEN.finditer(data, pos):
        if token.group() == b"(":
            depth += 1
        elif token.group() == b")":
            depth -= 1
            if depth == 0:
                return start, token.end()
    return None
