"""Turns the files a csv_query statement names into checked workspace files, and rewrites the SQL
to read each reference from a view that the engine builds with the dialect csv_read detects.

Every file is resolved through the Workspace and asked of the deny rules; a pattern skips what it
may not read with a note that names none of it; a file with other hard links is noted."""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tools.base import RuleRefusal, ToolError
from tools.csv_files.globwalk import expand, has_magic
from tools.csv_files.sqlrefs import (
    LITERAL,
    MAX_SQL_CHARS,
    Ref,
    call_span,
    find_refs,
    parse,
    referenced_names,
    unquote,
)
from tools.words import plural
from tools.workspace import PathEscapeError, Workspace

__all__ = ["MAX_SQL_CHARS", "Prepared", "Source", "SourceFile", "prepare"]

MAX_FILES = 1_000
PLAN_SECONDS = 10.0
VIEW_PREFIX = "csv_query_src_"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

Denied = Callable[[str], "str | None"]
"""target ("path:<rel>") -> the reason a deny rule gives, or None."""


@dataclass(frozen=True)
class SourceFile:
    real: str
    rel: str


@dataclass
class Source:
    """What one view reads: one or more files, unioned by position (or by name)."""

    view: str
    files: list[SourceFile]
    union_by_name: bool = False
    filename: bool = False


@dataclass
class Prepared:
    """SQL ready for the engine: every file reference replaced by a view over checked files."""

    sql: str
    sources: list[Source] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns: frozenset[str] | None = None
    """The lower-cased names the SQL may read columns by; None: it may read any column."""

    @property
    def rels(self) -> list[str]:
        return list(dict.fromkeys(f.rel for s in self.sources for f in s.files))


def prepare(
    con: Any,
    sql: str,
    ws: Workspace,
    *,
    denied: Denied | None = None,
    deadline: float | None = None,
) -> Prepared:
    """Find, check and rewrite the file references in ``sql`` (see the module docstring)."""
    deadline = time.monotonic() + PLAN_SECONDS if deadline is None else deadline
    tree = parse(con, sql)
    refs = find_refs(tree)
    prepared = Prepared(sql)
    data = sql.encode()
    edits: list[tuple[int, int, str]] = []
    by_key: dict[tuple[Any, ...], Source] = {}
    for ref in refs:
        start, end = _place(data, ref, edits)
        files: list[SourceFile] = []
        for text in ref.texts:
            files.extend(_resolve(text, ws, prepared.notes, denied, deadline))
        key = (
            tuple(files),
            ref.options.get("union_by_name", False),
            ref.options.get("filename", False),
        )
        source = by_key.get(key)
        if source is None:
            source = Source(f"{VIEW_PREFIX}{len(by_key) + 1}", files, key[1], key[2])
            by_key[key] = source
            prepared.sources.append(source)
        edits.append((start, end, _replacement(ref, source.view)))
        for f in files:
            if Path(f.real) not in prepared.files:
                prepared.files.append(Path(f.real))
        if len(prepared.files) > MAX_FILES:
            raise ToolError(f"the query names more than {MAX_FILES} files")
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text.encode() + data[end:]
    prepared.sql = data.decode()
    tables = {r.alias or r.function or _default_alias(r.texts[0]) for r in refs}
    prepared.columns = referenced_names(tree, tables)
    _note_links(prepared, ws)
    if edits:
        _verify(con, prepared)
    return prepared


def _resolve(
    text: str, ws: Workspace, notes: list[str], denied: Denied | None, deadline: float
) -> list[SourceFile]:
    """The files a reference stands for; every one inside the workspace, regular and allowed."""
    if _URL.match(text):
        raise ToolError(f"{text!r}: URLs are refused; csv_query reads files in the workspace only")
    if not has_magic(text):
        real = ws.resolve(text, must_exist=True)
        if not stat.S_ISREG(os.stat(real).st_mode):
            raise ToolError(f"{text!r} is not a file")
        reason = _denied(denied, _spelled(text), ws.relative(real))
        if reason:
            raise RuleRefusal(f"{text!r} is refused by a deny rule: {reason}")
        return [SourceFile(str(real), ws.relative(real))]
    ws.resolve(text)  # refuses absolute, ~ and NUL before the pattern touches the disk
    if ".." in PurePosixPath(text).parts:
        raise ToolError(f"{text!r}: '..' is not allowed in a file pattern")
    found: list[SourceFile] = []
    outside = refused = 0
    for match in expand(text, ws, deadline):
        try:
            real = ws.resolve(match)
        except PathEscapeError:
            outside += 1
            continue
        if not real.is_file():
            continue
        if _denied(denied, match, ws.relative(real)):
            refused += 1
            continue
        item = SourceFile(str(real), ws.relative(real))
        if item not in found:
            found.append(item)
        if len(found) > MAX_FILES:
            raise ToolError(f"{text!r} matches more than {MAX_FILES} files")
    if outside:
        notes.append(
            f"{plural(outside, 'match', 'matches')} of {text!r} skipped: outside the workspace"
            " or the assistant's data"
        )
    if refused:
        notes.append(
            f"{plural(refused, 'match', 'matches')} of {text!r} skipped: a deny rule covers them"
        )
    if not found:
        raise ToolError(f"no files in the workspace match {text!r}")
    return found


def _spelled(text: str) -> str:
    return PurePosixPath(os.path.normpath(text)).as_posix()


def _denied(denied: Denied | None, *rels: str) -> str | None:
    if denied is None:
        return None
    for rel in dict.fromkeys(rels):
        reason = denied(f"path:{rel}")
        if reason:
            return reason
    return None


def _note_links(prepared: Prepared, ws: Workspace) -> None:
    for path in prepared.files:
        extra = ws.extra_links(path)
        if extra:
            prepared.notes.append(
                f"{ws.relative(path)} has {extra + 1} hard links: another link may be a file "
                "outside the workspace (read here as it is)"
            )


def _place(data: bytes, ref: Ref, taken: list[tuple[int, int, str]]) -> tuple[int, int]:
    """Byte span to replace: the literal for FROM 'x.csv', the whole call for read_csv(...)."""
    if ref.kind == "call":
        span = call_span(data, ref.location) if ref.location is not None else None
        if span is None:
            raise ToolError(f"the call {ref.function}(...) could not be located in the query")
        return span
    text = ref.texts[0]
    if ref.location is not None:
        match = LITERAL.match(data, ref.location)
        if match and unquote(match.group()) == text:
            return match.span()
        raise _not_a_table(text)  # an unquoted name: FROM orders
    spans = [
        m.span()
        for m in LITERAL.finditer(data)
        if unquote(m.group()) == text
        and not any(s < m.end() and m.start() < e for s, e, _ in taken)
    ]
    if not spans:
        raise _not_a_table(text)
    if len(spans) != 1:
        raise ToolError(
            f"the path {text!r} could not be located in the query; write it once, e.g. "
            f"SELECT * FROM '{text}'"
        )
    return spans[0]


def _not_a_table(name: str) -> ToolError:
    return ToolError(
        f"{name!r} is not a table: name CSV files by quoted path, e.g. FROM '{name}.csv'"
    )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _replacement(ref: Ref, view: str) -> str:
    if ref.kind == "bare":
        return f"FROM {_ident(view)}"
    if ref.alias:
        return _ident(view)  # the alias follows in the text
    if ref.kind == "call":
        return f"{_ident(view)} AS {_ident(ref.function)}"
    return f"{_ident(view)} AS {_ident(_default_alias(ref.texts[0]))}"


def _default_alias(text: str) -> str:
    """DuckDB's alias for FROM 'dir/name.ext': the file name up to its first dot."""
    name = PurePosixPath(text).name
    return name.split(".", 1)[0] or name


def _verify(con: Any, prepared: Prepared) -> None:
    """Parse the rewritten SQL again: no file may be left in it, only the views."""
    views = frozenset(s.view for s in prepared.sources)
    tree = parse(con, prepared.sql, max_chars=len(prepared.sql))
    for ref in find_refs(tree):
        if ref.kind not in ("table", "bare") or ref.texts[0] not in views:
            raise ToolError(f"internal check failed: {ref.texts[0]!r} survived the rewrite")
