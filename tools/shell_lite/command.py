"""What a running command sees: its input, error messages, the deadline; flag parsing.

A command's ``run`` is a generator: it yields its output in blocks and returns its exit status.
The pipeline pulls the last stage, which pulls the one before it through ``Stream``, so stages
stream into each other as bash's do, and a stage that stops reading (``head``) stops the ones
before it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from tools.base import ToolError
from tools.shell_lite.lookup import Lookup, lookup
from tools.shell_lite.vfs import DIR, FILE, DeniedPathError, VirtualFS

CHUNK = 1 << 16

Output = Generator[bytes, None, int]
"""What a command's ``run`` returns: blocks of output, then the exit status."""


class TimeLimitError(ToolError):
    """The command ran past its time limit and was stopped; nothing was written."""


class OutputFull(Exception):  # noqa: N818 - control flow, not an error
    """The model-visible output reached its cap: the command stops early, the output is marked cut."""


class UsageError(ToolError):
    """A command was given a flag or operand it does not accept."""


class Sink:
    """Where the last stage's output is kept, bounded: past ``limit`` it either stops the
    pipeline (``cut=True``, for what the model reads) or fails (a redirect)."""

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
                raise ToolError(f"{self.what} is over the {human(self.limit)} limit; stopped")
            self.parts.append(data[: self.limit - self.size])
            self.size = self.limit
            self.truncated = True
            raise OutputFull
        self.parts.append(data)
        self.size += len(data)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class Stream:
    """Standard input from the previous stage, read as that stage produces it (a pipe: not
    seekable, and what one reader took is gone for the next, as with ``cat - -``)."""

    def __init__(self, source: Iterator[bytes]) -> None:
        self._source = source
        self._buffer = b""
        self._eof = False

    def blocks(self) -> Iterator[bytes]:
        """What is left, in the blocks the writer produced."""
        if self._buffer:
            block, self._buffer = self._buffer, b""
            yield block
        while not self._eof:
            got = next(self._source, None)
            if got is None:
                self._eof = True
                return
            yield got

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return b"".join(self.blocks())
        while len(self._buffer) < size and not self._eof:
            block = next(self._source, None)
            if block is None:
                self._eof = True
            else:
                self._buffer += block
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        """Nothing to do: the pipeline ends the stage that writes into the pipe."""

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass
class Redirected:
    """The file the last stage's output goes to (bash opened it before the command ran)."""

    path: Path
    base: int
    """Bytes the file held when the command started (0 after '>' truncated it)."""


@dataclass
class Input:
    """An input operand opened for reading, or why it could not be."""

    name: str
    reader: BinaryIO | Stream | None = None
    path: Path | None = None
    error: str | None = None
    """The open failed: ENOENT, ENOTDIR, ELOOP or 'not a regular file'."""
    is_dir: bool = False
    """It is a folder: it opens, but reading it fails (EISDIR)."""

    @property
    def label(self) -> bytes:
        return os.fsencode(self.name)


@dataclass
class IO:
    """The environment of one command in a pipeline."""

    cmd: str
    fs: VirtualFS
    stdin: Stream | None
    deadline: float
    hold: int = 64 << 20
    """Bytes the command may keep from its input at once (a line, tail's last lines); what
    flows through a pipe is not limited."""
    errors: list[str] = field(default_factory=list)
    output: Redirected | None = None
    """Set for the last stage of a redirected pipeline."""
    written: int = 0
    """Bytes of output the command has produced so far (the pipeline counts them)."""

    def err(self, message: str) -> None:
        self.errors.append(f"{self.cmd}: {message}")

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimeLimitError(f"{self.cmd}: stopped at the time limit; nothing was changed")

    def remaining(self) -> float:
        return max(0.001, self.deadline - time.monotonic())

    def stdin_reader(self) -> Stream:
        if self.stdin is None:
            raise UsageError(
                f"{self.cmd}: no input: name a file, or pipe data in (there is no terminal)"
            )
        return self.stdin

    def lookup(self, name: str) -> Lookup:
        return lookup(self.fs, name)

    def is_output(self, path: Path | None) -> bool:
        """The input is the file this stage's output is redirected to."""
        return self.output is not None and path == self.output.path

    def output_size(self) -> int:
        """Bytes in the redirect target now: what it held plus what this command wrote."""
        return 0 if self.output is None else self.output.base + self.written

    def input(self, name: str) -> Input:
        """Open an operand ('-' is standard input); failures come back in the Input."""
        if name == "-":
            return Input(name, self.stdin_reader())
        found = self.lookup(name)
        if found.error is not None:
            return Input(name, error=found.error)
        if found.kind == DIR:
            self.fs.refuse_denied(found.path)
            return Input(name, path=found.path, is_dir=True)
        if found.kind != FILE:
            return Input(name, error="not a regular file")
        return self.input_path(found.path, name)

    def input_path(self, path: Path, name: str) -> Input:
        """Open a regular file already looked up (an operand, or a file found by a walk)."""
        if self.is_output(path):
            self._reading_output()
        try:
            return Input(name, self.fs.open(path), path)
        except DeniedPathError:
            raise
        except ToolError as exc:
            message = str(exc)
            rel = self.fs.rel(path)
            return Input(
                name, error=message[len(rel) + 2 :] if message.startswith(rel) else message
            )

    def _reading_output(self) -> None:
        """A command reads the file its own output goes to. bash made that file empty ('>') or
        left it ('>>') before the command started; once the command has written, or when it
        streams over a non-empty file, what it reads depends on buffering: refused."""
        assert self.output is not None
        rel = self.fs.rel(self.output.path)
        if self.written or (self.output.base and self.cmd not in ("sort", "wc", "grep")):
            raise ToolError(
                f"{self.cmd} would read {rel} while its output is written to it; the result "
                "would depend on buffering: write to another file"
            )
        if not self.output.base:
            self.fs.note(
                f"note: the redirect empties {rel} before {self.cmd} reads it, as bash does "
                f"({self.cmd} reads nothing from it)"
            )

    def blocks(self, reader: BinaryIO | Stream, size: int = CHUNK) -> Iterator[bytes]:
        """The input in blocks as they come (not cut at lines), checking the deadline."""
        if isinstance(reader, Stream):
            for block in reader.blocks():
                self.check()
                yield block
            return
        while True:
            self.check()
            block = reader.read(size)
            if not block:
                return
            yield block

    def chunks(self, reader: BinaryIO | Stream) -> Iterator[bytes]:
        """Blocks of whole lines (the last may lack its newline), checking the deadline; a line
        longer than ``hold`` is refused rather than kept."""
        rest: list[bytes] = []  # the start of a line that goes on in the next block
        size = 0
        for block in self.blocks(reader):
            cut = block.rfind(b"\n") + 1
            if not cut:
                rest.append(block)
                size += len(block)
                if size > self.hold:
                    raise ToolError(
                        f"{self.cmd}: a line longer than {human(self.hold)}; shell-lite does "
                        "not keep lines that long"
                    )
                continue
            if rest:
                rest.append(block)
                block = b"".join(rest)
                cut += size
            if cut == len(block):
                rest, size = [], 0
                yield block
            else:
                rest, size = [block[cut:]], len(block) - cut
                yield block[:cut]
        if rest:
            yield b"".join(rest)

    def too_much(self, what: str) -> ToolError:
        return ToolError(
            f"{what} would keep over {human(self.hold)} of the input in memory; shell-lite "
            "does not keep that much"
        )


def newlines(block: bytes | bytearray) -> int:
    """The newlines in a block, counted the faster of two ways. ``count`` tests every byte
    (about 0.4 ns a byte, more when lines are irregular); ``replace`` finds each newline with
    memchr, which skips whole vectors of other bytes, so for lines longer than about 16 bytes
    it is nearly twice as fast. A look at the first KB decides."""
    if block.count(b"\n", 0, 1024) > 64:
        return block.count(b"\n")
    return len(block) - len(block.replace(b"\n", b""))


def human(n: int) -> str:
    if n >= 1 << 20:
        return f"{n // (1 << 20)} MB"
    return f"{n // 1024} KB" if n >= 1024 else f"{n} B"


@dataclass
class Options:
    """Parsed flags: ``flags`` holds boolean flags seen, ``values`` the arguments of valued ones."""

    flags: set[str] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=dict)
    operands: list[str] = field(default_factory=list)
    order: list[tuple[str, str | None]] = field(default_factory=list)
    """Every flag in the order given, with its value (None for a boolean flag): where GNU lets
    the last of two flags win (ls -a/-A, head -n/-c), this says which came last."""

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
                opts.order.append((c, value))
                break
            if c not in flags:
                raise UsageError(f"{cmd}: unknown flag -{c}; {supported(cmd, flags, valued)}")
            opts.flags.add(c)
            opts.order.append((c, None))
            j += 1
    return opts


def supported(cmd: str, flags: str, valued: str = "") -> str:
    shown = [f"-{c}" for c in flags] + [f"-{c} VALUE" for c in valued]
    return f"{cmd} supports " + (", ".join(shown) if shown else "no flags")


_INT = re.compile(r"[0-9]+")
UINTMAX = (1 << 64) - 1
"""GNU tools read counts as uintmax_t: a larger one is an error ("Value too large")."""


def parse_count(cmd: str, what: str, text: str) -> int:
    """A non-negative decimal count (no suffixes), or a clear error."""
    if not _INT.fullmatch(text):
        raise UsageError(f"{cmd}: invalid {what}: {text!r} (a whole number is expected)")
    if len(text) > 25 or int(text) > UINTMAX:
        raise UsageError(f"{cmd}: invalid {what}: {text!r}: Value too large for defined data type")
    return int(text)


@dataclass(frozen=True)
class Command:
    """One built-in: ``parse`` checks the arguments at plan time (returning a spec whose ``paths``
    lists the path operands); ``run`` executes the spec: a generator that yields the output and
    returns the exit status."""

    name: str
    writes: bool
    parse: Callable[[list[str]], Any]
    run: Callable[[Any, IO], Output]


def silent(run: Callable[[Any, IO], int]) -> Callable[[Any, IO], Output]:
    """A command that prints nothing (mkdir, rm, ...) as the generator ``Command.run`` is."""

    def wrapped(spec: Any, io: IO) -> Output:
        status = run(spec, io)
        yield from ()
        return status

    return wrapped


@dataclass
class Spec:
    """What a command's ``parse`` returns when it needs nothing more specific."""

    opts: Options
    paths: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
