"""What the history and replay screens ask of the app (resume, undo) and session export.

The screens never run a tool or touch the workspace: they post these messages, and the app
carries them out through its session, where a restore is previewed and approved like any write.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from assistant import paths
from assistant.errors import AssistantError
from assistant.journal import Journal
from assistant.ui.widgets.preview import safe

EXPORT_FORMATS = {"md": "Markdown", "html": "HTML", "jsonl": "JSONL", "recipe": "recipe"}
EXPORT_SUFFIXES = {"recipe": ".recipe.toml"}
"""File name endings that are not just the format's name."""


def now_local() -> datetime:
    """The default clock of the history screens: local time, aware."""
    return datetime.now().astimezone()


class ResumeSession(Message):
    """Ask the app to continue ``session_id`` in the chat (history and replay post this)."""

    def __init__(self, session_id: str) -> None:
        super().__init__()
        self.session_id = session_id


class UndoRequest(Message):
    """Ask the app to undo ``action_id``: the chat checks it with the session (a file write, an
    unaltered session, this workspace) and previews the restore in the confirm pane; it runs
    only if the person approves."""

    def __init__(self, action_id: str) -> None:
        super().__init__()
        self.action_id = action_id


# -- export ---------------------------------------------------------------------------------------


def export_to_file(journal: Journal, session_id: str, fmt: str, folder: Path | None = None) -> Path:
    """Render a session with ``assistant.export`` and write it, owner-only, under the data dir.

    The data dir, not the workspace: a file the app drops into the workspace would be a write no
    person approved. Raises JournalError, ExportError, OSError, or ValueError for a bad format.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use {', '.join(EXPORT_FORMATS)}")
    from assistant.export import export_session

    text = export_session(journal, session_id, fmt)
    if not isinstance(text, str):
        raise ValueError(f"the exporter returned {type(text).__name__}, not text")
    return save_export(text, session_id, EXPORT_SUFFIXES.get(fmt, "." + fmt), folder)


def save_export(text: str, session_id: str, suffix: str, folder: Path | None = None) -> Path:
    """Write an export as ``session-ID<suffix>``, owner-only, fsynced, replacing it whole."""
    folder = folder or paths.data_dir() / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"session-{session_id[:12]}{suffix}"
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written export left behind
        raise
    return target


class ExportDialog(ModalScreen[str | None]):
    """Pick an export format: m Markdown, h HTML, j JSONL, r recipe, l recipe with steps marked
    live (a dialog of its own); esc cancels."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Static {
        width: 44; height: auto; padding: 1 2; border: round $accent; background: $panel;
    }
    """
    BINDINGS = [
        Binding("m", "pick('md')", "Markdown"),
        Binding("h", "pick('html')", "HTML"),
        Binding("j", "pick('jsonl')", "JSONL"),
        Binding("r", "pick('recipe')", "recipe"),
        Binding("l", "pick('live')", "recipe, marking steps live"),
        Binding("escape", "pick('')", "cancel"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(
                ("Export this session\n\n", "bold"),
                "  m  Markdown\n  h  HTML\n  j  JSONL\n  r  recipe (.recipe.toml)\n"
                "  l  recipe, marking steps live…\n\n",
                ("esc cancel", "dim"),
            )
        )

    def action_pick(self, fmt: str) -> None:
        self.dismiss(fmt or None)


def start_export(
    screen: Screen[Any], journal: Journal, session_id: str, *, action_id: str | None = None
) -> None:
    """Ask for a format, then export in a thread and notify where the file went (or why not).
    "live" opens the dialog that marks steps live, on the step of ``action_id`` if it is one."""

    def chosen(fmt: str | None) -> None:
        if fmt == "live":
            from assistant.ui.screens.recipe_live import open_live_export

            open_live_export(screen, journal, session_id, action_id)
        elif fmt:
            screen.run_worker(
                lambda: _export_job(screen, journal, session_id, fmt),
                thread=True,
                group="export",
                exit_on_error=False,
            )

    screen.app.push_screen(ExportDialog(), chosen)


def _export_job(screen: Screen[Any], journal: Journal, session_id: str, fmt: str) -> None:
    app = screen.app
    try:
        path = export_to_file(journal, session_id, fmt)
    except (AssistantError, ValueError, OSError) as exc:
        app.notify(f"export failed: {safe(exc, 300)}", severity="error", markup=False)
    except Exception as exc:  # the exporter's own bug: said, not lost in a silent worker
        reason = f"{type(exc).__name__}: {safe(exc, 300)}"
        app.notify(f"export failed: {reason}", severity="error", markup=False)
    else:
        app.notify(f"exported {EXPORT_FORMATS[fmt]} to {safe(path)}", markup=False)
