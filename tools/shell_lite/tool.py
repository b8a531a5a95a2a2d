"""The ``shell`` tool: plan a command line (effect, preview, fingerprint) and run exactly that."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from tools import words
from tools.base import (
    Action,
    Effect,
    Preview,
    Result,
    StaleActionError,
    ToolContext,
    ToolError,
    escape_text,
    fingerprint,
)
from tools.shell_lite import preview as previews
from tools.shell_lite import scope as scopes
from tools.shell_lite.lexer import Pipeline, parse
from tools.shell_lite.pipeline import (
    WRITERS,
    PipelineOutcome,
    Prepared,
    ShellLimits,
    execute,
    prepare,
    writes,
)
from tools.shell_lite.vfs import FILE, Change, DeniedPathError, VirtualFS, apply, before_images
from tools.words import plural

_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")

DESCRIPTION = """\
Run a small shell-like command line over the files of the workspace. There is no real shell: \
the commands below are built in, and nothing else runs. Reads run at once; anything that \
creates, changes, moves or removes a file (mkdir, touch, cp, mv, rm, or a '>'/'>>' redirect) \
is shown to the person as a diff and runs only if they approve.
Commands and their only flags (stdout, exit status and files match bash + GNU coreutils in the \
C locale, or the command is refused with a reason):
  ls [-a -A -1 -R -p -d -l] [PATH...]       cat [-n] FILE...
  head [-n N | -n -N | -c N | -c -N | -N] FILE...   tail [-n N | -n +N | -c N | -c +N | -N | +N] FILE...
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
commands and unknown flags, and a write command inside a pipeline.
Paths are relative to the workspace: absolute paths, '..' leading out, symbolic links leading \
out and the assistant's own data are refused. Symbolic links are never moved, copied by cp -r \
or removed; a file with several hard links is never changed. As in bash, a redirect opens its \
file before the last command runs ('sort f > f' leaves f empty; 'ls > f' lists f). Output is \
cut at 64 KB, a command is stopped after 10 s, one write may touch at most 1000 paths, and sort \
holds at most 16 MB of input in memory (more is sorted in runs spilled to temporary files). \
ls, find and grep -r list folders in name order; paths covered by a deny rule are left out.\
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

    def __init__(self, limits: ShellLimits | None = None) -> None:
        self.limits = limits or ShellLimits()

    # -- planning ---------------------------------------------------------------------------
    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        command = _command(args)
        with _clean_errors(ctx):
            return self._plan(command, args, ctx)

    def _plan(self, command: str, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        pipeline = parse(command)
        fs, deadline = self._fs(ctx, pipeline)
        prepared = prepare(pipeline, fs)
        stages = [[p.command.name, *p.argv] for p in prepared]
        if not writes(pipeline, prepared):
            reads = {fs.resolve(p) for p in _operands(prepared)}
            for path in reads:  # a link may lead to a denied file whose name the command hides
                fs.refuse_denied(path)
            read_paths = sorted(fs.rel(p) for p in reads)
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
        preview = previews.build(command, stages, redirect, changes, outcome.errors + fs.notes)
        verbs = sorted({p.command.name for p in prepared if p.command.writes})
        if pipeline.redirect is not None:
            verbs.append("redirect")
        return Action(
            tool=self.name,
            args=dict(args),
            effect=Effect.WRITE,
            summary=f"{_short(command)} ({_count(changes)})",
            preview=preview,
            targets=tuple(f"path:{ch.rel}" for ch in changes),
            fingerprint=fingerprint(dict(args), _state(changes)),
            scope=scopes.build(verbs, changes),
            state={"paths": [ch.rel for ch in changes]},
        )

    # -- running ----------------------------------------------------------------------------
    def run(self, action: Action, ctx: ToolContext) -> Result:
        command = _command(action.args)
        with _clean_errors(ctx):
            return self._run(command, action, ctx)

    def _run(self, command: str, action: Action, ctx: ToolContext) -> Result:
        pipeline = parse(command)
        fs, deadline = self._fs(ctx, pipeline)
        prepared = prepare(pipeline, fs)
        if not writes(pipeline, prepared):
            if action.effect != Effect.READ or action.fingerprint != fingerprint(dict(action.args)):
                raise ToolError("this action does not match its plan; plan it again")
            outcome = execute(pipeline, prepared, fs, self.limits, deadline)
            if fs.changes():
                raise ToolError("internal error: a read command planned a change; nothing written")
            return self._result(outcome, fs, [])
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
            failed = Result(
                False,
                f"error: the write failed part-way ({exc.strerror}: {_shown(ctx, exc.filename)}); "
                "what it changed is recorded and can be undone",
            )
            return capture.attach(failed)
        return capture.attach(self._result(outcome, fs, changes))

    # -- helpers ----------------------------------------------------------------------------
    def _fs(self, ctx: ToolContext, pipeline: Pipeline) -> tuple[VirtualFS, float]:
        deadline = time.monotonic() + self.limits.timeout
        effect = Effect.WRITE if _writes_syntax(pipeline) else Effect.READ

        def denied(rel: str) -> str | None:
            return ctx.denied(self.name, f"path:{rel}", effect)

        fs = VirtualFS(ctx.workspace, max_bytes=self.limits.write_bytes, denied=denied)

        def check() -> None:
            if time.monotonic() > deadline:
                raise ToolError(
                    f"stopped at the {self.limits.timeout:g} s time limit; nothing was changed"
                )

        fs.check = check
        return fs, deadline

    def _dry_run(
        self, pipeline: Pipeline, prepared: list[Prepared], fs: VirtualFS, deadline: float
    ) -> tuple[PipelineOutcome, list[Change]]:
        outcome = execute(pipeline, prepared, fs, self.limits, deadline)
        if fs.hidden_by_rule:
            raise DeniedPathError(
                "refused: this command would read, list or change paths covered by a deny rule; "
                "nothing was written"
            )
        changes = fs.changes()
        if len(changes) > self.limits.paths:
            raise ToolError(
                f"this would touch {len(changes)} paths, over the limit of {self.limits.paths} for "
                "one approved write: work on smaller folders"
            )
        for ch in changes:
            fs.refuse_denied(ch.path)
            if ch.before_kind == FILE:
                fs.ws.refuse_hard_link(ch.path)
        kept = sum(len(ch.before or b"") + len(ch.after or b"") for ch in changes)
        if kept > self.limits.write_bytes:
            raise ToolError(
                f"this would write and keep for undo {words.size(kept)}, over the "
                f"{words.size(self.limits.write_bytes)} limit for one write"
            )
        return outcome, changes

    def _result(
        self,
        outcome: PipelineOutcome,
        fs: VirtualFS,
        changes: list[Change],
    ) -> Result:
        cut = outcome.truncated or len(outcome.stdout) > self.limits.output
        output = outcome.stdout[: self.limits.output].decode("utf-8", "backslashreplace")
        notes = []
        if changes:
            notes.append("changed: " + ", ".join(f"{ch.verb} {ch.rel}" for ch in changes))
        notes.extend(outcome.errors)
        notes.extend(fs.notes)
        if fs.hidden_by_rule:
            notes.append(
                f"note: {plural(len(fs.hidden_by_rule), 'path')} left out: covered by a deny rule"
            )
        if outcome.status:
            notes.append(f"[exit status {outcome.status}]")
        kept = max(self.limits.output, self.limits.stdout)
        beside = ([f"[output cut at {words.size(kept)}]"] if outcome.truncated else []) + notes
        if cut:
            notes.insert(0, f"[output cut at {self.limits.output // 1024} KB]")
        for note in notes:  # stdout stays byte-exact; notes follow on their own lines
            if output and not output.endswith("\n"):
                output += "\n"
            output += note + "\n"
        display = f"exit {outcome.status} · {words.size(len(outcome.stdout))}"
        if changes:
            display += f" · {_count(changes)}"
        if outcome.status and outcome.errors:  # the person sees why, not only the number
            display += " · " + "; ".join(outcome.errors)
        return Result(
            ok=outcome.status == 0,
            output=output,
            display=display,
            stdout=outcome.stdout,
            notes=tuple(beside),
            data={
                "exit_status": outcome.status,
                "truncated": cut,
                "stdout_sha256": previews.sha(outcome.stdout),
                "stderr": list(outcome.errors),
                "notes": list(fs.notes),
                "changes": [{"path": ch.rel, "action": ch.verb} for ch in changes],
            },
        )


@contextmanager
def _clean_errors(ctx: ToolContext) -> Iterator[None]:
    """Whatever goes wrong while parsing, planning or running becomes a ToolError the model
    reads: no traceback, no absolute path outside the workspace."""
    try:
        yield
    except ToolError:
        raise
    except OSError as exc:
        what = exc.strerror or type(exc).__name__
        name = _shown(ctx, exc.filename)
        raise ToolError(f"{name}: {what}" if name else what) from None
    except RecursionError:
        raise ToolError("the command is nested too deeply to handle") from None
    except MemoryError:
        raise ToolError("the command needs more memory than it may use") from None
    except (UnicodeError, ValueError, OverflowError) as exc:
        raise ToolError(f"the command cannot be handled: {_scrub(ctx, str(exc))}") from None


def _shown(ctx: ToolContext, filename: object) -> str:
    """A file name from an OSError, workspace-relative (never an absolute path)."""
    if filename is None:
        return ""
    text = os.fsdecode(filename) if isinstance(filename, (str, bytes)) else str(filename)
    return _scrub(ctx, text)


def _scrub(ctx: ToolContext, text: str) -> str:
    root = str(ctx.workspace.root)
    text = text.replace(root + "/", "").replace(root, ".")
    return text[:300]


def _writes_syntax(pipeline: Pipeline) -> bool:
    return pipeline.redirect is not None or any(s.name in WRITERS for s in pipeline.stages)


def _command(args: Mapping[str, Any]) -> str:
    if not isinstance(args, Mapping) or set(args) != {"command"}:
        raise ToolError('arguments must be exactly {"command": "..."}')
    command = args["command"]
    if not isinstance(command, str) or not command.strip():
        raise ToolError("command must be a non-empty string")
    if len(command) > 8000:
        raise ToolError("command is longer than 8000 characters")
    bad = _LONE_SURROGATE.search(command)
    if bad is not None:  # \udc80-\udcff stand for raw bytes (surrogateescape); others are broken
        raise ToolError(
            f"the command holds a lone surrogate (U+{ord(bad.group()):04X}) at character "
            f"{bad.start()}: text must be valid Unicode"
        )
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
