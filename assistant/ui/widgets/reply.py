"""Reply: the model's Markdown answer, repainted while it streams at a pace the stream can afford.

Cost, measured on a 20 KB answer on a 2-core machine: a Textual ``Markdown`` widget (a widget per
block) takes about 0.6 s to build; ``rich.markdown.Markdown`` rendered to lines about a tenth of
that. So a reply is one line-API widget: the text is cut into sections at top-level block
boundaries (see :func:`sections`), each section is rendered once into strips, and a repaint
renders only the sections that changed (the last one, while streaming). The cut depends only on
the text before it, so a reply streamed in pieces and the same reply drawn whole from the
journal end with the same sections and look the same.

While text streams in, repaints are spaced by what they cost: the gap is the CPU time the last
repaint took (until the screen had refreshed, layout and compositing included) times how busy
the process was between repaints, times 19 (so painting takes about 5% of a busy process), between
40 ms and 1 s. A stream at network pace (a real model) leaves the process mostly idle and is
painted almost at once; one that arrives faster than the CPU can parse it is painted about once a
second, so painting slows it little (bench/first_frame.py). Links show their address; nothing is
clickable.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

from textual.geometry import Size
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

MIN_GAP = 0.04
MAX_GAP = 1.0
PAINT_SHARE = 0.05
"""The share of a busy process's time a streaming reply may spend repainting."""
REFRESH_COST = 0.04
"""What a repaint is assumed to cost until one was measured (seconds of CPU, the chat's layout
and compositing on a 2-core machine)."""
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


class Reply(Widget):
    """Feed it fragments (already escaped); ``settle`` with the final text when the reply ends.

    One widget drawn line by line (Textual's line API): each section is rendered once per text
    and width into strips, and the reply's height is their count, so a repaint renders the last
    section and lays out one widget, however long the reply."""

    DEFAULT_CSS = """
    Reply { height: auto; margin: 0 0 1 0; padding: 0 1; }
    """

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reply_text = text
        self._cuts: list[int] = []
        self._parts: list[str] = []
        """The painted text of each section."""
        self._drawn: dict[int, tuple[list[list[Strip]], list[Strip] | None]] = {}
        """By width (a layout may try two: with a scrollbar and without): each section's
        lines, and all of them with a blank line between sections (None until asked for)."""
        self._painted: str | None = None
        self._timer: Timer | None = None
        self._cost = REFRESH_COST
        """CPU seconds the last repaint took, until the screen had refreshed."""
        self._busy = 0.0
        """The share of the time the process was busy between the last two repaints."""
        self._calm_since: tuple[float, float] | None = None
        """Wall and CPU clocks when the last repaint was on screen."""
        self._ready = False
        self._shown = asyncio.Event()
        self._pull: Callable[[], str] | None = None

    @property
    def section_count(self) -> int:
        return len(self._parts)

    # -- drawing ----------------------------------------------------------------------------------

    def _lines(self, width: int) -> list[Strip]:
        drawn, lines = self._drawn.get(width, ([], None))
        if lines is not None:
            return lines
        if width not in self._drawn and len(self._drawn) >= 2:
            del self._drawn[next(iter(self._drawn))]
        for part in self._parts[len(drawn) :]:
            drawn.append(self._render_part(part, width))
        lines = []
        for index, part_lines in enumerate(drawn):
            if index:
                lines.append(Strip.blank(width))
            lines.extend(part_lines)
        self._drawn[width] = (drawn, lines)
        return lines

    def _render_part(self, text: str, width: int) -> list[Strip]:
        from rich.markdown import Markdown  # here, not at import: the first frame comes sooner

        console = self.app.console
        rendered = console.render_lines(
            Markdown(text, hyperlinks=False, code_theme="ansi_dark"),
            console.options.update_width(width),
        )
        return [Strip(line, width) for line in rendered]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width)) if width > 0 else 0

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        lines = self._lines(width) if width > 0 else []
        line = lines[y] if y < len(lines) else Strip.blank(width)
        return line.apply_style(self.rich_style)

    def _show(self, parts: list[str]) -> None:
        """Keep what is drawn of the sections that did not change; redraw from the first that did."""
        same = 0
        while same < min(len(parts), len(self._parts)) and parts[same] == self._parts[same]:
            same += 1
        height = {width: len(lines) for width, (_, lines) in self._drawn.items() if lines}
        self._parts = parts
        for width, (drawn, _) in list(self._drawn.items()):
            self._drawn[width] = (drawn[:same], None)
        # a longer reply needs a layout; one that kept its height only a repaint
        width = self.content_size.width
        resized = width not in height or len(self._lines(width)) != height[width]
        self.refresh(layout=resized)

    # -- feeding ----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._ready = True
        self._paint()

    def feed(self, fragment: str) -> None:
        """Add a fragment; the repaint comes when the pacing allows."""
        self._take()
        self.reply_text += fragment
        self._wait_to_paint()

    def follow(self, pull: Callable[[], str]) -> None:
        """More text waits in ``pull`` (escaped text, "" when none); it is called at the next
        repaint, so whatever arrives until then costs nothing now. A new ``pull`` replaces the
        last one once what that one holds has been taken."""
        self._take()
        self._pull = pull
        self._wait_to_paint()

    def _take(self) -> None:
        if self._pull is not None:
            self.reply_text += self._pull()

    def _wait_to_paint(self) -> None:
        self._shown.clear()
        if self._ready and self._timer is None:
            self._timer = self.set_timer(self._gap(), self._paint)

    def _gap(self) -> float:
        """Seconds until the next repaint. A busy process (the stream arrives faster than the
        CPU handles it) pays for every repaint in wall time; an idle one (a slow network) not."""
        gap = self._cost * self._busy * (1 - PAINT_SHARE) / PAINT_SHARE
        return min(MAX_GAP, max(MIN_GAP, gap))

    def settle(self, final: str | None) -> None:
        """The reply is complete: paint exactly the final text now."""
        self._take()
        self._pull = None
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
        self._take()
        text = self.reply_text
        if text == self._painted:
            self._shown.set()
            return
        wall, cpu = time.perf_counter(), time.process_time()
        if self._calm_since is not None and wall - self._calm_since[0] > 0.005:
            calm_wall, calm_cpu = self._calm_since
            self._busy = min(1.0, (cpu - calm_cpu) / (wall - calm_wall))
        self._cuts += sections(text, self._cuts[-1] if self._cuts else 0)
        bounds = [0, *self._cuts, len(text)]
        self._show([text[a:b].rstrip("\n") for a, b in zip(bounds, bounds[1:], strict=False)])
        self._painted = text

        def painted() -> None:
            now = time.perf_counter(), time.process_time()
            # while a busy stream runs, this counts some of its work too: repaints come later
            self._cost = now[1] - cpu
            self._calm_since = now
            if self._painted == self.reply_text:
                self._shown.set()

        self.call_after_refresh(painted)

    async def drained(self) -> None:
        """Wait until the whole text fed so far is on screen (tests, benchmarks)."""
        if self._ready:
            self._paint()
        await self._shown.wait()
