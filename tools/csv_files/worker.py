"""The worker process one csv_query (or csv_write's query) runs in, forked by the zygote: it caps
its own memory and file sizes, builds the views, runs the SQL and sends back rows already
rendered, or an error."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from typing import Any

import duckdb  # loaded once by the server workers are forked from

from tools.base import ToolError
from tools.csv_files.coltypes import quote_ident
from tools.csv_files.engine import (
    Answer,
    Job,
    QueryLimits,
    clean_error,
    connect_locked,
    parse_size,
    wrap_count,
)
from tools.csv_files.loader import FileFacts, Loaded, Loader, file_key
from tools.csv_files.readerror import ReadFile
from tools.csv_files.table import json_value, text_value
from tools.csv_files.typepass import RECHECK, Col, view_sql
from tools.csv_files.zygote import recv_msg, send_msg


def serve_one(sock: socket.socket) -> int:
    """A forked worker's life: say its pid, read its job, send ("ok", Answer) or ("error",
    message). Returns the exit status."""
    send_msg(sock, ("pid", os.getpid()))
    job: Job = recv_msg(sock)
    send_msg(sock, _answer(job))
    sock.close()
    return 0


def _answer(job: Job) -> tuple[str, Any]:
    names: dict[str, str] = {f.real: f.rel for s in job.sources for f in s.files}
    reads: dict[str, ReadFile] = {}
    try:
        _limit(job.limits)
        try:
            return ("ok", _run(job, names, reads))
        except duckdb.Error as exc:
            if RECHECK not in str(exc) or job.columns is None:
                raise
            job.columns = None  # a column the query reads after all: test every one
            return ("ok", _run(job, names, reads))
    except duckdb.InterruptException:
        return ("error", _timeout(job.limits))
    except (duckdb.OutOfMemoryException, MemoryError) as exc:
        return ("error", _memory(job.limits, exc, job.root, names))
    except (ToolError, duckdb.Error) as exc:
        return ("error", clean_error(exc, job.root, names, reads))
    except OSError as exc:
        return ("error", f"a file could not be read: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - a bug: say what it was, without a traceback
        message = f"internal error in csv_query: {type(exc).__name__}: {exc}"
        return ("error", clean_error(message, job.root, names))


MEMORY_EXIT = 3
"""The exit status of a worker stopped for holding more memory than its limit."""


def _limit(limits: QueryLimits) -> None:
    """Keep the process within its memory: a watch on its resident size stops it past the limit,
    and an address-space cap makes one absurd allocation (a string of gigabytes) fail at once.
    Files it writes (spill, copies) may not grow past the spill limit."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    cap = limits.process_bytes
    virtual = 2 * cap + 512 * 2**20  # DuckDB reserves more than it touches
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (virtual, virtual))
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big file fails to write, no kill
        size = parse_size(limits.max_temp_size)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    if os.path.exists("/proc/self/statm"):
        threading.Thread(target=_watch, args=(cap,), daemon=True).start()


def _watch(cap: int) -> None:
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm", "rb", buffering=0) as statm:
        while True:
            statm.seek(0)
            if int(statm.read().split()[1]) * page > cap:
                os._exit(MEMORY_EXIT)
            time.sleep(0.01)


def _run(job: Job, names: dict[str, str], reads: dict[str, ReadFile]) -> Answer:
    """The query's answer; ``names`` and ``reads`` learn the paths DuckDB reads, for errors."""
    started = time.monotonic()
    deadline = started + job.limits.timeout
    loader = Loader(job.temp_dir, deadline, job.skip_ragged, job.copy_dir)
    loaded: dict[str, Loaded] = {}
    known: dict[str, FileFacts] = {}
    for source in job.sources:
        for file in source.files:
            if file.real in loaded:
                continue
            fact = job.facts.get(file.real)
            if fact is not None and fact.usable(file, job.skip_ragged):
                known[file.real] = fact
                loaded[file.real] = fact.loaded(file)
                if fact.copy:
                    loader.copies[fact.copy] = file.rel
            else:
                loaded[file.real] = loader.inspect(file)
    _learn(reads, loaded, loader)
    files = [f.real for s in job.sources for f in s.files]
    con = connect_locked(files, job.limits, job.temp_dir, job.copy_dir)
    timer = threading.Timer(max(deadline - time.monotonic(), 0), con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        notes: list[str] = []
        cols: dict[str, list[Col]] = {}
        facts: dict[str, FileFacts] = {}
        for real, item in loaded.items():
            wanted = None
            if job.columns is not None:
                wanted = {i for i, n in enumerate(item.header) if n.lower() in job.columns}
            before = known[real].cols if real in known else None
            item, cols[real] = loader.types(con, item, wanted, before)
            loaded[real] = item
            facts[real] = FileFacts.of(file_key(real, job.skip_ragged), item, cols[real])
        names.update(loader.copies)
        _learn(reads, loaded, loader)
        for source in job.sources:
            parts = [(loaded[f.real], cols[f.real]) for f in source.files]
            select, source_notes = view_sql(con, source, parts)
            notes.extend(source_notes)
            con.execute(f"CREATE TEMP VIEW {quote_ident(source.view)} AS {select}")
        cursor = con.execute(job.sql)
        columns = [str(d[0]) for d in cursor.description]
        types = [str(d[1]) for d in cursor.description]
        rows = cursor.fetchmany(job.fetch)
        total: int | None = len(rows)
        if job.count and len(rows) == job.fetch:
            rows = rows[: job.fetch - 1]
            total = _count(con, job.sql)
        render = text_value if job.text else json_value
        out = [[render(v, t) for v, t in zip(row, types, strict=True)] for row in rows]
        return Answer(columns, types, out, total, list(dict.fromkeys(notes)), facts)
    finally:
        timer.cancel()
        con.close()


def _learn(reads: dict[str, ReadFile], loaded: dict[str, Loaded], loader: Loader) -> None:
    """Note each path DuckDB reads: a file itself (its own line numbers) or a copy of it."""
    headers = {item.rel: item.header for item in loaded.values()}
    reads.update({r: ReadFile(i.rel, i.header, True) for r, i in loaded.items() if i.plain})
    for path, rel in loader.copies.items():
        reads[path] = ReadFile(rel, headers.get(rel, []), False)


def _count(con: Any, sql: str) -> int | None:
    try:
        return int(con.execute(wrap_count(sql)).fetchone()[0])
    except (duckdb.InterruptException, duckdb.OutOfMemoryException):
        raise
    except duckdb.Error:
        return None  # e.g. a statement DuckDB cannot nest; the page is still right


def _timeout(limits: QueryLimits) -> str:
    return (
        f"the query ran longer than {limits.timeout:g} s and was stopped; filter or aggregate "
        "more, or add a LIMIT"
    )


def _memory(limits: QueryLimits, exc: BaseException, root: str, names: dict[str, str]) -> str:
    detail = clean_error(str(exc).split("\n", 1)[0], root, names)
    return (
        f"the query needs more memory than csv_query may use ({limits.describe_memory()}) and was "
        f"stopped; aggregate or filter more, or select fewer or smaller values ({detail})"
    )
