"""What a running command sees: its input, a capped output, error messages, the deadline; flag parsing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from tools.base import ToolError
from tools.shell_lite.vfs import DIR, VirtualFS

CHUNK = 1 << 20


class TimeLimitError(ToolError):
    """The command ran past its time limit and was stopped; nothing was written."""


class OutputFull(Exception):  # noqa: N818 - control flow, not an error
    """The model-visible output reached its cap: the command stops early, the output is marked cut."""


class UsageError(ToolError):
    """A command was given a flag or operand it does not accept."""


class Sink:
    """A command's standard output held in memory, bounded: past ``limit`` it either stops the
    command (``cut=True``, for what the model reads) or fails (pipes and redirects)."""

    def __init__(self, limit: int, *, cut: bool, what: str) -> None:
        self.limit = limit
        self.cut = cut
        self.what = what
        self.parts: list[bytes] = []
        self.size = 0
        self.truncated = False

    def write(self, data: bytes) -> None:
        if self.size + len(data) > self.limit:
            if not self.cut:
                raise ToolError(f"{self.what} is over the {_human(self.limit)} limit; stopped")
            self.parts.append(data[: self.limit - self.size])
            self.size = self.limit
            self.truncated = True
            raise OutputFull
        self.parts.append(data)
        self.size += len(data)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


@dataclass
class IO:
    """The environment of one command in a pipeline."""

    cmd: str
    fs: VirtualFS
    stdin: bytes | None
    out: Sink
    deadline: float
    errors: list[str] = field(default_factory=list)

    def err(self, message: str) -> None:
        self.errors.append(f"{self.cmd}: {message}")

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimeLimitError(f"{self.cmd}: stopped at the time limit; nothing was changed")

    def remaining(self) -> float:
        return max(0.001, self.deadline - time.monotonic())

    def stdin_reader(self) -> BinaryIO:
        if self.stdin is None:
            raise UsageError(
                f"{self.cmd}: no input: name a file, or pipe data in (there is no terminal)"
            )
        return BytesIO(self.stdin)

    def open_input(self, name: str) -> tuple[BinaryIO, Path | None] | None:
        """A reader for an operand ('-' is standard input), or None after reporting the error."""
        if name == "-":
            return self.stdin_reader(), None
        path = self.fs.resolve(name)
        if self.fs.kind(path) == DIR:
            self.err(f"{name}: Is a directory")
            return None
        try:
            return self.fs.open(path), path
        except ToolError as exc:
            self.err(_strip_rel(str(exc), name, self.fs.rel(path)))
            return None

    def chunks(self, reader: BinaryIO) -> Iterator[bytes]:
        """Blocks of whole lines (the last may lack its newline), checking the deadline."""
        rest = b""
        while True:
            self.check()
            block = reader.read(CHUNK)
            if not block:
                if rest:
                    yield rest
                return
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            rest = block[cut:]
            yield block[:cut]


def _strip_rel(message: str, name: str, rel: str) -> str:
    return name + message[len(rel) :] if message.startswith(rel) else message


def _human(n: int) -> str:
    if n >= 1 << 20:
        return f"{n // (1 << 20)} MB"
    return f"{n // 1024} KB" if n >= 1024 else f"{n} B"


@dataclass
class Options:
    """Parsed flags: ``flags`` holds boolean flags seen, ``values`` the arguments of valued ones."""

    flags: set[str] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=dict)
    operands: list[str] = field(default_factory=list)

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def last(self, flag: str) -> str | None:
        got = self.values.get(flag)
        return got[-1] if got else None


def getopt(cmd: str, argv: list[str], flags: str, valued: str = "") -> Options:
    """GNU-style short options: clusters (-rn), values attached or next (-n5, -n 5), flags after
    operands, '--' ends flags. Anything else is an error naming what is supported."""
    opts = Options()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            opts.operands.extend(argv[i:])
            break
        if arg.startswith("--"):
            raise UsageError(
                f"{cmd}: long option {arg.split('=')[0]} is not supported; {supported(cmd, flags, valued)}"
            )
        if not arg.startswith("-") or arg == "-":
            opts.operands.append(arg)
            continue
        j = 1
        while j < len(arg):
            c = arg[j]
            if c in valued:
                value = arg[j + 1 :]
                if not value:
                    if i >= len(argv):
                        raise UsageError(f"{cmd}: -{c} needs a value")
                    value = argv[i]
                    i += 1
                opts.values.setdefault(c, []).append(value)
                break
            if c not in flags:
                raise UsageError(f"{cmd}: unknown flag -{c}; {supported(cmd, flags, valued)}")
            opts.flags.add(c)
            j += 1
    return opts


def supported(cmd: str, flags: str, valued: str = "") -> str:
    shown = [f"-{c}" for c in flags] + [f"-{c} VALUE" for c in valued]
    return f"{cmd} supports " + (", ".join(shown) if shown else "no flags")


_INT = re.compile(r"[0-9]+")


def parse_count(cmd: str, what: str, text: str) -> int:
    """A non-negative decimal count (no suffixes), or a clear error."""
    if not _INT.fullmatch(text):
        raise UsageError(f"{cmd}: invalid {what}: {text!r} (a whole number is expected)")
    return int(text)


@dataclass(frozen=True)
class Command:
    """One built-in: ``parse`` checks the arguments at plan time (returning a spec whose ``paths``
    lists the path operands); ``run`` executes the spec and returns the exit status."""

    name: str
    writes: bool
    parse: Callable[[list[str]], Any]
    run: Callable[[Any, IO], int]


@dataclass
class Spec:
    """What a command's ``parse`` returns when it needs nothing more specific."""

    opts: Options
    paths: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
