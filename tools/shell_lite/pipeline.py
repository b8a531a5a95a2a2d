"""Runs a parsed pipeline: globs expanded, each command's arguments checked, data piped in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.base import ToolError
from tools.shell_lite import (
    cmd_files,
    cmd_grep,
    cmd_lines,
    cmd_ls,
    cmd_sort,
    cmd_text,
    cmd_wc,
    cmd_write,
)
from tools.shell_lite.command import IO, Command, OutputFull, Redirected, Sink
from tools.shell_lite.globbing import expand
from tools.shell_lite.lexer import Pipeline
from tools.shell_lite.lookup import ENOENT, lookup
from tools.shell_lite.vfs import ABSENT, DIR, FILE, VirtualFS

REGISTRY: dict[str, Command] = {
    c.name: c
    for module in (cmd_text, cmd_wc, cmd_grep, cmd_sort, cmd_lines, cmd_ls, cmd_files, cmd_write)
    for c in module.COMMANDS
}


@dataclass(frozen=True)
class ShellLimits:
    """Caps on what one command line may do."""

    timeout: float = 10.0
    output: int = 64 * 1024
    """Bytes of output the model reads; more is cut with a marker."""
    pipe: int = 64 << 20
    """Bytes one command may pass down a pipe."""
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
    """Run the stages in order, each reading the previous one's output. A redirect is opened
    first, as bash opens it before the last command starts (so ``ls > f`` lists f and
    ``sort f > f`` reads an empty f); its output becomes a planned write in ``fs``."""
    data: bytes | None = None
    errors: list[str] = []
    status = 0
    truncated = False
    redirect = pipeline.redirect
    target = _target(pipeline, fs)
    output = None
    if redirect is not None and target is not None:
        existed = fs.kind(target) == FILE
        base = fs.size(target) if redirect.append and existed else 0
        if not existed or not redirect.append:
            fs.write(target, b"")
        output = Redirected(target, base)
    for index, prep in enumerate(prepared):
        name = prep.command.name
        last = index == len(prepared) - 1
        if last and redirect is not None:
            sink = Sink(
                limits.write_bytes, cut=False, what=f"the output of {name} for the redirect"
            )
        elif last:
            sink = Sink(limits.output, cut=True, what="the output")
        else:
            sink = Sink(limits.pipe, cut=False, what=f"the output of {name} into the pipe")
        io = IO(
            cmd=name,
            fs=fs,
            stdin=data,
            out=sink,
            deadline=deadline,
            output=output if last else None,
        )
        fs.watch = None if last else target
        fs.watched.clear()
        try:
            status = prep.command.run(prep.spec, io)
        except OutputFull:
            status = 0
        if not last and target is not None:
            _refuse_race(prep, fs.watched | prep.touched, fs.rel(target), existed)
        errors.extend(io.errors)
        data = sink.getvalue()
        truncated = sink.truncated
    fs.watch = None
    stdout = data or b""
    if output is not None and stdout:
        if fs.kind(output.path) != FILE:
            raise ToolError(
                "the redirect target was changed by the command itself; nothing written"
            )
        fs.write(output.path, fs.read(output.path) + stdout)
        stdout = b""
    elif output is not None:
        stdout = b""
    return PipelineOutcome(stdout, truncated, status, errors)


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
