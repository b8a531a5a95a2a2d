"""The screen as plain text lines: what a person would read (tests and debugging use it)."""

from __future__ import annotations

import html
import re
from typing import Any, NamedTuple

from rich.cells import cell_len
from textual.app import App

_TEXT = re.compile(
    r'<text [^>]*?x="(?P<x>[0-9.]+)"[^>]*?clip-path="url\(#[^)]*-line-(?P<line>[0-9]+)\)"[^>]*>'
    r"(?P<text>[^<]*)</text>"
)
_CHAR_WIDTH = 20 * 0.61
"""Rich's SVG export puts each run of text at x = column * char_height (20) * aspect (0.61)."""


def screen_text(app: App[Any]) -> str:
    """The active screen as text, one line per row, trailing spaces cut.

    Read from Textual's public screenshot (an SVG) rather than its private compositor: each
    run of text there names its line and its x position, and blank runs are left out."""
    width, height = app.size
    rows: list[list[str]] = [[" "] * width for _ in range(height)]
    for match in _TEXT.finditer(app.export_screenshot(simplify=True)):
        row = rows[int(match["line"])]
        column = round(float(match["x"]) / _CHAR_WIDTH)
        for char in html.unescape(match["text"]).replace("\xa0", " "):
            if column >= width:
                break
            row[column] = char
            for extra in range(1, cell_len(char)):  # a wide character covers the next cell
                if column + extra < width:
                    row[column + extra] = ""
            column += max(cell_len(char), 1)
    return "\n".join("".join(row).rstrip() for row in rows)


class Toast(NamedTuple):
    """A notification as the screen shows it: its text and its severity."""

    text: str
    severity: str


def toasts(app: App[Any]) -> list[Toast]:
    """The notifications the active screen shows, oldest first (Textual's toast widgets, read
    through the DOM and their own rendering, the way they reach the screen)."""
    shown = []
    for toast in app.screen.query("Toast"):
        content = toast.render()
        text = content.plain if hasattr(content, "plain") else str(content)
        kinds = [c[1:] for c in toast.classes if c in ("-information", "-warning", "-error")]
        shown.append(Toast(text, kinds[0] if kinds else ""))
    return shown
