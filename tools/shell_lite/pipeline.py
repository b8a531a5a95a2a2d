"""Runs a parsed pipeline: globs expanded, each command's arguments checked, data piped in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.base import ToolError
from tools.shell_lite import cmd_files, cmd_grep, cmd_sort, cmd_text, cmd_write
from tools.shell_lite.command import IO, Command, OutputFull, Sink
from tools.shell_lite.globbing import expand
from tools.shell_lite.lexer import Pipeline
from tools.shell_lite.vfs import ABSENT, DIR, VirtualFS

REGISTRY: dict[str, Command] = {
    c.name: c
    for module in (cmd_text, cmd_grep, cmd_sort, cmd_files, cmd_write)
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


@dataclass
class PipelineOutcome:
    """What running a pipeline printed and how it ended."""

    stdout: bytes
    truncated: bool
    status: int
    errors: list[str] = field(default_factory=list)


def prepare(pipeline: Pipeline, fs: VirtualFS) -> list[Prepared]:
    """Expand globs, check every command's flags and operands, resolve every path operand (so an
    escape is refused before anything runs)."""
    prepared = []
    for stage in pipeline.stages:
        command = REGISTRY.get(stage.name)
        if command is None:
            known = ", ".join(sorted(REGISTRY))
            raise ToolError(f"unknown command {stage.name!r}: shell-lite has only {known}")
        argv: list[str] = []
        for word in stage.words[1:]:
            argv.extend(expand(fs.ws, word.glob, fs.check) if word.glob else [word.text])
        spec = command.parse(argv)
        for path in spec.paths:
            fs.resolve(path)
        prepared.append(Prepared(command, tuple(argv), spec))
    if pipeline.redirect is not None:
        fs.resolve(pipeline.redirect.target.text)
    return prepared


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
    """Run the stages in order, each reading the previous one's output; a redirect becomes a
    planned write in ``fs``."""
    data: bytes | None = None
    errors: list[str] = []
    status = 0
    truncated = False
    redirect = pipeline.redirect
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
        io = IO(cmd=name, fs=fs, stdin=data, out=sink, deadline=deadline)
        try:
            status = prep.command.run(prep.spec, io)
        except OutputFull:
            status = 0
        errors.extend(io.errors)
        data = sink.getvalue()
        truncated = sink.truncated
    stdout = data or b""
    if redirect is not None:
        target = fs.resolve(redirect.target.text)
        kind = fs.kind(target)
        shown = redirect.target.text
        if kind == DIR:
            raise ToolError(f"cannot write to {shown!r}: it is a folder")
        if kind == ABSENT and not (target.parent == fs.ws.root or fs.is_dir(target.parent)):
            raise ToolError(f"cannot write to {shown!r}: its folder does not exist (use mkdir -p)")
        if kind not in (ABSENT, "file"):
            raise ToolError(f"cannot write to {shown!r}: not a regular file")
        before = fs.read(target) if redirect.append and kind == "file" else b""
        fs.write(target, before + stdout)
        stdout = b""
    return PipelineOutcome(stdout, truncated, status, errors)
