"""Reply: the model's Markdown answer, repainted while it streams at a pace the stream can afford.

Cost, measured on a 20 KB answer on a 2-core machine: a Textual ``Markdown`` widget (a widget per
block) takes about 0.6 s to build; ``rich.markdown.Markdown`` in a ``Static`` about a tenth of that.
So a reply is a column of Statics: the text is cut into sections at top-level block boundaries
(see :func:`sections`), finished sections are drawn once, and a repaint redraws only the last one.
The cut depends only on the text before it, so a reply streamed in pieces and the same reply drawn
whole from the journal end with the same sections and look the same.

While text streams in, repaints are spaced so painting takes about a tenth of the time: the gap is
nine times the estimated cost of a repaint (the last section's measured rendering times
``LAYOUT_FACTOR``, at least ``REFRESH_COST``), scaled by how busy the process was since the last
repaint, between 40 ms and 1 s: a slow network stream is painted almost at once, a stream the
CPU can barely keep up with is slowed little. Links show their address; nothing is clickable.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Static

MIN_GAP = 0.04
MAX_GAP = 1.0
PAINT_SHARE = 0.1
"""The share of the time a streaming reply may spend repainting."""
LAYOUT_FACTOR = 3.0
"""A repaint costs the screen about this many times the section's own rendering (layout and
compositing around it)..."""
REFRESH_COST = 0.03
"""...and at least this many seconds (a full screen refresh, measured on a 2-core machine)."""
SECTION_CHARS = 1500
"""A section is closed at the first block boundary after this many characters."""
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)
_BOUNDARY = re.compile(r"\n\n(?=[A-Za-z#>_\[!(\"'])")
"""A blank line, then a line that starts a heading, quote or paragraph (not a list item, a
numbered line, an indented block, a table row or a setext underline, which may continue what
came before)."""


def sections(text: str, start: int = 0) -> list[int]:
    """Offsets after ``start`` where a new section may begin: top-level block boundaries outside
    code fences, at least SECTION_CHARS apart. Each depends only on the text before it (and one
    character after), so the list for a longer text extends the list for a shorter one."""
    cuts: list[int] = []
    last = start
    for match in _BOUNDARY.finditer(text, start):
        cut = match.end()
        if cut - last < SECTION_CHARS or cut >= len(text):
            continue
        if len(_FENCE.findall(text, last, cut)) % 2:
            continue  # inside a fenced code block
        cuts.append(cut)
        last = cut
    return cuts


class Section(Static):
    """One section's Markdown; the time spent laying it out and rendering is recorded."""

    DEFAULT_CSS = """
    Section { height: auto; margin: 0 0 1 0; }
    Section:last-child { margin: 0; }
    """

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.spent = 0.0
        self.source = ""
        self.show(text)

    def show(self, text: str) -> None:
        from rich.markdown import Markdown  # here, not at import: the first frame comes sooner

        if text != self.source:
            self.source = text
            self.update(Markdown(text, hyperlinks=False, code_theme="ansi_dark"))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        started = time.perf_counter()
        try:
            return super().get_content_height(container, viewport, width)
        finally:
            self.spent += time.perf_counter() - started

    def render_lines(self, crop: Region) -> list[Strip]:
        started = time.perf_counter()
        try:
            return super().render_lines(crop)
        finally:
            self.spent += time.perf_counter() - started


class Reply(Vertical):
    """Feed it fragments (already escaped); ``settle`` with the final text when the reply ends."""

    DEFAULT_CSS = """
    Reply { height: auto; margin: 0 0 1 0; padding: 0 1; }
    """

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reply_text = text
        self._cuts: list[int] = []
        self._painted: str | None = None
        self._timer: Timer | None = None
        self._cost = REFRESH_COST
        self._clocks = (time.perf_counter(), time.process_time())
        self._ready = False
        self._shown = asyncio.Event()

    def on_mount(self) -> None:
        self._ready = True
        self._paint()

    def feed(self, fragment: str) -> None:
        """Add a fragment; the repaint comes when the pacing allows."""
        self.reply_text += fragment
        self._shown.clear()
        if self._ready and self._timer is None:
            self._timer = self.set_timer(self._gap(), self._paint)

    def _gap(self) -> float:
        """Seconds until the next repaint. A busy process (the stream arrives faster than the
        CPU handles it) pays for every repaint in wall time; an idle one (a slow network) not."""
        wall, cpu = self._clocks
        busy = min(1.0, (time.process_time() - cpu) / max(1e-6, time.perf_counter() - wall))
        gap = self._cost * busy * (1 - PAINT_SHARE) / PAINT_SHARE
        return min(MAX_GAP, max(MIN_GAP, gap))

    def settle(self, final: str | None) -> None:
        """The reply is complete: paint exactly the final text now."""
        if final is not None and final != self.reply_text:
            if not final.startswith(self.reply_text[: self._cuts[-1]] if self._cuts else ""):
                self._cuts = []  # the final text differs from what streamed: cut it afresh
            self.reply_text = final
        self._shown.clear()
        if self._ready:
            self._paint()

    def _paint(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        text = self.reply_text
        if text == self._painted:
            self._shown.set()
            return
        self._cuts += sections(text, self._cuts[-1] if self._cuts else 0)
        bounds = [0, *self._cuts, len(text)]
        parts = [text[a:b].rstrip("\n") for a, b in zip(bounds, bounds[1:], strict=False)]
        shown = list(self.query_children(Section).results(Section))
        last = shown[-1] if shown else None
        spent = last.spent if last is not None else 0.0
        for index, part in enumerate(parts):
            if index < len(shown):
                shown[index].show(part)
            else:
                self.mount(Section(part))
        if len(shown) > len(parts):  # only after a settle that cut afresh
            for extra in shown[len(parts) :]:
                extra.remove()
        self._cost = max(REFRESH_COST, LAYOUT_FACTOR * spent)
        self._clocks = (time.perf_counter(), time.process_time())
        if last is not None:
            last.spent = 0.0
        self._painted = text

        def painted() -> None:
            if self._painted == self.reply_text:
                self._shown.set()

        self.call_after_refresh(painted)

    async def drained(self) -> None:
        """Wait until the whole text fed so far is on screen (tests, benchmarks)."""
        if self._ready and self._painted != self.reply_text:
            self._paint()
        await self._shown.wait()
