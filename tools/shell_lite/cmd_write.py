"""Commands that change files: mkdir, touch, cp, mv, rm. They only record changes in the overlay.

Operands are looked up as the kernel does (``lookup``): a trailing '/' asks for a folder, so
``rm -f notes.txt/`` fails as in GNU instead of removing the file. Symbolic links are never
moved, removed or copied (undo could not restore them): such a command fails with a message.
"""

from __future__ import annotations

from pathlib import Path

from tools.base import ToolError
from tools.shell_lite.command import IO, Command, Spec, UsageError, getopt, silent
from tools.shell_lite.lookup import (
    ENAMETOOLONG,
    ENOENT,
    ENOTDIR,
    NAME_MAX,
    Lookup,
    basename,
    strip,
)
from tools.shell_lite.vfs import ABSENT, DIR, FILE, LINK


def _parent_is_dir(io: IO, path: Path) -> bool:
    return path.parent == io.fs.ws.root or io.fs.kind(path.parent) == DIR


# -- mkdir ----------------------------------------------------------------------------------


def _parse_mkdir(argv: list[str]) -> Spec:
    opts = getopt("mkdir", argv, "p")
    if not opts.operands:
        raise UsageError("mkdir: missing operand (mkdir [-p] DIR...)")
    return Spec(opts, paths=list(opts.operands))


def _run_mkdir(spec: Spec, io: IO) -> int:
    status = 0
    for operand in spec.opts.operands:
        if spec.opts.has("p"):
            parts = [p for p in strip(operand).split("/") if p not in ("", ".")]
            made: Path | None = None  # once one folder is new, the rest are new below it
            for i in range(1, len(parts) + 1):
                prefix = "/".join(parts[:i])
                if made is not None and parts[i - 1] != "..":
                    if len(parts[i - 1].encode("utf-8", "surrogateescape")) > NAME_MAX:
                        io.err(f"cannot create directory '{prefix}': {ENAMETOOLONG}")
                        status = 1
                        break
                    made = made / parts[i - 1]
                    io.fs.mkdir(made)
                    continue
                found = io.lookup(prefix)
                if found.kind == DIR:
                    continue
                if found.lkind == ABSENT and found.parent_error is None:
                    io.fs.mkdir(found.path)
                    made = found.path
                    continue
                last = i == len(parts) or found.lkind == LINK
                io.err(
                    f"cannot create directory '{prefix}': "
                    + ("File exists" if last else found.parent_error or ENOTDIR)
                )
                status = 1
                break
            continue
        found = io.lookup(strip(operand))
        if found.parent_error is not None:
            io.err(f"cannot create directory '{operand}': {found.parent_error}")
            status = 1
        elif found.lkind != ABSENT:
            io.err(f"cannot create directory '{operand}': File exists")
            status = 1
        else:
            io.fs.mkdir(found.path)
    return status


# -- touch ----------------------------------------------------------------------------------


def _parse_touch(argv: list[str]) -> Spec:
    opts = getopt("touch", argv, "c")
    if not opts.operands:
        raise UsageError("touch: missing file operand (touch [-c] FILE...)")
    return Spec(opts, paths=list(opts.operands))


def _run_touch(spec: Spec, io: IO) -> int:
    status = 0
    for operand in spec.opts.operands:
        found = io.lookup(operand)
        if found.parent_error is not None:
            if not (spec.opts.has("c") and found.parent_error == ENOENT):
                io.err(f"cannot touch '{operand}': {found.parent_error}")
                status = 1
        elif found.error == ENOENT and spec.opts.has("c"):
            continue
        elif found.error is not None and (found.error != ENOENT or found.slash):
            io.err(f"setting times of '{operand}': {found.error}")
            status = 1
        elif found.kind == FILE:
            io.fs.touch(found.path)
        elif found.kind == DIR:
            continue  # a folder's time stamp is not worth an undo record
        elif found.kind != ABSENT:
            raise ToolError(f"touch: {operand} is a special file; shell-lite leaves those alone")
        elif spec.opts.has("c"):
            continue
        elif not _parent_is_dir(io, found.path):
            io.err(f"cannot touch '{operand}': {ENOENT}")
            status = 1
        else:
            io.fs.write(found.path, b"")  # through a dangling link: its target, as touch does
    return status


# -- cp and mv ------------------------------------------------------------------------------


def _parse_copy_move(cmd: str, flags: str, argv: list[str]) -> Spec:
    opts = getopt(cmd, argv, flags)
    if len(opts.operands) < 2:
        raise UsageError(f"{cmd}: needs a source and a destination ({cmd} SOURCE... DEST)")
    return Spec(opts, paths=list(opts.operands))


def _destination(io: IO, cmd: str, dest: Lookup, source: Lookup, into: bool) -> Path | None:
    """Where one source goes, or None after reporting why it cannot."""
    shown = dest.operand
    if into:
        return dest.path / basename(source.operand)
    if dest.parent_error is not None:
        verb = "create regular file" if cmd == "cp" else f"move '{source.operand}' to"
        io.err(f"cannot {verb} '{shown}': {dest.parent_error}")
        return None
    if dest.slash and source.kind != DIR:  # 'e/' names a folder: only a folder may become it
        if cmd == "cp":
            io.err(f"cannot create regular file '{shown}': {ENOTDIR}")
        else:
            io.err(f"cannot move '{source.operand}' to '{shown}': {ENOTDIR}")
        return None
    if dest.lkind == LINK and (cmd == "mv" or dest.kind == ABSENT):
        raise ToolError(
            f"{cmd}: {shown} is a symbolic link; shell-lite does not replace or write through it"
        )
    return dest.path


def _run_copy_move(cmd: str, spec: Spec, io: IO) -> int:
    *sources, dest_operand = spec.opts.operands
    dest = io.lookup(dest_operand)
    into = dest.kind == DIR
    if len(sources) > 1 and not into:
        io.err(f"target '{dest_operand}' is not a directory")
        return 1
    status = 0
    created: set[Path] = set()  # files this command made: GNU will not overwrite one of them
    seen: set[Path] = set()  # cp copies a source named twice once, with a warning
    for operand in sources:
        source = io.lookup(operand)
        entry = source.path if source.slash else source.entry
        if cmd == "cp" and source.error is None and entry in seen:
            what = "directory" if source.kind == DIR else "file"
            io.err(f"warning: source {what} '{operand}' specified more than once")
            continue
        seen.add(entry)
        if (cmd == "mv" or spec.opts.has("r")) and _is_link(io, operand):
            # mv and cp -r would move or copy the link itself, which undo could not restore
            raise ToolError(f"{cmd}: {operand} is a symbolic link; shell-lite does not {cmd} links")
        if source.error is not None:
            io.err(f"cannot stat '{operand}': {source.error}")
            status = 1
            continue
        if source.kind not in (FILE, DIR):
            raise ToolError(f"{cmd}: {operand} is a special file; shell-lite leaves those alone")
        if source.kind == DIR and cmd == "cp" and not spec.opts.has("r"):
            io.err(f"-r not specified; omitting directory '{operand}'")
            status = 1
            continue
        if source.path == io.fs.ws.root:
            raise ToolError(f"{cmd}: {operand} is the workspace folder itself; name what is in it")
        if cmd == "mv" and basename(operand) in (".", ".."):
            io.err(f"cannot move '{operand}': a folder named '.' or '..' cannot be renamed")
            status = 1
            continue
        target = _destination(io, cmd, dest, source, into)
        if target is None or not _one(io, cmd, source, target, created):
            status = 1
    return status


def _is_link(io: IO, operand: str) -> bool:
    """The entry the operand names, trailing slash or not, is a symbolic link."""
    if strip(operand) == operand:
        return io.lookup(operand).lkind == LINK
    return io.lookup(strip(operand)).lkind == LINK


def _one(io: IO, cmd: str, source: Lookup, target: Path, created: set[Path]) -> bool:
    """Copy or move one looked-up source to ``target``; False after reporting a failure."""
    fs = io.fs
    spath = source.path
    shown = fs.rel(target)
    tkind = fs.kind(target)
    if spath == target:
        io.err(f"'{source.operand}' and '{shown}' are the same file")
        return False
    if not _parent_is_dir(io, target):
        io.err(f"cannot create '{shown}': {ENOENT}")
        return False
    if source.kind == FILE:
        if tkind == DIR:
            io.err(f"cannot overwrite directory '{shown}' with non-directory")
            return False
        if target in created:
            io.err(f"will not overwrite just-created '{shown}' with '{source.operand}'")
            return False
        fs.write(target, fs.read(spath))
        created.add(target)
        if cmd == "mv":
            fs.remove(spath)
        return True
    if target.is_relative_to(spath):
        if cmd == "cp":  # GNU copies part of the tree before it notices: refused, not imitated
            raise ToolError(
                f"cp: cannot copy a directory, '{source.operand}', into itself, '{shown}'"
            )
        io.err(f"cannot move '{source.operand}' to a subdirectory of itself, '{shown}'")
        return False
    if tkind not in (ABSENT, DIR):
        io.err(f"cannot overwrite non-directory '{shown}' with directory '{source.operand}'")
        return False
    if cmd == "mv" and tkind == DIR and fs.listdir(target):
        io.err(f"cannot move '{source.operand}' to '{shown}': Directory not empty")
        return False
    entries = _tree(io, "copy" if cmd == "cp" else "move", source.operand, spath)
    if tkind == ABSENT:
        fs.mkdir(target)
    for entry in entries:
        io.check()
        dest = target / entry.relative_to(spath)
        if fs.kind(entry) == DIR:
            if fs.kind(dest) != DIR:
                fs.mkdir(dest)
        else:
            if dest in created:  # GNU reports it and goes on with the rest: not imitated
                raise ToolError(f"{cmd}: would overwrite {fs.rel(dest)}, which it just created")
            fs.write(dest, fs.read(entry))
            created.add(dest)
    if cmd == "mv":
        for entry in reversed(entries):
            fs.remove(entry)
        fs.remove(spath)
    return True


def _tree(io: IO, cmd: str, operand: str, root: Path) -> list[Path]:
    """Every entry below a folder; one holding a link or special file refuses the command."""
    entries = list(io.fs.walk(root))
    for entry in entries:
        if io.fs.kind(entry) not in (FILE, DIR):
            rel = io.fs.rel(entry)
            raise ToolError(
                f"{cmd}: '{operand}' holds {rel}, a link or special file; shell-lite does not "
                f"{cmd} those (undo could not restore them)"
            )
    return entries


# -- rm -------------------------------------------------------------------------------------


def _parse_rm(argv: list[str]) -> Spec:
    opts = getopt("rm", argv, "rf")
    if not opts.operands and not opts.has("f"):
        raise UsageError("rm: missing operand (rm [-r] [-f] PATH...)")
    return Spec(opts, paths=list(opts.operands))


def _run_rm(spec: Spec, io: IO) -> int:
    status = 0
    force = spec.opts.has("f")
    for operand in spec.opts.operands:
        found = io.lookup(operand)
        if found.lkind == LINK or _is_link(io, operand):
            raise ToolError(f"rm: {operand} is a symbolic link; shell-lite leaves links alone")
        if found.error is not None:
            if not (force and found.error in (ENOENT, ENOTDIR)):
                io.err(f"cannot remove '{operand}': {found.error}")
                status = 1
            continue
        if basename(operand) in (".", "..") or found.path == io.fs.ws.root:
            io.err(f"refusing to remove '.' or '..' directory: skipping '{operand}'")
            status = 1
            continue
        if found.kind == DIR and not spec.opts.has("r"):
            io.err(f"cannot remove '{operand}': Is a directory")
            status = 1
        elif found.kind == DIR:
            entries = _tree(io, "remove", operand, found.path)
            for entry in reversed(entries):
                io.fs.remove(entry)
            io.fs.remove(found.path)
        elif found.kind == FILE:
            io.fs.remove(found.path)
        else:
            raise ToolError(f"rm: {operand} is a special file; shell-lite leaves those alone")
    return status


COMMANDS = [
    Command("mkdir", True, _parse_mkdir, silent(_run_mkdir)),
    Command("touch", True, _parse_touch, silent(_run_touch)),
    Command(
        "cp",
        True,
        lambda a: _parse_copy_move("cp", "r", a),
        silent(lambda s, io: _run_copy_move("cp", s, io)),
    ),
    Command(
        "mv",
        True,
        lambda a: _parse_copy_move("mv", "", a),
        silent(lambda s, io: _run_copy_move("mv", s, io)),
    ),
    Command("rm", True, _parse_rm, silent(_run_rm)),
]
