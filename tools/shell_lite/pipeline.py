"""Runs a parsed pipeline: globs expanded, each command's arguments checked, stages streaming."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.base import ToolError
from tools.shell_lite import (
    cmd_files,
    cmd_grep,
    cmd_headtail,
    cmd_lines,
    cmd_ls,
    cmd_sort,
    cmd_text,
    cmd_wc,
    cmd_write,
)
from tools.shell_lite.command import IO, Command, Output, OutputFull, Redirected, Sink, Stream
from tools.shell_lite.globbing import expand
from tools.shell_lite.lexer import Pipeline
from tools.shell_lite.lookup import ENOENT, lookup
from tools.shell_lite.vfs import ABSENT, DIR, FILE, VirtualFS

REGISTRY: dict[str, Command] = {
    c.name: c
    for module in (
        cmd_text,
        cmd_headtail,
        cmd_wc,
        cmd_grep,
        cmd_sort,
        cmd_lines,
        cmd_ls,
        cmd_files,
        cmd_write,
    )
    for c in module.COMMANDS
}


@dataclass(frozen=True)
class ShellLimits:
    """Caps on what one command line may do."""

    timeout: float = 10.0
    output: int = 64 * 1024
    """Bytes of output the model reads; more is cut with a marker."""
    stdout: int = 0
    """Bytes of standard output kept whole for a person's own pipe (`assistant tool`), beyond
    what the model reads (``Result.stdout``); 0 keeps only ``output``."""
    pipe: int = 64 << 20
    """Bytes one command may keep from its input at once (a line, tail's last lines, ...);
    what streams through a pipe is not limited."""
    write_bytes: int = 32 << 20
    """Bytes a write may produce and keep as before-images, all paths together."""
    paths: int = 1000
    """Paths one write may touch (every one is listed in the preview)."""


@dataclass(frozen=True)
class Prepared:
    """One stage ready to run: the command, its expanded arguments, its checked spec."""

    command: Command
    argv: tuple[str, ...]
    spec: Any
    touched: frozenset[str] = frozenset()
    """What expanding this stage's globs did to the redirect target (see ``VirtualFS.watch``)."""


@dataclass
class PipelineOutcome:
    """What running a pipeline printed and how it ended."""

    stdout: bytes
    truncated: bool
    status: int
    errors: list[str] = field(default_factory=list)
    produced: list[int] = field(default_factory=list)
    """Bytes each stage wrote (an earlier stage ended by a later one wrote less)."""


class RaceError(ToolError):
    """bash would run an earlier stage at the same time as the redirect opens its file."""


def prepare(pipeline: Pipeline, fs: VirtualFS) -> list[Prepared]:
    """Expand globs, check every command's flags and operands, resolve every path operand (so an
    escape is refused before anything runs)."""
    stages = pipeline.stages
    writers = [s.name for s in stages if s.name in REGISTRY and REGISTRY[s.name].writes]
    if len(stages) > 1 and writers:
        raise ToolError(
            f"{writers[0]} cannot be part of a pipeline: bash runs every stage at the same "
            "time, so what the others would see is a race; run it as a command of its own"
        )
    target = _target(pipeline, fs)
    fs.watch = target
    prepared = []
    for stage in stages:
        command = REGISTRY.get(stage.name)
        if command is None:
            known = ", ".join(sorted(REGISTRY))
            raise ToolError(f"unknown command {stage.name!r}: shell-lite has only {known}")
        fs.watched.clear()
        argv: list[str] = []
        for word in stage.words[1:]:
            argv.extend(expand(fs, word.glob) if word.glob else [word.text])
        spec = command.parse(argv)
        for path in spec.paths:
            fs.resolve(path)
        prepared.append(Prepared(command, tuple(argv), spec, frozenset(fs.watched)))
    fs.watch = None
    fs.watched.clear()
    return prepared


def _target(pipeline: Pipeline, fs: VirtualFS) -> Path | None:
    """The redirect target's real path, checked as bash would open it (refused where bash
    would fail: a folder, a missing folder, a special file)."""
    redirect = pipeline.redirect
    if redirect is None:
        return None
    shown = redirect.target.text
    found = lookup(fs, shown)
    if found.error is not None and not (found.error == ENOENT and not found.slash):
        raise ToolError(f"cannot write to {shown!r}: {found.error}")
    if found.kind == DIR or found.slash:
        raise ToolError(f"cannot write to {shown!r}: it is a folder")
    if found.kind == ABSENT:
        parent = found.path.parent
        if not (parent == fs.ws.root or fs.is_dir(parent)):
            raise ToolError(f"cannot write to {shown!r}: its folder does not exist (use mkdir -p)")
    elif found.kind != FILE:
        raise ToolError(f"cannot write to {shown!r}: not a regular file")
    else:
        fs.ws.refuse_hard_link(found.path)
    fs.refuse_denied(found.path)
    return found.path


def writes(pipeline: Pipeline, prepared: list[Prepared]) -> bool:
    """Decided from the command line alone: a writing command or a redirect."""
    return pipeline.redirect is not None or any(p.command.writes for p in prepared)


def execute(
    pipeline: Pipeline,
    prepared: list[Prepared],
    fs: VirtualFS,
    limits: ShellLimits,
    deadline: float,
) -> PipelineOutcome:
    """Run the stages as bash does, streaming: the last stage is pulled, it pulls the one
    before it, and a stage that stops reading (``head``) ends the ones before it. A redirect is
    opened first, as bash opens it before the last command starts (so ``ls > f`` lists f and
    ``sort f > f`` reads an empty f); its output becomes a planned write in ``fs``."""
    redirect = pipeline.redirect
    target = _target(pipeline, fs)
    output = None
    existed = False
    if redirect is not None and target is not None:
        existed = fs.kind(target) == FILE
        base = fs.size(target) if redirect.append and existed else 0
        if not existed or not redirect.append:
            fs.write(target, b"")
        output = Redirected(target, base)
    stages: list[_Stage] = []
    source: Iterator[bytes] | None = None
    for index, prep in enumerate(prepared):
        last = index == len(prepared) - 1
        io = IO(
            cmd=prep.command.name,
            fs=fs,
            stdin=Stream(source) if source is not None else None,
            deadline=deadline,
            hold=limits.pipe,
            output=output if last else None,
        )
        stage = _Stage(prep, io, prep.command.run(prep.spec, io))
        # bash starts every stage together with the open of the redirect: an earlier stage
        # that uses the target races it (checked when the stage ends)
        race = None if last or target is None else (target, existed)
        source = stage.pump(fs, race)
        stages.append(stage)
    assert source is not None
    name = prepared[-1].command.name
    if redirect is not None:
        sink = Sink(limits.write_bytes, cut=False, what=f"the output of {name} for the redirect")
    else:
        sink = Sink(max(limits.output, limits.stdout), cut=True, what="the output")
    try:
        try:
            for chunk in source:
                sink.write(chunk)
        except OutputFull:
            pass
        if target is not None:
            # bash would have run the earlier stages to their end (or until the pipe broke,
            # which is a matter of timing): run what is left, unseen, so that a race with the
            # redirect is never missed
            for stage in reversed(stages[:-1]):
                stage.drain()
    finally:
        for stage in reversed(stages):
            stage.close()
    status = 0 if sink.truncated else stages[-1].status
    errors = [message for stage in stages for message in stage.io.errors[: stage.shown]]
    stdout = sink.getvalue()
    if output is not None and stdout:
        if fs.kind(output.path) != FILE:
            raise ToolError(
                "the redirect target was changed by the command itself; nothing written"
            )
        fs.write(output.path, fs.read(output.path) + stdout)
        stdout = b""
    elif output is not None:
        stdout = b""
    return PipelineOutcome(stdout, sink.truncated, status, errors, [s.io.written for s in stages])


class _Stage:
    """One running command: its generator, driven so that what it does to the file system is
    recorded as its own (``fs.watched``), and its output counted."""

    def __init__(self, prep: Prepared, io: IO, gen: Output) -> None:
        self.prep = prep
        self.io = io
        self.gen = gen
        self.used: set[str] = set()
        """What it did to the redirect target ("open", "stat", "kind", "list")."""
        self.status = 0
        self.done = False
        self.shown = 1 << 62
        """How many of its error messages the person sees (not those of a drained rest)."""
        self._pump: Iterator[bytes] | None = None

    def pump(self, fs: VirtualFS, race: tuple[Path, bool] | None) -> Iterator[bytes]:
        self._pump = self._run(fs, race)
        return self._pump

    def _run(self, fs: VirtualFS, race: tuple[Path, bool] | None) -> Iterator[bytes]:
        gen = self.gen
        watch = race[0] if race is not None else None
        try:
            while True:
                saved = fs.watch, fs.watched
                fs.watch, fs.watched = watch, self.used
                try:
                    chunk = next(gen)
                except StopIteration as stop:
                    self.status = stop.value or 0
                    self.done = True
                    break
                finally:
                    fs.watch, fs.watched = saved
                if chunk:
                    self.io.written += len(chunk)
                    yield chunk
        finally:
            gen.close()
        if race is not None:
            _refuse_race(self.prep, self.used | self.prep.touched, fs.rel(race[0]), race[1])

    def drain(self) -> None:
        """Run to the end, discarding the output and any error messages from here on."""
        if self.done or self._pump is None:
            return
        self.shown = len(self.io.errors)
        for _ in self._pump:
            pass

    def close(self) -> None:
        if self._pump is not None:
            self._pump.close()  # type: ignore[attr-defined]


def _refuse_race(prep: Prepared, used: set[str] | frozenset[str], rel: str, existed: bool) -> None:
    """An earlier stage used the redirect target: bash starts it together with the open that
    creates or truncates the file, so what it sees would be a matter of timing."""
    name = prep.command.name
    if used & {"open", "stat"}:
        raise RaceError(
            f"{name} reads {rel}, which the redirect at the end empties or appends to while "
            "the pipeline runs (bash would race): write the output to another file"
        )
    if not existed and used & {"list", "kind"}:
        raise RaceError(
            f"{name} looks at the folder where the redirect creates {rel}; whether it sees the "
            "new file would be a race in bash: write the output to another folder or file"
        )


WRITERS = frozenset(name for name, command in REGISTRY.items() if command.writes)
"""Commands that change files: a line naming one is a write, whatever its arguments."""
