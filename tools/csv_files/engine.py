"""The locked DuckDB engine csv_query and csv_write share.

Each query runs in its own short-lived worker process (forked from a small server that has
DuckDB loaded, see zygote), so that its limits hold: the process may not grow past the memory limit (a
string of two gigabytes fails there with a clear error instead of swelling the app), and it is
killed when the deadline passes, whatever it is doing. Inside it, a fresh in-memory database may
open only the files the SQL was checked to name, with external access off and its settings locked.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.base import ToolError
from tools.csv_files import scratch
from tools.csv_files.readerror import ReadFile, reader_error
from tools.csv_files.sqlpaths import Prepared, Source
from tools.csv_files.sqlrefs import bare_statement
from tools.csv_files.zygote import Zygote, recv_msg, send_msg

_BASE_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    # The Python client would otherwise scan the caller's variables for table names.
    "python_enable_replacements": False,
}
MAX_ERROR_CHARS = 1_500
GRACE_SECONDS = 5.0
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4}
_UNITS |= {"kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


@dataclass(frozen=True)
class QueryLimits:
    """What one query may use. ``memory_limit`` is DuckDB's own (it spills to disk beyond it);
    the worker process as a whole may hold ``memory_limit`` + ``overhead`` of memory: past that
    it is stopped with an error. ``threads`` None means one per CPU (at most 8)."""

    timeout: float = 120.0
    memory_limit: str = "512MB"
    threads: int | None = None
    max_temp_size: str = "8GB"
    plan_timeout: float = 10.0
    overhead: str = "256MB"
    """The interpreter, DuckDB's code and what DuckDB allocates outside its buffer manager."""

    @property
    def thread_count(self) -> int:
        return int(self.threads or min(os.cpu_count() or 1, 8))

    @property
    def process_bytes(self) -> int:
        """The most resident memory the worker process may hold."""
        return parse_size(self.memory_limit) + parse_size(self.overhead)

    def describe_memory(self) -> str:
        return f"{self.process_bytes / 2**20:,.0f} MiB"


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ToolError(f"not a size: {text!r} (e.g. 512MB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def connect_locked(
    files: list[Path] | list[str],
    limits: QueryLimits,
    temp_dir: str | None,
    copy_dir: str | None = None,
) -> Any:
    """An in-memory DuckDB that may open only ``files`` and what is in ``temp_dir`` (its spill
    folder and csv_query's own copies), with external access off, extensions neither installed
    nor loaded, and its settings locked."""
    import duckdb  # here, not at the top: it takes a third of a second to import

    con = duckdb.connect(":memory:", config=_BASE_CONFIG)
    try:
        if files:
            # Exact files only, never a workspace folder: a folder would let a symlink or a
            # protected subfolder in, and allowed_directories cannot name exceptions.
            con.execute("SET allowed_paths = ?", [[str(p) for p in files]])
        if temp_dir is not None:
            folders = [temp_dir] if copy_dir is None else [temp_dir, copy_dir]
            con.execute("SET allowed_directories = ?", [folders])
            con.execute("SET temp_directory = ?", [temp_dir])
            con.execute("SET max_temp_directory_size = ?", [limits.max_temp_size])
        # DuckDB draws a progress bar on stdout for long queries: it would scribble over the TUI.
        con.execute("SET enable_progress_bar = false")
        con.execute("SET enable_progress_bar_print = false")
        con.execute("SET memory_limit = ?", [limits.memory_limit])
        con.execute(f"SET threads = {limits.thread_count}")
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


@dataclass
class Job:
    """One query for a worker: the rewritten SQL, what its views read, and what to send back."""

    sql: str
    sources: list[Source]
    limits: QueryLimits
    temp_dir: str
    root: str
    fetch: int
    count: bool
    text: bool
    """Rows as CSV cell text (csv_write) rather than JSON values (csv_query)."""
    skip_ragged: bool = False
    columns: frozenset[str] | None = None
    """The names the SQL may read columns by (None: any), so that only those are tested."""
    facts: dict[str, Any] = field(default_factory=dict)
    """What earlier queries learnt about these files (loader.FileFacts), by real path."""
    copy_dir: str | None = None
    """Where copies of files DuckDB may not read itself are kept for later queries."""


@dataclass
class Answer:
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    total: int | None
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


class _Facts:
    """What queries learnt about files, kept in the app for the next query on the same version
    of a file (a few dozen files; the oldest go first)."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, reals: list[str]) -> dict[str, Any]:
        with self._lock:
            return {r: self._items[r] for r in reals if r in self._items}

    def put(self, facts: dict[str, Any]) -> None:
        with self._lock:
            for real, fact in facts.items():
                self._items[real] = fact
                self._items.move_to_end(real)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_facts = _Facts()


class _Copies:
    """A private folder of the copies made for files DuckDB may not read itself, kept so that a
    later query on the same version of a file need not copy it again; the oldest go first past
    the size limit, and the folder goes when the app ends (or, if it is killed, when the next
    one makes its own: ``scratch``)."""

    def __init__(self) -> None:
        self._dir: str | None = None
        self._lock = threading.Lock()

    def folder(self) -> str:
        with self._lock:
            if self._dir is None or not os.path.isdir(self._dir):
                self._dir = scratch.make_dir("csv-copies")
            return self._dir

    def trim(self, max_bytes: int) -> None:
        with self._lock:
            if self._dir is None:
                return
            entries = []
            for entry in os.scandir(self._dir):
                with contextlib.suppress(OSError):
                    info = entry.stat()
                    entries.append((info.st_mtime_ns, info.st_size, entry.path))
            total = sum(size for _, size, _ in entries)
            for _, size, path in sorted(entries):
                if total <= max_bytes:
                    break
                with contextlib.suppress(OSError):
                    os.unlink(path)
                total -= size

    def remove(self) -> None:
        with self._lock:
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None


_copies = _Copies()


_zygote = Zygote()


def warm_workers() -> None:
    """Start the worker server in the background (a query is coming)."""
    _zygote.warm()


def stop_workers() -> None:
    """Stop the server workers are forked from (it starts again when needed), waiting for it:
    the app calls this at exit, and a test to count the workers' memory in its own."""
    _zygote.stop()


atexit.register(stop_workers)
atexit.register(_copies.remove)


def run_job(prepared: Prepared, ws_root: Path, limits: QueryLimits, **options: Any) -> Answer:
    """Run ``prepared`` in a worker within ``limits``; a ToolError says what went wrong."""
    temp_dir = scratch.make_dir("csv-query")
    reals = [f.real for s in prepared.sources for f in s.files]
    job = Job(
        prepared.sql,
        prepared.sources,
        limits,
        temp_dir,
        str(ws_root),
        **options,
        columns=prepared.columns,
        facts=_facts.get(reals),
        copy_dir=_copies.folder() if reals else None,
    )
    try:
        sock = _zygote.open()
    except OSError as exc:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise ToolError(f"the query engine could not be started: {exc.strerror or exc}") from None
    pid = 0
    try:
        sock.settimeout(60)
        kind, payload = recv_msg(sock)
        if kind != "pid":
            raise ToolError(_died(payload, limits))
        pid = payload
        send_msg(sock, job)
        sock.settimeout(max(limits.timeout + GRACE_SECONDS, 0.001))
        kind, payload = recv_msg(sock)
    except TimeoutError:
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        raise ToolError(_timeout(limits)) from None
    except (EOFError, OSError):
        raise ToolError(_died(None, limits)) from None
    finally:
        sock.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
    if kind == "exit":
        raise ToolError(_died(payload, limits))
    if kind != "ok":
        raise ToolError(str(payload))
    answer: Answer = payload
    _facts.put(answer.facts)
    _copies.trim(parse_size(limits.max_temp_size) // 2)
    answer.notes = [*prepared.notes, *answer.notes]
    return answer


def _timeout(limits: QueryLimits) -> str:
    return (
        f"the query ran longer than {limits.timeout:g} s and was stopped; filter or aggregate "
        "more, or add a LIMIT"
    )


def _died(code: int | None, limits: QueryLimits) -> str:
    if code == 3:  # worker.MEMORY_EXIT
        return (
            f"the query needed more memory than csv_query may use ({limits.describe_memory()}) "
            "and was stopped; aggregate or filter more, or select fewer or smaller values"
        )
    how = f"signal {-code}" if isinstance(code, int) and code < 0 else f"exit status {code}"
    if code is None:
        how = "no answer"
    return f"the query engine stopped unexpectedly ({how}); nothing was returned"


def clean_error(
    exc: BaseException | str,
    root: str,
    names: dict[str, str] | None = None,
    files: dict[str, ReadFile] | None = None,
) -> str:
    """DuckDB's message with the workspace's absolute paths (and csv_query's own copies) made
    relative again, and bounded; a CSV reader error said briefly (see readerror; ``files``: what
    the query reads, by the path DuckDB opens)."""
    text = str(exc).strip()
    text = reader_error(text, files or {}) or text
    for path, rel in sorted((names or {}).items(), key=lambda kv: -len(kv[0])):
        text = text.replace(path, rel)
    text = text.replace(root + os.sep, "").replace(root, ".")
    text = re.sub(r"\n\s*\n", "\n", text)
    if "file system operations are disabled by configuration" in text:
        text += " (csv_query may read only CSV files in the workspace that the query names)"
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text


def wrap_count(sql: str) -> str:
    """``SELECT count(*)`` over a query, robust to trailing semicolons and comments."""
    body = bare_statement(sql)
    return f"SELECT count(*) FROM (\n{body}\n) AS csv_query_total"
