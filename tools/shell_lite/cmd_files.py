"""find: GNU findutils' output for the supported tests, walking in name order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tools.shell_lite.command import IO, Command, Output, UsageError, parse_count
from tools.shell_lite.globbing import translate
from tools.shell_lite.vfs import DIR, FILE, LINK


def _key(name: str) -> bytes:
    return os.fsencode(name)


def _child(parent: str, name: str) -> str:
    return parent + name if parent.endswith("/") else f"{parent}/{name}"


# -- find -----------------------------------------------------------------------------------

_TYPES = {"f": FILE, "d": DIR, "l": LINK}


@dataclass
class _FindSpec:
    starts: list[str]
    tests: list[tuple[bool, str, object]] = field(default_factory=list)
    """(negated, test, argument): test is type, name, iname, path or ipath."""
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
                regex = translate(value, fold=arg.startswith("-i"))
                if arg.endswith("name") and "/" in value:
                    raise UsageError(
                        f"find: {arg} {value!r}: a name never holds '/' (use -path to match "
                        "the whole path)"
                    )
                spec.tests.append((negate, arg[1:], regex))
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
        else:
            text = _key(shown)
            if test.endswith("name"):
                text = _key(shown.rstrip("/").rsplit("/", 1)[-1] or shown)
            ok = arg.fullmatch(text) is not None  # type: ignore[attr-defined]
        if ok == negate:
            return False
    return True


def _run_find(spec: _FindSpec, io: IO) -> Output:
    status = 0
    out: list[bytes] = []

    def visit(shown: str, path: Path, kind: str, depth: int) -> Iterator[bytes]:
        io.check()
        if depth >= spec.mindepth and _matches(spec, shown, kind):
            out.append(_key(shown) + b"\n")
            if len(out) >= 4096:
                yield b"".join(out)
                out.clear()
        if kind != DIR or (spec.maxdepth is not None and depth >= spec.maxdepth):
            return
        for name in io.fs.listdir(path):
            child = path / name
            yield from visit(_child(shown, name), child, io.fs.kind(child), depth + 1)

    for start in spec.starts:
        found = io.lookup(start)  # find -P: a start that is a link is not followed
        if found.error is not None and found.lkind != LINK:
            io.err(f"'{start}': {found.error}")
            status = 1
            continue
        if found.lkind == LINK:
            yield from visit(start, found.entry, LINK, 0)
        else:
            if found.kind == DIR:
                io.fs.refuse_denied(found.path)
            yield from visit(start, found.path, found.kind, 0)
    if out:
        yield b"".join(out)
    return status


COMMANDS = [Command("find", False, _parse_find, _run_find)]
