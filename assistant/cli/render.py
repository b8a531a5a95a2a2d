"""How session events look on a plain terminal (`assistant run` and `assistant tool`)."""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from assistant import present
from assistant.agent import events as ev
from assistant.agent.action_life import ActionFold
from tools.base import escape_text


class ConsoleRenderer:
    """Prints events as they happen. Model and tool text is untrusted: control characters are
    shown escaped, never sent to the terminal.

    A good Unix citizen: the data (the model's words, a tool's output) goes to ``stream``
    (stdout), everything else (action cards, previews, decisions, errors) to ``notes``
    (stderr), so `assistant run ... > answer.txt` keeps only the answer. Given one stream and
    no ``notes``, everything goes to that stream."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        notes: TextIO | None = None,
        show_previews: bool = True,
    ) -> None:
        self.stream = stream or sys.stdout
        self.notes = notes or (stream if stream is not None else sys.stderr)
        self.show_previews = show_previews
        self.waiting = WaitLine()
        self._mid_line = False
        self.lives = ActionFold()
        """The session so far, folded (what a revoked rule had allowed, say)."""

    def write(self, text: str) -> None:
        """Print a note of our own making (already escaped where it quotes untrusted text)."""
        self.waiting.clear()
        self._end_stream()
        print(text, file=self.notes, flush=True)

    def show(self, text: str) -> None:
        """Print untrusted data (a tool's output, a file's contents) on the data stream:
        escapes shown, never sent."""
        self.waiting.clear()
        self._end_stream()
        print(escape_text(text), file=self.stream, flush=True)

    def _end_stream(self) -> None:
        if self._mid_line:
            print(file=self.stream)
            self._mid_line = False

    def __call__(self, event: ev.Event) -> None:
        if event.persist:
            self.lives.add(event)
        if isinstance(event, ev.TurnWait):
            self._end_stream()  # a status on the answer's own line would erase it
        if self.waiting.follow(event):
            return
        match event:
            case ev.AssistantDelta(text=text):
                self.stream.write(escape_text(text))
                self.stream.flush()
                self._mid_line = not text.endswith("\n")
            case ev.ActionProposed():
                tag = present.effect_tag(event.effect)
                self.write(f"\n● {tag} {event.tool}: {escape_text(event.summary)}")
                if event.effect != "read" and self.show_previews:
                    text = escape_text(event.preview.get("text", ""))
                    self.write(
                        "\n".join("  │ " + line for line in text.splitlines()) or "  │ (no preview)"
                    )
                if event.needs_person:
                    self.write(f"  ! {escape_text(event.needs_person)}")
                if event.unlocks:
                    self.write(f"  ! {escape_text(event.unlocks)}")
            case ev.ActionDecided(by=by) if by != "policy:read":
                what = present.VERBS.get(event.verdict, event.verdict)
                who = present.decider(by, rule=event.reason if by.startswith("rule:") else "")
                reason = (
                    f': "{escape_text(event.reason)}"'
                    if event.reason and not by.startswith("rule:")
                    else ""
                )
                self.write(f"  → {what} by {escape_text(who)}{reason}")
            case ev.GrantAdded():
                self.write(
                    f"  → {present.granted(event.lasting)}: {escape_text(event.label)}"
                    f" (rule {escape_text(event.grant_id)})"
                )
            case ev.HostUnlocked():
                self.write(f"  → unlocked: {escape_text(event.label)} ({event.unlock_id})")
            case ev.GrantRevoked(grant_id=rule_id):
                rule = self.lives.rules.get(rule_id)
                label = f" ({escape_text(rule.label)})" if rule is not None else ""
                self.write(f"  → {escape_text(rule_id)}{label} revoked: such calls ask again")
            case ev.ActionResult():
                mark = "✓" if event.ok else "✗"
                line = event.display or present.first_line(event.output, 100)
                self.write(f"  {mark} {escape_text(line)} ({present.elapsed(event.elapsed)})")
            case ev.ActionError():
                self.write(f"\n✗ {escape_text(event.tool)}: {escape_text(event.message)}")
            case ev.ToolFault():
                where = f" at {event.frames[-1]}" if event.frames else ""
                self.write(
                    f"  (internal error recorded in the journal: {escape_text(event.error)}"
                    f"{escape_text(where)})"
                )
            case ev.TurnError():
                self.write(f"\n✗ {escape_text(event.message)}")
            case ev.TurnEnd():
                self._end_stream()


class JsonRenderer:
    """One JSON object per event per line: {"kind": ..., payload fields...}."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.waiting = WaitLine()

    def __call__(self, event: ev.Event) -> None:
        if self.waiting.follow(event):  # a notice for the person, not data
            return
        print(json_line({"kind": event.kind, **event.to_json()}), file=self.stream, flush=True)


class WaitLine:
    """What the model is waited for, said on stderr (stdout is for the answer and the data),
    in the app's words (``present``): a back-off at once, as a line of its own, so a rate limit
    or a server error is never seconds of silence; "thinking…" (or the model library loading)
    only when stderr is a terminal, as a status rewritten in place and erased before anything
    else is printed, so no pipe or log ever holds it."""

    ERASE = "\r\x1b[K"
    """Back to the start of the line, and clear it."""

    def __init__(self) -> None:
        self.shown = False

    def follow(self, event: ev.Event) -> bool:
        """Show or erase the status for ``event``; True when it was a wait (nothing else to
        print for it)."""
        if not isinstance(event, ev.TurnWait):
            self.clear()  # something arrived (text, an action, the turn's end)
            return False
        if event.state == "retrying":
            self.clear()
            line = f"assistant: {present.retrying(event.seconds, escape_text(event.reason))}"
            print(f"{line}, attempt {event.attempt}", file=sys.stderr, flush=True)
        elif event.state == "starting":
            self.status(escape_text(event.reason))
        else:
            self.status(present.LOADING if event.state == "loading" else present.THINKING)
        return True

    def status(self, words: str) -> None:
        """Say ``words`` on stderr's last line, if stderr is a terminal."""
        stderr = sys.stderr
        if stderr is None or not stderr.isatty():
            return
        line = f"assistant: {words}"
        try:  # one row: a status that wrapped could not be erased whole
            width = os.get_terminal_size(stderr.fileno()).columns
        except (OSError, ValueError, AttributeError):
            width = 0
        width = width or 80  # a terminal that does not say its size
        if len(line) >= width:
            line = line[: max(0, width - 2)] + "…"
        stderr.write(self.ERASE + line)
        stderr.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the status, if one is shown (before the answer or any note is printed)."""
        if self.shown:
            self.shown = False
            sys.stderr.write(self.ERASE)
            sys.stderr.flush()


def json_line(obj: object) -> str:
    """JSON readable as UTF-8 text, with every character ``escape_text`` would escape (C0 and C1
    controls, bidi and zero-width marks, lone surrogates) written as a JSON escape, so a terminal
    showing the line never acts on one."""
    text = json.dumps(obj, ensure_ascii=False)
    if text.isprintable():
        return text
    return "".join(_json_escape(ch) if escape_text(ch) != ch else ch for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
