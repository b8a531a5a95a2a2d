"""A small server process with DuckDB loaded that forks one worker per query.

Forking from it costs milliseconds where starting Python and DuckDB costs a quarter of a second,
and unlike multiprocessing's own servers it never re-runs the caller's main script in a worker.
The app talks to it over a socket: each query sends it one end of a fresh socket pair; the worker
forked for it reads the job there, answers there, and the server adds the worker's exit status
when it has ended (so a worker stopped for its memory is told apart from one that crashed).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import socket
import struct
import subprocess
import sys
import threading
from typing import Any

_HEADER = struct.Struct("!Q")


def send_msg(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def recv_msg(sock: socket.socket) -> Any:
    """One message, or EOFError when the other end closed first."""
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    return pickle.loads(_recv_exact(sock, size))


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("closed")
        chunks += chunk
    return bytes(chunks)


def serve(control_fd: int) -> None:
    """The server's loop: fork a worker per request; report each worker's end; stop when the
    app closes its end of the control socket."""
    import duckdb  # noqa: F401 - loaded once here, shared by every worker forked after

    from tools.csv_files import worker

    control = socket.socket(fileno=control_fd)
    children: dict[int, socket.socket] = {}
    while True:
        ready, _, _ = select.select([control], [], [], 0.1)
        _reap(children)
        if not ready:
            continue
        try:
            msg, fds, _flags, _addr = socket.recv_fds(control, 16, 1)
        except OSError:
            msg, fds = b"", []
        if not msg:
            break  # the app is gone
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                control.close()
                for other in children.values():
                    other.close()
                code = worker.serve_one(socket.socket(fileno=fds[0]))
            finally:
                os._exit(code)
        children[pid] = socket.socket(fileno=fds[0])
    for pid in list(children):
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock = children.pop(pid, None)
        if sock is not None:
            with contextlib.suppress(OSError):
                send_msg(sock, ("exit", os.waitstatus_to_exitcode(status)))
            sock.close()


class Zygote:
    """The app's handle on the server: started on first use, started again if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None

    def _start(self) -> None:
        mine, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        code = "import sys; from tools.csv_files.zygote import serve; serve(int(sys.argv[1]))"
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # the TUI draws on stderr
            env=env,
            start_new_session=True,  # Ctrl+C at the terminal is the app's to handle
        )
        theirs.close()
        self._control = mine

    def warm(self) -> None:
        """Start the server now, without waiting for it: it loads DuckDB while the SQL is
        checked, so the first query does not wait for it."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                try:
                    self._start()
                except OSError:
                    self._proc = None  # open() tries again and says what failed

    def open(self) -> socket.socket:
        """A socket to a newly forked worker."""
        with self._lock:
            for attempt in range(2):
                if self._proc is None or self._proc.poll() is not None:
                    self._start()
                ours, theirs = socket.socketpair()
                try:
                    assert self._control is not None
                    socket.send_fds(self._control, [b"j"], [theirs.fileno()])
                    return ours
                except OSError:
                    ours.close()
                    self._stop_locked()
                    if attempt:
                        raise
                finally:
                    theirs.close()
            raise OSError("the query server could not be started")  # pragma: no cover

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=30)
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
