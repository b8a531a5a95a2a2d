"""Commands that change files: mkdir, touch, cp, mv, rm. They only record changes in the overlay."""

from __future__ import annotations

from pathlib import Path

from tools.base import ToolError
from tools.shell_lite.command import IO, Command, Spec, UsageError, getopt
from tools.shell_lite.vfs import ABSENT, DIR, FILE, LINK


def _name(operand: str) -> str:
    return operand.rstrip("/").rsplit("/", 1)[-1]


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
        path = io.fs.resolve(operand)
        if spec.opts.has("p"):
            parts = operand.rstrip("/").split("/")
            for i in range(1, len(parts) + 1):
                prefix = "/".join(parts[:i])
                if prefix in ("", "."):
                    continue
                step = io.fs.resolve(prefix)
                kind = io.fs.kind(step)
                if kind == ABSENT:
                    io.fs.mkdir(step)
                elif kind != DIR:
                    io.err(f"cannot create directory '{operand}': Not a directory")
                    status = 1
                    break
            continue
        if io.fs.exists(path):
            io.err(f"cannot create directory '{operand}': File exists")
            status = 1
        elif not _parent_is_dir(io, path):
            io.err(f"cannot create directory '{operand}': No such file or directory")
            status = 1
        else:
            io.fs.mkdir(path)
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
        path = io.fs.resolve(operand)
        kind = io.fs.kind(path)
        if kind == FILE:
            io.fs.touch(path)
        elif kind == DIR:
            continue  # a folder's time stamp is not worth an undo record
        elif kind != ABSENT:
            io.err(f"cannot touch '{operand}': not a regular file")
            status = 1
        elif spec.opts.has("c"):
            continue
        elif not _parent_is_dir(io, path):
            io.err(f"cannot touch '{operand}': No such file or directory")
            status = 1
        else:
            io.fs.write(path, b"")
    return status


# -- cp and mv ------------------------------------------------------------------------------


def _parse_copy_move(cmd: str, flags: str, argv: list[str]) -> Spec:
    opts = getopt(cmd, argv, flags)
    if len(opts.operands) < 2:
        raise UsageError(f"{cmd}: needs a source and a destination ({cmd} SOURCE... DEST)")
    return Spec(opts, paths=list(opts.operands))


def _targets(io: IO, cmd: str, operands: list[str]) -> list[tuple[str, Path]] | None:
    """(source operand, destination path) pairs, or None after reporting a bad destination."""
    *sources, dest = operands
    dpath = io.fs.resolve(dest)
    if io.fs.kind(dpath) == DIR:
        return [(s, io.fs.resolve(dest) / _name(s)) for s in sources]
    if len(sources) > 1:
        io.err(f"target '{dest}' is not a directory")
        return None
    if dest.endswith("/"):
        io.err(f"cannot create '{dest}': Not a directory")
        return None
    return [(sources[0], dpath)]


def _tree(io: IO, cmd: str, operand: str, root: Path) -> list[Path] | None:
    """Every entry below a folder, or None (reported) when it holds a link or special file."""
    entries = list(io.fs.walk(root))
    for entry in entries:
        if io.fs.kind(entry) not in (FILE, DIR):
            rel = io.fs.rel(entry)
            io.err(
                f"'{operand}' holds {rel}, a link or special file; shell-lite does not {cmd} those"
            )
            return None
    return entries


def _run_cp(spec: Spec, io: IO) -> int:
    pairs = _targets(io, "cp", spec.opts.operands)
    if pairs is None:
        return 1
    status = 0
    for source, target in pairs:
        spath = io.fs.resolve(source)
        io.fs.ws.resolve(io.fs.rel(target))
        kind = io.fs.kind(spath)
        tkind = io.fs.kind(target)
        if kind == ABSENT:
            io.err(f"cannot stat '{source}': No such file or directory")
        elif kind == DIR and not spec.opts.has("r"):
            io.err(f"-r not specified; omitting directory '{source}'")
        elif spath == target:
            io.err(f"'{source}' and '{io.fs.rel(target)}' are the same file")
        elif not _parent_is_dir(io, target):
            io.err(f"cannot create '{io.fs.rel(target)}': No such file or directory")
        elif kind == FILE:
            if tkind == DIR:
                io.err(f"cannot overwrite directory '{io.fs.rel(target)}' with non-directory")
            else:
                io.fs.write(target, io.fs.read(spath))
                continue
        elif kind == DIR:
            if target.is_relative_to(spath):
                io.err(f"cannot copy a directory, '{source}', into itself")
            elif tkind not in (ABSENT, DIR):
                io.err(f"cannot overwrite non-directory '{io.fs.rel(target)}' with directory")
            else:
                entries = _tree(io, "copy", source, spath)
                if entries is not None:
                    if tkind == ABSENT:
                        io.fs.mkdir(target)
                    for entry in entries:
                        io.check()
                        dest = target / entry.relative_to(spath)
                        if io.fs.kind(entry) == DIR:
                            if io.fs.kind(dest) != DIR:
                                io.fs.mkdir(dest)
                        else:
                            io.fs.write(dest, io.fs.read(entry))
                    continue
        else:
            io.err(f"'{source}' is not a regular file or folder; not copied")
        status = 1
    return status


def _run_mv(spec: Spec, io: IO) -> int:
    pairs = _targets(io, "mv", spec.opts.operands)
    if pairs is None:
        return 1
    status = 0
    for source, target in pairs:
        try:
            spath = io.fs.entry(source, "mv")
        except ToolError as exc:
            io.errors.append(str(exc))
            status = 1
            continue
        io.fs.ws.resolve(io.fs.rel(target))
        kind = io.fs.kind(spath)
        tkind = io.fs.kind(target)
        if kind == ABSENT:
            io.err(f"cannot stat '{source}': No such file or directory")
        elif spath == target:
            io.err(f"'{source}' and '{io.fs.rel(target)}' are the same file")
        elif not _parent_is_dir(io, target):
            io.err(f"cannot move '{source}' to '{io.fs.rel(target)}': No such file or directory")
        elif kind == FILE:
            if tkind == DIR:
                io.err(f"cannot overwrite directory '{io.fs.rel(target)}' with non-directory")
            else:
                io.fs.write(target, io.fs.read(spath))
                io.fs.remove(spath)
                continue
        elif kind == DIR:
            if target.is_relative_to(spath):
                io.err(f"cannot move '{source}' to a subdirectory of itself")
            elif tkind not in (ABSENT, DIR):
                io.err(f"cannot overwrite non-directory '{io.fs.rel(target)}' with directory")
            elif tkind == DIR and io.fs.listdir(target):
                io.err(f"cannot move '{source}' to '{io.fs.rel(target)}': Directory not empty")
            else:
                entries = _tree(io, "move", source, spath)
                if entries is not None:
                    if tkind == ABSENT:
                        io.fs.mkdir(target)
                    for entry in entries:
                        io.check()
                        dest = target / entry.relative_to(spath)
                        if io.fs.kind(entry) == DIR:
                            io.fs.mkdir(dest)
                        else:
                            io.fs.write(dest, io.fs.read(entry))
                    for entry in reversed(entries):
                        io.fs.remove(entry)
                    io.fs.remove(spath)
                    continue
        else:
            io.err(f"'{source}' is not a regular file or folder; not moved")
        status = 1
    return status


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
        try:
            path = io.fs.entry(operand, "rm")
        except ToolError as exc:
            io.errors.append(str(exc))
            status = 1
            continue
        kind = io.fs.kind(path)
        if kind == ABSENT:
            if not force:
                io.err(f"cannot remove '{operand}': No such file or directory")
                status = 1
        elif kind == DIR and not spec.opts.has("r"):
            io.err(f"cannot remove '{operand}': Is a directory")
            status = 1
        elif kind == DIR:
            entries = _tree(io, "remove", operand, path)
            if entries is None:
                status = 1
                continue
            for entry in reversed(entries):
                io.fs.remove(entry)
            io.fs.remove(path)
        elif kind in (FILE,):
            io.fs.remove(path)
        else:
            kind_name = "a symbolic link" if kind == LINK else "a special file"
            io.err(f"cannot remove '{operand}': {kind_name}; shell-lite leaves those alone")
            status = 1
    return status


COMMANDS = [
    Command("mkdir", True, _parse_mkdir, _run_mkdir),
    Command("touch", True, _parse_touch, _run_touch),
    Command("cp", True, lambda a: _parse_copy_move("cp", "r", a), _run_cp),
    Command("mv", True, lambda a: _parse_copy_move("mv", "", a), _run_mv),
    Command("rm", True, _parse_rm, _run_rm),
]
