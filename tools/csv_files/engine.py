"""The locked DuckDB engine csv_query and csv_write share: a fresh in-memory database per query
that may open only the files the SQL was checked to name, with its configuration locked."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.base import ToolError
from tools.csv_files.sqlpaths import Prepared, prepare
from tools.workspace import Workspace

_BASE_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    # The Python client would otherwise scan the caller's variables for table names.
    "python_enable_replacements": False,
}
MAX_ERROR_CHARS = 1_500


@dataclass(frozen=True)
class QueryLimits:
    """What one query may use. ``threads`` None means one per CPU (at most 8)."""

    timeout: float = 120.0
    memory_limit: str = "512MB"
    threads: int | None = None
    max_temp_size: str = "8GB"


def connect_locked(files: list[Path], limits: QueryLimits, temp_dir: str | None) -> Any:
    """An in-memory DuckDB that may open only ``files`` (and spill to ``temp_dir``), with
    external access off, extensions neither installed nor loaded, and its settings locked."""
    import duckdb  # here, not at the top: it takes a third of a second to import

    con = duckdb.connect(":memory:", config=_BASE_CONFIG)
    try:
        if files:
            # Exact files only, never a folder: a folder would let a symlink or a protected
            # subfolder in, and allowed_directories cannot name exceptions.
            con.execute("SET allowed_paths = ?", [[str(p) for p in files]])
        if temp_dir is not None:
            con.execute("SET temp_directory = ?", [temp_dir])
            con.execute("SET max_temp_directory_size = ?", [limits.max_temp_size])
        # DuckDB draws a progress bar on stdout for long queries: it would scribble over the TUI.
        con.execute("SET enable_progress_bar = false")
        con.execute("SET enable_progress_bar_print = false")
        con.execute("SET memory_limit = ?", [limits.memory_limit])
        con.execute(f"SET threads = {int(limits.threads or min(os.cpu_count() or 1, 8))}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


_parser_db: Any = None
_parser_lock = threading.Lock()


def parser_connection() -> Any:
    """A connection to a shared, locked database with no file access at all: it only parses SQL.
    (One database for the process; each caller gets its own connection, so threads do not share.)"""
    global _parser_db
    with _parser_lock:
        if _parser_db is None:
            _parser_db = connect_locked([], QueryLimits(memory_limit="64MB", threads=1), None)
        return _parser_db.cursor()


@contextmanager
def locked_query(
    sql: str, ws: Workspace, limits: QueryLimits
) -> Iterator[tuple[Prepared, Any, _Deadline]]:
    """Check and rewrite ``sql``, then yield (prepared, connection, deadline) with a private
    spill folder outside the workspace; everything is closed and removed afterwards."""
    import duckdb

    parser = parser_connection()
    try:
        prepared = prepare(parser, sql, ws)
    except duckdb.Error as exc:
        raise ToolError(clean_error(exc, ws)) from None
    finally:
        parser.close()
    temp_dir = tempfile.mkdtemp(prefix="csv-query-")
    con = connect_locked(prepared.files, limits, temp_dir)
    deadline = _Deadline(con, limits.timeout)
    try:
        yield prepared, con, deadline
    except duckdb.InterruptException:
        raise ToolError(
            f"the query ran longer than {limits.timeout:g} s and was stopped; filter or aggregate "
            "more, or add a LIMIT"
        ) from None
    except duckdb.Error as exc:
        raise ToolError(clean_error(exc, ws)) from None
    finally:
        deadline.cancel()
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


class _Deadline:
    """Interrupts the connection when the time is up (DuckDB checks between vectors)."""

    def __init__(self, con: Any, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self._con = con
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                self._con.interrupt()

    def left(self) -> float:
        return self.ends - time.monotonic()

    def cancel(self) -> None:
        """Stop the timer; after this the connection may be closed safely."""
        with self._lock:
            self._done = True
        self._timer.cancel()


def clean_error(exc: BaseException, ws: Workspace) -> str:
    """DuckDB's message with the workspace's absolute paths made relative again, and bounded."""
    text = str(exc).strip()
    root = str(ws.root)
    text = text.replace(root + os.sep, "").replace(root, ".")
    text = re.sub(r"\n\s*\n", "\n", text)
    if "file system operations are disabled by configuration" in text:
        text += " (csv_query may read only CSV files in the workspace that the query names)"
    if "not utf-8 encoded" in text:
        text = (
            "the file is not UTF-8: read it with read_csv('path', encoding='latin-1') "
            "(or 'utf-16'); DuckDB said: " + text
        )
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text


def wrap_count(sql: str) -> str:
    """``SELECT count(*)`` over a query, robust to a trailing semicolon or line comment."""
    body = sql.rstrip().rstrip(";").rstrip()
    return f"SELECT count(*) FROM (\n{body}\n) AS csv_query_total"
