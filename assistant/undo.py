"""Undo: turn a recorded file write into the restore tool's arguments (CLI and UI share this)."""

from __future__ import annotations

from typing import Any

from assistant.journal import Journal, JournalError


class UndoError(Exception):
    """Why an action cannot be undone, in one line."""


def undo_args(
    journal: Journal, action_id: str, *, force: bool = False
) -> tuple[dict[str, Any], str]:
    """The restore tool's arguments for an action, and the workspace it ran in.

    ``force``: undo even over changes made after the action (the preview shows them); without
    it such an undo needs a person's approval.
    """
    from assistant.agent import action_life
    from tools.base import ToolError
    from tools.undo_record import restore_entries

    try:
        record = journal.find_action(action_id)
        life = action_life.find(journal, record.session_id, record.action_id)
    except JournalError as exc:
        raise UndoError(str(exc)) from None
    if life is None:  # indexed, yet its proposal no longer reads as one
        raise UndoError(f"action {action_id}: its proposal cannot be read: nothing to undo")
    tool = life.proposed.tool or "?"
    if life.result is None:
        raise UndoError(
            f"action {action_id} has no recorded result (denied, or outcome unknown): nothing to undo"
        )
    blobs = life.result.blobs
    if not blobs:
        if tool == "http_request":
            raise UndoError("HTTP requests cannot be undone: the server has already acted on it")
        raise UndoError(f"action {action_id} ({tool}) changed no files: nothing to undo")
    try:
        paths = restore_entries(blobs, life.result.data)
    except ToolError as exc:
        raise UndoError(f"action {action_id} cannot be undone: {exc}") from None
    try:  # the shared rule: an altered session or an imported copy is not undone
        session = journal.check_resumable(record.session_id)
    except JournalError as exc:
        raise UndoError(f"action {action_id}: {exc}") from None
    workspace = session.workspace
    args: dict[str, Any] = {"source": life.action_id, "tool": str(tool), "paths": paths}
    if force:
        args["force"] = True
    return args, workspace
