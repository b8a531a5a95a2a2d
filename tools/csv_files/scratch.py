"""The CSV engine's temporary folders (a query's spill space, the copies of files DuckDB may not
read itself), named after the process that made them so that what a killed process left behind
(copies of workspace data among it) is removed by the next one, not kept in /tmp for good."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading

KINDS = ("csv-query", "csv-copies")
_LEFT = re.compile(rf"^(?:{'|'.join(KINDS)})-(\d+)-")
_swept = False
_lock = threading.Lock()


def make_dir(kind: str) -> str:
    """A new private folder for ``kind`` (one of KINDS); the first call in a process first
    removes the folders of processes that are gone."""
    global _swept
    with _lock:
        if not _swept:
            _swept = True
            sweep(tempfile.gettempdir())
    return tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-")


def sweep(folder: str) -> list[str]:
    """Remove this user's engine folders in ``folder`` whose process has ended; returns them."""
    removed = []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            match = _LEFT.match(entry.name)
            if match is None or _running(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False) and entry.stat().st_uid == os.getuid():
                    shutil.rmtree(entry.path)
                    removed.append(entry.path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: running
        return True
    return True
