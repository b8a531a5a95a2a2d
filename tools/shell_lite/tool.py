"""The ``shell`` tool: plan a command line (effect, preview, fingerprint) and run exactly that."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools import words
from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    Scope,
    StaleActionError,
    ToolContext,
    ToolError,
    escape_text,
    fingerprint,
)
from tools.shell_lite import preview as previews
from tools.shell_lite.lexer import Pipeline, parse
from tools.shell_lite.pipeline import Limits, Outcome, Prepared, execute, prepare, writes
from tools.shell_lite.vfs import Change, VirtualFS, apply, before_images
from tools.words import plural

DESCRIPTION = """\
Run a small shell-like command line over the files of the workspace. There is no real shell: \
the commands below are built in, and nothing else runs. Reads run at once; anything that \
creates, changes, moves or removes a file (mkdir, touch, cp, mv, rm, or a '>'/'>>' redirect) \
is shown to the person as a diff and runs only if they approve.
Commands and their only flags (output matches GNU coreutils and grep in the C locale):
  ls [-a -A -1 -R -p -d] [PATH...]          cat [-n] FILE...
  head [-n N | -n -N | -c N | -N] FILE...   tail [-n N | -n +N | -c N | -c +N | -N] FILE...
  wc [-l -w -c] FILE...                     echo [-n] TEXT...   pwd
  grep [-i -v -n -c -l -q -s -o -w -x -r -h -H] [-E | -F | -G] [-m N] [-e PATTERN]... \
PATTERN [PATH...]  (basic regex by default, -E extended, -F fixed strings; -r searches folders)
  sort [-n -r -u -f -b -s] [-t SEP] [-k F[.C][bfnr][,F[.C][bfnr]]]... FILE...
  uniq [-c -d -u] [FILE]                    cut (-f LIST [-d SEP] [-s] | -c LIST | -b LIST) FILE...
  find [PATH...] [-name PAT] [-iname PAT] [-path PAT] [-type f|d|l] [-maxdepth N] [-mindepth N] \
[! TEST]
  mkdir [-p] DIR...   touch [-c] FILE...   cp [-r] SRC... DEST   mv SRC... DEST   rm [-r] [-f] PATH...
Syntax: 'single' and "double" quotes, backslash escapes, pipes '|', and one '>' or '>>' at the \
end. Globs * ? [...] expand inside the workspace only; a glob that matches nothing is an error. \
Refused with an error: ; && || & $VAR $(...) backticks < 2> {braces} ~ comments, unknown \
commands and unknown flags.
Paths are relative to the workspace: absolute paths, '..' leading out, symbolic links leading \
out and the assistant's own data are refused. Symbolic links are never moved or removed. A \
redirect is written after the pipeline finishes (so 'sort f > f' sorts f in place). Output is \
cut at 64 KB, a command is stopped after 10 s, and one write may touch at most 1000 paths. \
ls, find and grep -r list folders in name order.\
"""


class ShellTool:
    """shell-lite: coreutils-like commands in Python over the workspace, no shell, no subprocess."""

    name = "shell"
    description = DESCRIPTION
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "command": {
                "type": "string",
                "minLength": 1,
                "maxLength": 8000,
                "description": "The command line, e.g. \"grep -rn 'TODO' src | sort | head -20\".",
            }
        },
        "required": ["command"],
        "additionalProperties": False,
    }

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    # -- planning ---------------------------------------------------------------------------
    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        command = _command(args)
        pipeline = parse(command)
        fs, deadline = self._fs(ctx)
        prepared = prepare(pipeline, fs)
        stages = [[p.command.name, *p.argv] for p in prepared]
        if not writes(pipeline, prepared):
            read_paths = sorted({fs.rel(fs.resolve(p)) for p in _operands(prepared)})
            text = f"$ {command}\nreads: {', '.join(read_paths) if read_paths else '(no files)'}"
            return Action(
                tool=self.name,
                args=dict(args),
                effect=Effect.READ,
                summary=f"{_short(command)}",
                preview=Preview(
                    kind="shell",
                    text=escape_text(text),
                    data={"command": command, "stages": stages, "reads": read_paths, "changes": []},
                ),
                targets=tuple(f"path:{p}" for p in read_paths),
                fingerprint=fingerprint(dict(args)),
            )
        outcome, changes = self._dry_run(pipeline, prepared, fs, deadline)
        if not changes and outcome.status != 0:
            raise ToolError(
                "; ".join(outcome.errors) or f"the command failed (exit {outcome.status})"
            )
        redirect = None
        if pipeline.redirect is not None:
            target = fs.rel(fs.resolve(pipeline.redirect.target.text))
            redirect = {"path": target, "append": pipeline.redirect.append}
        preview = previews.build(command, stages, redirect, changes, outcome.errors)
        return Action(
            tool=self.name,
            args=dict(args),
            effect=Effect.WRITE,
            summary=f"{_short(command)} ({_count(changes)})",
            preview=preview,
            targets=tuple(f"path:{ch.rel}" for ch in changes),
            fingerprint=fingerprint(dict(args), _state(changes)),
            scope=_scope(prepared, pipeline, changes),
            state={"paths": [ch.rel for ch in changes]},
        )

    # -- running ----------------------------------------------------------------------------
    def run(self, action: Action, ctx: ToolContext) -> Result:
        command = _command(action.args)
        pipeline = parse(command)
        fs, deadline = self._fs(ctx)
        prepared = prepare(pipeline, fs)
        if not writes(pipeline, prepared):
            if action.effect != Effect.READ or action.fingerprint != fingerprint(dict(action.args)):
                raise ToolError("this action does not match its plan; plan it again")
            outcome = execute(pipeline, prepared, fs, self.limits, deadline)
            if fs.changes():
                raise ToolError("internal error: a read command planned a change; nothing written")
            return self._result(outcome, [])
        if action.effect != Effect.WRITE:
            raise ToolError("this command writes but was planned as a read; plan it again")
        outcome, changes = self._dry_run(pipeline, prepared, fs, deadline)
        if fingerprint(dict(action.args), _state(changes)) != action.fingerprint:
            raise StaleActionError(
                "the files changed since the preview (or the command would now change something "
                "else); nothing was written: plan the command again to see a fresh preview"
            )
        capture = before_images(ctx.workspace, changes)
        try:
            apply(ctx.workspace, changes)
        except OSError as exc:
            where = Path(str(exc.filename)).name if exc.filename else "?"
            failed = Result(
                False,
                f"error: the write failed part-way ({exc.strerror}: {where}); what it changed is "
                "recorded and can be undone",
            )
            return capture.attach(failed)
        return capture.attach(self._result(outcome, changes))

    # -- helpers ----------------------------------------------------------------------------
    def _fs(self, ctx: ToolContext) -> tuple[VirtualFS, float]:
        deadline = time.monotonic() + self.limits.timeout
        fs = VirtualFS(ctx.workspace, max_bytes=self.limits.write_bytes)

        def check() -> None:
            if time.monotonic() > deadline:
                raise ToolError(
                    f"stopped at the {self.limits.timeout:g} s time limit; nothing was changed"
                )

        fs.check = check
        return fs, deadline

    def _dry_run(
        self, pipeline: Pipeline, prepared: list[Prepared], fs: VirtualFS, deadline: float
    ) -> tuple[Outcome, list[Change]]:
        outcome = execute(pipeline, prepared, fs, self.limits, deadline)
        changes = fs.changes()
        if len(changes) > self.limits.paths:
            raise ToolError(
                f"this would touch {len(changes)} paths, over the limit of {self.limits.paths} for "
                "one approved write: work on smaller folders"
            )
        kept = sum(len(ch.before or b"") + len(ch.after or b"") for ch in changes)
        if kept > self.limits.write_bytes:
            raise ToolError(
                f"this would write and keep for undo {words.size(kept)}, over the "
                f"{words.size(self.limits.write_bytes)} limit for one write"
            )
        return outcome, changes

    def _result(
        self, outcome: Outcome, changes: list[Change], images: dict[str, bytes | None] | None = None
    ) -> Result:
        output = outcome.stdout.decode("utf-8", "backslashreplace")
        extras = []
        if outcome.truncated:
            extras.append(f"[output cut at {self.limits.output // 1024} KB]")
        if changes:
            extras.append("changed: " + ", ".join(f"{ch.verb} {ch.rel}" for ch in changes))
        extras.extend(outcome.errors)
        if outcome.status:
            extras.append(f"[exit status {outcome.status}]")
        for extra in extras:  # stdout stays byte-exact; notes follow on their own lines
            if output and not output.endswith("\n"):
                output += "\n"
            output += extra + "\n"
        display = f"exit {outcome.status} · {words.size(len(outcome.stdout))}"
        if changes:
            display += f" · {_count(changes)}"
        return Result(
            ok=outcome.status == 0,
            output=output,
            display=display,
            data={
                "exit_status": outcome.status,
                "truncated": outcome.truncated,
                "stderr": list(outcome.errors),
                "changes": [{"path": ch.rel, "action": ch.verb} for ch in changes],
            },
            before_images=images or {},
        )


def _command(args: Mapping[str, Any]) -> str:
    if not isinstance(args, Mapping) or set(args) != {"command"}:
        raise ToolError('arguments must be exactly {"command": "..."}')
    command = args["command"]
    if not isinstance(command, str) or not command.strip():
        raise ToolError("command must be a non-empty string")
    if len(command) > 8000:
        raise ToolError("command is longer than 8000 characters")
    return command


def _operands(prepared: list[Prepared]) -> list[str]:
    return [p for prep in prepared for p in getattr(prep.spec, "paths", [])]


def _short(command: str, limit: int = 80) -> str:
    one = escape_text(command)
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _count(changes: list[Change]) -> str:
    return plural(len(changes), "path")


def _state(changes: list[Change]) -> list[list[str | None]]:
    return [
        [ch.rel, ch.before_kind, ch.after_kind, previews.sha(ch.before), previews.sha(ch.after)]
        for ch in changes
    ]


def _scope(prepared: list[Prepared], pipeline: Pipeline, changes: list[Change]) -> Scope | None:
    """'Allow for this session' covers the same write commands in the same folder; rm is never
    offered (every removal is asked)."""
    verbs = {p.command.name for p in prepared if p.command.writes}
    if "rm" in verbs or not changes:
        return None
    if pipeline.redirect is not None:
        verbs.add(">>" if pipeline.redirect.append else ">")
    folders = [ch.rel.rpartition("/")[0] or "." for ch in changes]
    folder = os.path.commonpath(folders) if all(f != "." for f in folders) else "."
    names = sorted(verbs)
    key = f"shell:{'+'.join(names)}:dir:{folder}"
    where = "the workspace top folder" if folder == "." else f"{folder}/"
    return Scope(key=key, label=f"shell {', '.join(names)} in {where}")
