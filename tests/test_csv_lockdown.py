"""The locked DuckDB engine on its own, without csv_query's SQL checks in front: each way out
(ATTACH, INSTALL, LOAD, COPY TO, files and URLs not allowed, SET/PRAGMA, getenv, variables of
the calling Python code) is refused by DuckDB's own configuration."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tools.csv_files.engine import QueryLimits, connect_locked


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    ws = tmp_path / "ws"
    outside = tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (ws / "ok.csv").write_text("a,b\n1,2\n")
    (ws / "other.csv").write_text("a,b\n3,4\n")
    (outside / "secret.csv").write_text("secret\nhunter2\n")
    (ws / "link.csv").symlink_to(outside / "secret.csv")
    return {
        "ws": ws,
        "ok": ws / "ok.csv",
        "other": ws / "other.csv",
        "secret": outside / "secret.csv",
        "link": ws / "link.csv",
    }


@pytest.fixture
def con(files: dict[str, Path], tmp_path: Path) -> Iterator[Any]:
    spill = tmp_path / "spill"
    spill.mkdir()
    connection = connect_locked(
        [files["ok"]], QueryLimits(memory_limit="64MB", threads=1), str(spill)
    )
    yield connection
    connection.close()


def refused(con: Any, sql: str) -> str:
    with pytest.raises(duckdb.Error) as err:
        con.execute(sql).fetchall()
    return str(err.value)


def test_the_allowed_file_is_readable(con: Any, files: dict[str, Path]) -> None:
    assert con.execute(f"SELECT * FROM read_csv('{files['ok']}')").fetchall() == [(1, 2)]


def test_files_not_named_are_refused_even_inside_the_workspace(
    con: Any, files: dict[str, Path]
) -> None:
    for path in (files["secret"], files["other"], files["link"], files["ws"] / "*.csv"):
        assert "disabled by configuration" in refused(con, f"SELECT * FROM read_csv('{path}')")
    assert "disabled by configuration" in refused(
        con, f"SELECT * FROM '{files['ws']}/../outside/secret.csv'"
    )
    assert "disabled by configuration" in refused(con, "SELECT * FROM read_text('/etc/hostname')")
    assert "disabled by configuration" in refused(con, "SELECT * FROM glob('/etc/*')")
    nested = f"SELECT * FROM query('SELECT * FROM read_csv(''{files['secret']}'')')"
    assert "disabled by configuration" in refused(con, nested)


@pytest.mark.parametrize(
    "statement",
    [
        "ATTACH '{ws}/x.db' AS x",
        "COPY (SELECT 42) TO '{ws}/out.csv'",
        "COPY (SELECT 42) TO '{ws}/../out.csv'",
        "EXPORT DATABASE '{ws}/dump'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "LOAD '{ws}/evil.duckdb_extension'",
    ],
)
def test_writing_attaching_and_extensions_are_refused(
    con: Any, files: dict[str, Path], statement: str
) -> None:
    message = refused(con, statement.format(ws=files["ws"]))
    assert "disabled" in message
    assert sorted(p.name for p in files["ws"].iterdir()) == ["link.csv", "ok.csv", "other.csv"]
    assert not (files["ws"].parent / "out.csv").exists()


@pytest.mark.parametrize(
    "statement",
    [
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET allowed_paths = ['/etc/passwd']",
        "RESET allowed_paths",
        "SET lock_configuration = false",
        "SET autoload_known_extensions = true",
        "SET memory_limit = '100GB'",
        "SET threads = 64",
        "SET temp_directory = '/tmp'",
        "PRAGMA threads = 64",
        "PRAGMA enable_profiling",
    ],
)
def test_configuration_is_locked(con: Any, statement: str) -> None:
    assert "the configuration has been locked" in refused(con, statement)
    assert con.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)


def test_getenv_does_not_exist(con: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSV_LOCKDOWN_SECRET", "hunter2")
    message = refused(con, "SELECT getenv('CSV_LOCKDOWN_SECRET')")
    assert "hunter2" not in message


def test_python_variables_are_not_tables(con: Any) -> None:
    leak = [{"secret": "hunter2"}]  # noqa: F841 - the replacement scan would look it up by name
    assert "does not exist" in refused(con, "SELECT * FROM leak")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def test_urls_are_refused_and_nothing_is_requested(con: Any, files: dict[str, Path]) -> None:
    hits: list[str] = []

    class Handler(_Quiet):
        def do_GET(self) -> None:
            hits.append(self.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ok.csv"
        assert "disabled by configuration" in refused(con, f"SELECT * FROM read_csv('{url}')")
        assert "disabled by configuration" in refused(con, f"SELECT * FROM '{url}'")
        assert "disabled by configuration" in refused(
            con, "SELECT * FROM read_csv('s3://bucket/x.csv')"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []


def test_secrets_cannot_be_stored(con: Any) -> None:
    message = refused(con, "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')")
    # DuckDB 2.x refuses the secrets folder; 1.3 never gets that far (httpfs is not loaded).
    assert "disabled by configuration" in message or "does not exist" in message


def test_no_progress_bar_is_drawn_on_the_terminal(con: Any) -> None:
    settings = "SELECT current_setting('enable_progress_bar'), current_setting('enable_progress_bar_print')"
    assert con.execute(settings).fetchone() == (False, False)
    assert "the configuration has been locked" in refused(con, "SET enable_progress_bar = true")
