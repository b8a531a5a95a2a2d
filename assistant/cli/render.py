"""How session events look on a plain terminal (`assistant run` and `assistant tool`)."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from assistant.agent import events as ev
from tools.base import escape_text

TAGS = {"read": "READ", "write": "WRITE", "egress": "EGRESS"}


class ConsoleRenderer:
    """Prints events as they happen. Model and tool text is untrusted: control characters are
    shown escaped, never sent to the terminal."""

    def __init__(self, stream: TextIO | None = None, *, show_previews: bool = True) -> None:
        self.stream = stream or sys.stdout
        self.show_previews = show_previews
        self._mid_line = False
        self._summaries: dict[str, str] = {}

    def write(self, text: str) -> None:
        """Print text of our own making (already escaped where it quotes untrusted text)."""
        self._end_stream()
        print(text, file=self.stream, flush=True)

    def show(self, text: str) -> None:
        """Print untrusted text (a tool's output, a file's contents): escapes shown, never sent."""
        self.write(escape_text(text))

    def _end_stream(self) -> None:
        if self._mid_line:
            print(file=self.stream)
            self._mid_line = False

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.AssistantDelta):
            self.stream.write(escape_text(event.text))
            self.stream.flush()
            self._mid_line = not event.text.endswith("\n")
        elif isinstance(event, ev.ActionProposed):
            self._summaries[event.action_id] = event.summary
            tag = TAGS.get(event.effect, event.effect.upper())
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
        elif isinstance(event, ev.ActionDecided):
            if event.by == "policy:read":
                return
            what = {"approve": "approved", "deny": "denied", "edit": "edited"}[event.verdict]
            who = "you" if event.by == "human" else event.by
            reason = f': "{escape_text(event.reason)}"' if event.reason else ""
            self.write(f"  → {what} by {who}{reason}")
        elif isinstance(event, ev.GrantAdded):
            self.write(f"  → allowed for this session: {event.label} (rule {event.grant_id})")
        elif isinstance(event, ev.HostUnlocked):
            self.write(f"  → unlocked: {escape_text(event.label)} ({event.unlock_id})")
        elif isinstance(event, ev.ActionResult):
            mark = "✓" if event.ok else "✗"
            line = event.display or _first_line(event.output)
            self.write(f"  {mark} {escape_text(line)} ({event.elapsed:.2f} s)")
        elif isinstance(event, ev.ActionError):
            self.write(f"\n✗ {escape_text(event.tool)}: {escape_text(event.message)}")
        elif isinstance(event, ev.TurnError):
            self.write(f"\n✗ {escape_text(event.message)}")
        elif isinstance(event, ev.TurnEnd):
            self._end_stream()


class JsonRenderer:
    """One JSON object per event per line: {"kind": ..., payload fields...}."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: ev.Event) -> None:
        print(json_line({"kind": event.kind, **event.to_json()}), file=self.stream, flush=True)


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


def _first_line(text: str, width: int = 100) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"
