"""The real undo path for tests: a tool through the gate (`assistant tool`), the journal, and
`assistant undo` (the CLI), plus a whole-tree snapshot to compare byte for byte."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.agent import action_life
from assistant.cli import main
from assistant.journal import Journal

Tree = dict[str, tuple[Any, ...]]


def snapshot(root: Path) -> Tree:
    """Every entry below ``root``, links not followed: ("dir", mode), ("file", mode, bytes) or
    ("link", target). Equal snapshots mean the same tree, names, kinds, bytes and modes."""
    out: Tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode)
            else:
                out[rel] = ("file", mode, Path(path).read_bytes())
    return out


def journal() -> Journal:
    return Journal(paths.journal_file())


def tool(ws: Path, name: str, args: dict[str, Any], *flags: str) -> str:
    """Run a tool by hand through the gate with --approve all; the id of its action."""
    code = main(
        ["tool", name, json.dumps(args), "--workspace", str(ws), "--approve", "all", *flags]
    )
    assert code == 0, f"{name} {args} exited {code}"
    return last_action(name)


def undo(action_id: str, *flags: str) -> int:
    """`assistant undo ACTION_ID` (flags: --approve all, --force, ...); its exit status."""
    return main(["undo", action_id, *flags])


def last_action(tool_name: str) -> str:
    with journal() as j:
        for session in j.sessions(limit=1000):
            for e in reversed(j.events(session.id)):
                if e.kind == "action.proposed" and e.payload["tool"] == tool_name:
                    return str(e.payload["action_id"])
    raise AssertionError(f"no {tool_name} action in the journal")


def result_of(action_id: str) -> dict[str, Any]:
    with journal() as j:
        record = j.find_action(action_id)
        life = action_life.find(j, record.session_id, record.action_id)
    assert life is not None and life.result is not None, f"{action_id} has no result"
    return life.result.to_json()


def images_of(action_id: str) -> dict[str, bytes | None]:
    """The before-images the journal keeps for an action, as bytes."""
    blobs = result_of(action_id).get("blobs") or {}
    with journal() as j:
        return {path: j.get_blob(h) if h else None for path, h in blobs.items()}


def shown(capsys: Any) -> str:
    """Everything a person sees on the terminal: the notes (previews, decisions: stderr) and
    the data (stdout), in that order."""
    seen = capsys.readouterr()
    return str(seen.err) + str(seen.out)
