"""Listing commands: ls (one name per line, as GNU ls prints into a pipe) and find."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tools.shell_lite.command import IO, Command, Spec, UsageError, getopt, parse_count
from tools.shell_lite.globbing import translate
from tools.shell_lite.vfs import ABSENT, DIR, FILE, LINK


def _key(name: str) -> bytes:
    return os.fsencode(name)


def _child(parent: str, name: str) -> str:
    return parent + name if parent.endswith("/") else f"{parent}/{name}"


# -- ls -------------------------------------------------------------------------------------


def _parse_ls(argv: list[str]) -> Spec:
    opts = getopt("ls", argv, "aA1Rpd")
    return Spec(opts, paths=list(opts.operands))


def _lexical_kind(io: IO, operand: str) -> tuple[Path, str]:
    """The resolved path and the kind of the operand itself (a link stays a link unless the
    operand ends with '/', as GNU tools do)."""
    path = io.fs.resolve(operand)
    name = operand.rstrip("/").rsplit("/", 1)[-1]
    if not operand.endswith("/") and name not in ("", ".", ".."):
        parent = operand.rstrip("/").rpartition("/")[0] or "."
        lexical = io.fs.resolve(parent) / name
        if io.fs.kind(lexical) == LINK:
            return path, LINK
    return path, io.fs.kind(path)


def _run_ls(spec: Spec, io: IO) -> int:
    opts = spec.opts
    operands = opts.operands or ["."]
    status = 0
    files: list[tuple[str, str]] = []
    dirs: list[tuple[str, Path]] = []
    for operand in operands:
        path, kind = _lexical_kind(io, operand)
        if kind == ABSENT:
            io.err(f"cannot access '{operand}': No such file or directory")
            status = 2
            continue
        target_kind = io.fs.kind(path)
        if target_kind == DIR and not opts.has("d"):
            dirs.append((operand, path))
        else:
            files.append((operand, "dir" if target_kind == DIR and kind != LINK else kind))
    out: list[bytes] = []
    for operand, kind in sorted(files, key=lambda f: _key(f[0])):
        out.append(_key(operand) + (b"/" if opts.has("p") and kind == DIR else b"") + b"\n")
    header = len(operands) > 1 or opts.has("R")
    printed = bool(out)
    for operand, path in sorted(dirs, key=lambda d: _key(d[0])):
        printed = _list_dir(io, spec, operand, path, header, printed, out)
    io.out.write(b"".join(out))
    return status


def _list_dir(
    io: IO, spec: Spec, shown: str, path: Path, header: bool, printed: bool, out: list[bytes]
) -> bool:
    io.check()
    opts = spec.opts
    if header:
        out.append((b"\n" if printed else b"") + _key(shown) + b":\n")
    names = io.fs.listdir(path)
    if opts.has("a"):
        names = [".", "..", *names]
    elif not opts.has("A"):
        names = [n for n in names if not n.startswith(".")]
    subdirs = []
    for name in names:
        kind = DIR if name in (".", "..") else io.fs.kind(path / name)
        out.append(_key(name) + (b"/" if opts.has("p") and kind == DIR else b"") + b"\n")
        if kind == DIR and name not in (".", ".."):
            subdirs.append(name)
    if len(out) > 200_000:
        io.out.write(b"".join(out))
        out.clear()
    if opts.has("R"):
        for name in subdirs:
            _list_dir(io, spec, _child(shown, name), path / name, True, True, out)
    return True


# -- find -----------------------------------------------------------------------------------

_TYPES = {"f": FILE, "d": DIR, "l": LINK}


@dataclass
class _FindSpec:
    starts: list[str]
    tests: list[tuple[bool, str, object]] = field(default_factory=list)
    maxdepth: int | None = None
    mindepth: int = 0
    paths: list[str] = field(default_factory=list)


_FIND_HELP = (
    "find supports: find [PATH...] with -name PAT, -iname PAT, -path PAT, -type f|d|l, "
    "-maxdepth N, -mindepth N, -print, and '!' or -not before a test"
)


def _parse_find(argv: list[str]) -> _FindSpec:
    i = 0
    starts = []
    while i < len(argv) and not argv[i].startswith("-") and argv[i] not in ("!", "(", ")"):
        starts.append(argv[i])
        i += 1
    spec = _FindSpec(starts or ["."], paths=starts or ["."])
    negate = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in ("!", "-not"):
            negate = not negate
            continue
        if arg == "-print":
            continue
        if arg in ("-name", "-iname", "-path", "-ipath", "-type", "-maxdepth", "-mindepth"):
            if i >= len(argv):
                raise UsageError(f"find: missing argument to {arg}")
            value = argv[i]
            i += 1
            if arg in ("-maxdepth", "-mindepth"):
                if negate:
                    raise UsageError(f"find: {arg} cannot be negated")
                depth = parse_count("find", f"{arg} value", value)
                if arg == "-maxdepth":
                    spec.maxdepth = depth
                else:
                    spec.mindepth = depth
                continue
            if arg == "-type":
                if value not in _TYPES:
                    raise UsageError(f"find: -type {value!r} is not supported (use f, d or l)")
                spec.tests.append((negate, "type", _TYPES[value]))
            else:
                flags = re.IGNORECASE if arg.startswith("-i") else 0
                regex = re.compile(translate(value).pattern, re.S | flags)
                spec.tests.append((negate, "name" if arg.endswith("name") else "path", regex))
            negate = False
            continue
        if arg in ("-exec", "-execdir", "-ok", "-delete", "-fprint", "-fls"):
            raise UsageError(f"find: {arg} is not supported (find only lists; use rm to remove)")
        if not arg.startswith("-") and arg not in ("(", ")"):
            raise UsageError(f"find: paths must come before the tests: {arg!r}; {_FIND_HELP}")
        raise UsageError(f"find: unknown or unsupported expression {arg!r}; {_FIND_HELP}")
    if negate:
        raise UsageError("find: '!' or -not must be followed by a test")
    return spec


def _matches(spec: _FindSpec, shown: str, kind: str) -> bool:
    for negate, test, arg in spec.tests:
        if test == "type":
            ok = kind == arg
        elif test == "name":
            base = shown.rstrip("/").rsplit("/", 1)[-1] or shown
            ok = arg.fullmatch(base) is not None  # type: ignore[attr-defined]
        else:
            ok = arg.fullmatch(shown) is not None  # type: ignore[attr-defined]
        if ok == negate:
            return False
    return True


def _run_find(spec: _FindSpec, io: IO) -> int:
    status = 0
    out: list[bytes] = []

    def visit(shown: str, path: Path, kind: str, depth: int) -> None:
        io.check()
        if depth >= spec.mindepth and _matches(spec, shown, kind):
            out.append(_key(shown) + b"\n")
            if len(out) >= 4096:
                io.out.write(b"".join(out))
                out.clear()
        if kind != DIR or (spec.maxdepth is not None and depth >= spec.maxdepth):
            return
        for name in io.fs.listdir(path):
            child = path / name
            visit(_child(shown, name), child, io.fs.kind(child), depth + 1)

    for start in spec.starts:
        path, kind = _lexical_kind(io, start)
        if kind == ABSENT:
            io.err(f"'{start}': No such file or directory")
            status = 1
            continue
        visit(start, path, kind, 0)
    io.out.write(b"".join(out))
    return status


COMMANDS = [
    Command("ls", False, _parse_ls, _run_ls),
    Command("find", False, _parse_find, _run_find),
]
