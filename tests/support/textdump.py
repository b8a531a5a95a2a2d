"""The screen as plain text lines: what a person would read (tests and debugging use it)."""

from __future__ import annotations

from typing import Any

from textual.app import App


def screen_text(app: App[Any]) -> str:
    """Render the active screen's compositor to text, one line per row, trailing spaces cut."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)
