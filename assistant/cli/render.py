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
        self._end_stream()
        print(text, file=self.stream, flush=True)

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
        print(
            json.dumps({"kind": event.kind, **event.to_json()}, ensure_ascii=False),
            file=self.stream,
            flush=True,
        )


def _first_line(text: str, width: int = 100) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"
