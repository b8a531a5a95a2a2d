"""Text commands that read and print: cat, echo, pwd (GNU coreutils output)."""

from __future__ import annotations

import os
import re

from tools.shell_lite.command import (
    IO,
    Command,
    Output,
    Spec,
    UsageError,
    getopt,
)
from tools.shell_lite.lookup import EISDIR

# -- cat ------------------------------------------------------------------------------------


def _parse_cat(argv: list[str]) -> Spec:
    opts = getopt("cat", argv, "n")
    return Spec(opts, paths=[p for p in opts.operands if p != "-"])


def _run_cat(spec: Spec, io: IO) -> Output:
    status = 0
    state = {"line": 0, "at_start": True}
    for name in spec.opts.operands or ["-"]:
        if name != "-" and io.output is not None:
            found = io.lookup(name)
            if found.error is None and io.is_output(found.path) and io.output_size():
                io.err(f"{name}: input file is output file")  # GNU refuses to grow it forever
                status = 1
                continue
        inp = io.input(name)
        if inp.reader is None:
            io.err(f"{name}: {inp.error or EISDIR}")
            status = 1
            continue
        with inp.reader as reader:
            if spec.opts.has("n"):
                for chunk in io.chunks(reader):
                    yield _number(chunk, state)
            else:
                yield from io.blocks(reader)
    return status


def _number(chunk: bytes, state: dict[str, int | bool]) -> bytes:
    """cat -n: '%6d\\t' before each line; a line cut across reads keeps its one number."""
    lines = chunk.split(b"\n")
    out = []
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        if last and not line:
            break
        if state["at_start"]:
            state["line"] = int(state["line"]) + 1
            out.append(b"%6d\t" % state["line"])
        out.append(line + (b"" if last else b"\n"))
        state["at_start"] = not last
    return b"".join(out)


# -- echo and pwd ---------------------------------------------------------------------------

_ECHO_FLAG = re.compile(r"-[A-Za-z]+")


def _parse_echo(argv: list[str]) -> Spec:
    opts = getopt("echo", [], "")
    newline = True
    words = list(argv)
    while words and _ECHO_FLAG.fullmatch(words[0]):
        if set(words[0][1:]) != {"n"}:
            raise UsageError(
                f"echo: unknown flag {words[0]}; echo supports -n (escapes are not interpreted)"
            )
        newline = False
        words.pop(0)
    spec = Spec(opts)
    spec.extra.update(words=words, newline=newline)
    return spec


def _run_echo(spec: Spec, io: IO) -> Output:
    text = " ".join(spec.extra["words"]).encode("utf-8", "surrogateescape")
    yield text + (b"\n" if spec.extra["newline"] else b"")
    return 0


def _parse_pwd(argv: list[str]) -> Spec:
    opts = getopt("pwd", argv, "")
    if opts.operands:
        raise UsageError("pwd: takes no arguments")
    return Spec(opts)


def _run_pwd(spec: Spec, io: IO) -> Output:
    yield os.fsencode(str(io.fs.ws.root)) + b"\n"
    return 0


COMMANDS = [
    Command("cat", False, _parse_cat, _run_cat),
    Command("echo", False, _parse_echo, _run_echo),
    Command("pwd", False, _parse_pwd, _run_pwd),
]
