"""Approvers answer "may this action run?" when policy says ask: a person at the console or a
blanket mode from the command line. The TUI's confirm pane is another (``assistant.ui.approver``)."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TextIO

from tools.base import Action, escape_text

Verdict = Literal["approve", "deny", "edit"]


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    by: str = "human"
    reason: str = ""
    edited_args: dict[str, Any] | None = None
    remember: bool = False
    """Approve and allow the action's scope for the rest of the session."""
    save: bool = False
    """Approve and save the action's scope as a rule for this workspace (it lasts)."""


@dataclass(frozen=True)
class ApprovalRequest:
    """One action put to an approver, as the gate journaled it: a front end finds its card by
    ``action_id`` (two identical actions in one reply are two requests)."""

    action_id: str
    action: Action
    edited_from: Mapping[str, Any] | None = None
    """The arguments before the person's edit, when this is the re-planned, edited action."""
    unlocks: str | None = None
    """What approving it also unlocks, in the words to show beside the preview."""


class Approver(Protocol):
    async def decide(self, request: ApprovalRequest) -> Decision:
        """Decide one action. Raising CancelledError (a stopped turn) leaves it not run."""
        ...


class ModeApprover:
    """--approve never / all, and headless ask (no terminal to ask on)."""

    def __init__(self, mode: Literal["never", "all", "headless"]) -> None:
        self.mode = mode

    async def decide(self, request: ApprovalRequest) -> Decision:
        action = request.action
        if self.mode == "all":
            if action.needs_person:
                return Decision(
                    "deny",
                    by="--approve all",
                    reason=f"{action.needs_person}; only a person can allow that (or --allow-host)",
                )
            return Decision("approve", by="--approve all")
        if self.mode == "never":
            return Decision(
                "deny", by="--approve never", reason="writes are not allowed in this run"
            )
        return Decision(
            "deny",
            by="headless",
            reason="no terminal to ask for approval; rerun with --approve all to allow writes",
        )


class ConsoleApprover:
    """Asks a person on the terminal: y approve, n deny (reason), e edit JSON, a allow for session.

    By default it reads the terminal without a blocking thread, so Ctrl+C at the prompt cancels
    the wait at once (the gate records the action as denied) instead of waiting for Enter.
    ``read`` replaces the terminal (tests, or a non-tty reader run in a thread)."""

    def __init__(
        self,
        write: Callable[[str], None],
        read: Callable[[str], str] | None = None,
        prompt_to: TextIO | None = None,
    ) -> None:
        self._write = write
        self._read = read
        self._prompt_to = prompt_to

    async def _ask(self, prompt: str) -> str:
        try:
            if self._read is not None:
                return await asyncio.to_thread(self._read, prompt)
            return await read_terminal_line(prompt, self._prompt_to or sys.stdout)
        except EOFError:
            return ""

    async def decide(self, request: ApprovalRequest) -> Decision:
        action = request.action
        options = ["[y] approve", "[n] deny", "[e] edit arguments"]
        offered = action.scope is not None and not action.needs_person
        if offered and action.scope is not None:
            label = escape_text(action.scope.label)
            options.append(f"[a] allow for this session: {label}")
            options.append(f"[r] always allow in this workspace (a saved rule): {label}")
        self._write("  " + "   ".join(options[:4]))
        for option in options[4:]:
            self._write("  " + option)
        while True:
            key = (await self._ask("  decide> ")).strip()
            if key.lower() in ("y", "yes"):
                return Decision("approve")
            if key.lower() in ("n", "no", ""):
                reason = (await self._ask("  reason for the model (optional)> ")).strip()
                return Decision("deny", reason=reason)
            if key.lower() == "a" and offered:
                return Decision("approve", remember=True)
            if key.lower() == "r" and offered:
                return Decision("approve", save=True)
            if key.lower() == "e":
                edited = await self._edit(action)
                if edited is not None:
                    return Decision("edit", edited_args=edited)
                continue
            self._write("  please answer y, n, e" + (", a or r" if offered else ""))

    async def _edit(self, action: Action) -> dict[str, Any] | None:
        """The edited arguments, or None (nothing changed). With $VISUAL or $EDITOR set, the
        arguments open there as JSON; text that is not a JSON object is said and opens again."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if editor and editor.strip():
            return await self._edit_in(editor, action)
        shown = json.dumps(dict(action.args), indent=2, ensure_ascii=False)
        self._write("  current arguments:\n" + escape_text(shown))
        self._write("  type the new arguments as JSON, end with an empty line (empty: cancel)")
        lines: list[str] = []
        while True:
            line = await self._ask("  ")
            if not line.strip():
                break
            lines.append(line)
        if not lines:
            return None
        try:
            edited = json.loads("\n".join(lines))
        except json.JSONDecodeError as exc:
            self._write(f"  not valid JSON ({exc.msg} at line {exc.lineno}); nothing changed")
            return None
        if not isinstance(edited, dict):
            self._write("  the arguments must be a JSON object; nothing changed")
            return None
        return edited

    async def _edit_in(self, editor: str, action: Action) -> dict[str, Any] | None:
        text = json.dumps(dict(action.args), indent=2, ensure_ascii=False) + "\n"
        while True:
            try:
                text = await asyncio.to_thread(edit_in_editor, editor, text)
            except EditorError as exc:
                self._write(f"  {exc}; nothing changed")
                return None
            if not text.strip():
                self._write("  the file was left empty; nothing changed")
                return None
            try:
                edited = json.loads(text)
            except json.JSONDecodeError as exc:
                problem = f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            else:
                if isinstance(edited, dict):
                    return edited
                problem = "the arguments must be a JSON object"
            self._write(f"  {problem}")
            again = await self._ask("  Enter edits it again, c cancels> ")
            if again.strip().lower() in ("c", "cancel", "n", "q"):
                self._write("  nothing changed")
                return None


class EditorError(Exception):
    """$EDITOR could not be run or failed; the message says how."""


def edit_in_editor(editor: str, text: str) -> str:
    """Open ``text`` in the person's editor (``$VISUAL``/``$EDITOR``, which may carry its own
    arguments) on a private temporary .json file, and return what was saved."""
    import shlex
    import subprocess
    import tempfile

    try:
        argv = shlex.split(editor)
    except ValueError as exc:
        raise EditorError(f"$EDITOR {editor!r} cannot be read ({exc})") from None
    fd, name = tempfile.mkstemp(prefix="assistant-args-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            done = subprocess.run([*argv, name], check=False)
        except OSError as exc:
            raise EditorError(f"$EDITOR {argv[0]!r} could not start ({exc.strerror})") from None
        if done.returncode != 0:
            raise EditorError(f"the editor exited with status {done.returncode}")
        with open(name, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    finally:
        os.unlink(name)


async def read_terminal_line(prompt: str, out: TextIO, fd: int | None = None) -> str:
    """One line from the terminal (stdin), awaited on the event loop rather than in a thread:
    cancelling it (Ctrl+C) returns at once and leaves nothing blocked on the terminal. The tty
    itself edits the line; EOFError at end of input, as ``input()`` raises."""
    out.write(prompt)
    out.flush()
    fd = sys.stdin.fileno() if fd is None else fd
    loop = asyncio.get_running_loop()
    done: asyncio.Future[bytes] = loop.create_future()
    buffer = bytearray()

    def readable() -> None:
        try:
            chunk = os.read(fd, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # the terminal went away (EIO on a closed pty)
            chunk = b""
            if not done.done() and exc.errno not in (errno.EIO, errno.EBADF):
                done.set_exception(exc)
                return
        if done.done():
            return
        if not chunk:
            if buffer:
                done.set_result(bytes(buffer))
            else:
                done.set_exception(EOFError())
            return
        buffer.extend(chunk)
        if b"\n" in buffer:
            done.set_result(bytes(buffer))

    try:
        loop.add_reader(fd, readable)
    except (NotImplementedError, ValueError, OSError):  # no selector for it: read in a thread
        return await asyncio.to_thread(input)
    try:
        line = await done
    finally:
        loop.remove_reader(fd)
    return line.decode("utf-8", "replace").split("\n", 1)[0].rstrip("\r")
