"""Exports of a session for people and machines (Markdown, HTML, JSONL, a recipe), and JSONL import.

Every export passes the process Redactor again (a secret added after the session was recorded
is still kept out) and neutralises terminal control sequences. Importing is verify-then-store:
a file whose hash chain does not hold is refused, naming the line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.export._jsonl import ImportRefused, ImportResult, import_jsonl
from assistant.export._transcript import Redact

if TYPE_CHECKING:
    from assistant.journal import Journal, SessionInfo

FORMATS = ("md", "html", "jsonl", "recipe")


class ExportError(AssistantError, ValueError):
    """An export that cannot be made as asked (an unknown format)."""


def export_session(
    journal: Journal, session_id: str, fmt: str, *, redact: Redact | None = None
) -> str:
    """A session (id or unique prefix) as "md", "html", "jsonl" or "recipe" text.

    Raises ExportError for an unknown format, and the journal's SessionLookupError/JournalError
    when the session cannot be read.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "recipe":
        from assistant.recipes import make

        return make(journal, session_id, redact=redact).text
    from assistant.export import _html, _jsonl, _markdown, _transcript

    transcript = _transcript.load(journal, session_id, redact)
    if fmt == "jsonl":
        return _jsonl.render(transcript)
    text = _markdown.render(transcript) if fmt == "md" else _html.render(transcript)
    # Belt and braces: the rendered text is scanned once more for known secret values.
    final: Any = (redact or _transcript.default_redact())(text)
    return str(final)


def read_only_reason(info: SessionInfo) -> str | None:
    """Why a session must not get new turns (an imported copy), or None when it may."""
    meta = info.meta if isinstance(info.meta, dict) else {}
    if not meta.get("read_only"):
        return None
    imported = meta.get("imported") if isinstance(meta.get("imported"), dict) else {}
    source = imported.get("source_session") if isinstance(imported, dict) else None
    from tools.base import escape_text

    origin = f" (imported from session {escape_text(source)})" if isinstance(source, str) else ""
    return (
        f"session {info.id[:8]} is read-only{origin}: it cannot be resumed; start a new session, "
        "or make a recipe from it with `assistant export ID --format recipe`"
    )


__all__ = [
    "FORMATS",
    "ExportError",
    "ImportRefused",
    "ImportResult",
    "export_session",
    "import_jsonl",
    "read_only_reason",
]
