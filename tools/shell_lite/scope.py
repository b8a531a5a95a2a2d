"""What "allow for this session" on a shell write covers: the write commands, one folder, and the
kinds of change at each depth below it, all named in the label.

A kind is ``TYPE@DEPTH``: TYPE is create (a new file), mkdir (a new folder), overwrite, append,
touch (time stamp only), move (taken away by mv) or delete; DEPTH is 1 for a path directly in
the folder, 2 one level below, and so on. A later action is covered only when its command and
folder are the same and every one of its kinds is among the grant's (``tools.base.Scope``): a
grant made on a create never approves an overwrite, one for moves in the top folder never
approves moving a file out of a subfolder, and ``mkdir -p a/b`` covers folders two levels deep,
not three.
"""

from __future__ import annotations

import os

from tools import words
from tools.base import Scope
from tools.shell_lite.vfs import ABSENT, DIR, FILE, Change
from tools.words import plural

_PHRASES = {
    "create": "create new files",
    "mkdir": "create new folders",
    "overwrite": "overwrite existing files",
    "append": "append to existing files",
    "touch": "update the time stamp of existing files",
    "move": "",
    "delete": "delete files or folders",
}
_ORDER = list(_PHRASES)


def _type(ch: Change, moving: bool) -> list[str]:
    if ch.before_kind == ABSENT:
        return ["mkdir" if ch.after_kind == DIR else "create"]
    if ch.after_kind == ABSENT:
        return ["move" if moving else "delete"]
    if ch.before_kind != ch.after_kind:
        return ["delete", "mkdir" if ch.after_kind == DIR else "create"]
    if ch.after_kind != FILE:
        return []
    before, after = ch.before or b"", ch.after or b""
    if before == after:
        return ["touch"]
    if len(after) > len(before) and after.startswith(before):
        return ["append"]
    return ["overwrite"]


def _parent(rel: str) -> str:
    return rel.rpartition("/")[0] or "."


def _depth(rel: str, folder: str) -> int:
    inside = rel if folder == "." else rel[len(folder) + 1 :]
    return inside.count("/") + 1


def _where(depth: int) -> str:
    if depth == 1:
        return "in it"
    return f"{plural(depth - 1, 'level')} below it"


def build(verbs: list[str], changes: list[Change]) -> Scope | None:
    """The scope to offer, or None: rm is never offered (every removal is asked)."""
    if "rm" in verbs or not changes:
        return None
    parents = [_parent(ch.rel) for ch in changes]
    folder = os.path.commonpath(parents) if all(p != "." for p in parents) else "."
    moving = "mv" in verbs
    kinds = {f"{kind}@{_depth(ch.rel, folder)}" for ch in changes for kind in _type(ch, moving)}
    if not kinds:
        return None
    where = words.folder(folder)
    phrases = []
    for kind in sorted(kinds, key=lambda k: (_ORDER.index(k.split("@")[0]), int(k.split("@")[1]))):
        name, depth = kind.split("@")
        if name == "move":
            inside = "it" if depth == "1" else f"its subfolders ({_where(int(depth))})"
            phrases.append(f"move files or folders out of {inside}")
        else:
            phrases.append(f"{_PHRASES[name]} {_where(int(depth))}")
    label = f"shell {' and '.join(verbs)} in {where}: " + "; ".join(phrases)
    return Scope(key=f"shell:{'+'.join(verbs)}:{folder}", label=label, kinds=frozenset(kinds))
