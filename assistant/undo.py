"""Undo: turn a recorded file write into the restore tool's arguments (CLI and UI share this)."""

from __future__ import annotations

from typing import Any

from assistant.journal import Journal, JournalError


class UndoError(Exception):
    """Why an action cannot be undone, in one line."""


def undo_args(journal: Journal, action_id: str) -> tuple[dict[str, Any], str]:
    """The restore tool's arguments for an action, and the workspace it ran in."""
    try:
        record = journal.find_action(action_id)
    except JournalError as exc:
        raise UndoError(str(exc)) from None
    tool = record.proposed.get("tool", "?")
    if record.result is None:
        raise UndoError(
            f"action {action_id} has no recorded result (denied, or outcome unknown): nothing to undo"
        )
    blobs = record.result.get("blobs") or {}
    if not blobs:
        if tool == "http_request":
            raise UndoError("HTTP requests cannot be undone: the server has already acted on it")
        raise UndoError(f"action {action_id} ({tool}) changed no files: nothing to undo")
    files = [{"path": path, "blob": digest} for path, digest in sorted(blobs.items())]
    session = journal.get_session(record.session_id)
    if (session.meta or {}).get("read_only"):
        raise UndoError(
            f"action {action_id} belongs to an imported, read-only session: its files are "
            "another machine's; undo it where it ran"
        )
    workspace = session.workspace
    return {"source": record.proposed.get("action_id", action_id), "files": files}, workspace
