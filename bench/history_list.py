"""How responsive the history screen is over a big journal: open, page, jump, search, filter.

Run: .venv/bin/python bench/history_list.py [--sessions 10000] [--runs 15] [--durable]
                                            [--replay-actions 200]
Seeds N sessions (bench/journal.py's 7-event sessions) into a temp ASSISTANT_HOME, then drives
the real HistoryScreen headless (Textual's run_test, 120x36) and prints the median time from a
key press or filter change until the new page is painted. Seeding skips the fsync of each
append unless --durable (10,000 sessions take about 3 minutes durably on 2 cores).
Then opens one long session (--replay-actions write actions, 4 events each, appended through the
real journal: 10,001 events by default) in the replay screen and times opening it (until its
first event is painted, and until the chain is checked), steps forward and back, and jumps.
--sessions 0 skips the history list and times the replay alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from journal import seed  # noqa: E402  (bench/journal.py)
from textual.app import App  # noqa: E402

from assistant import paths  # noqa: E402
from assistant.journal import Journal  # noqa: E402
from assistant.ui.screens.history import HistoryScreen  # noqa: E402
from assistant.ui.screens.history_filters import ListFilter  # noqa: E402


class BenchApp(App[None]):
    """Shows the history screen; ``painted`` is set each time a page has been drawn."""

    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal
        self.painted = asyncio.Event()
        self.max_rows = 0
        self.opened_at = 0.0
        self.first_page_s = 0.0

    def on_mount(self) -> None:
        self.opened_at = time.perf_counter()
        self.push_screen(HistoryScreen(self.journal))

    def on_history_screen_loaded(self, message: HistoryScreen.Loaded) -> None:
        if not self.first_page_s:
            self.first_page_s = time.perf_counter() - self.opened_at
        screen = self.screen
        if isinstance(screen, HistoryScreen):
            self.max_rows = max(self.max_rows, screen.table.row_count)
        self.painted.set()


async def measure(app: BenchApp, act: Callable[[], Awaitable[None] | None], runs: int) -> float:
    """Median ms from ``act`` until the next page is painted."""
    times = []
    for _ in range(runs):
        app.painted.clear()
        started = time.perf_counter()
        result = act()
        if result is not None:
            await result
        await app.painted.wait()
        await asyncio.sleep(0)  # let the paint's own refresh run before the clock stops
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def drive(journal: Journal, runs: int) -> None:
    app = BenchApp(journal)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.painted.wait()
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        table = screen.table
        print(f"{'open the screen (first page painted)':<44}{app.first_page_s * 1000:>8.1f} ms")

        def to_last_row() -> None:
            table.move_cursor(row=table.row_count - 1)

        async def next_page() -> None:
            if screen.page_offset + screen.page_size >= (screen.total or 0):
                screen.fetch(0, 0)  # on the last page: "next" wraps to the first
                return
            to_last_row()
            await pilot.press("down")

        def set_filter(flt: ListFilter) -> Callable[[], None]:
            return lambda: screen.set_filter(flt)

        cases: list[tuple[str, Callable[[], Awaitable[None] | None]]] = [
            ("down past the last row (next page)", next_page),
            ("ctrl+end (last page)", lambda: pilot.press("ctrl+end")),
            ("ctrl+home (first page)", lambda: pilot.press("ctrl+home")),
            ("filter: has writes", set_filter(ListFilter(has_writes=True))),
            (
                "filter: has denials + errors",
                set_filter(ListFilter(has_denials=True, has_errors=True)),
            ),
            ("filter: tool csv_files", set_filter(ListFilter(tool="csv_files"))),
            ("filter: host api3.example.com", set_filter(ListFilter(host="api3.example.com"))),
            ("filter: file data/f7.csv", set_filter(ListFilter(file="data/f7.csv"))),
            ("search: invoice (common word)", set_filter(ListFilter(query="invoice"))),
            ("search: session 4242 (rare)", set_filter(ListFilter(query="session 4242"))),
            (
                "search + filter: weath, writes",
                set_filter(ListFilter(query="weath", has_writes=True)),
            ),
            ("clear filters", set_filter(ListFilter())),
        ]
        for label, act in cases:
            ms = await measure(app, act, runs)
            print(f"{label:<44}{ms:>8.1f} ms   total {screen.total or 0:>6,}")
        print(f"{'most rows ever held by the table':<44}{app.max_rows:>8}")


def seed_long_session(journal: Journal, actions: int) -> str:
    """One session of ``actions`` approved writes with results (4 events each, after a prompt)."""
    sid = journal.create_session(model="openai/bench", workspace="/tmp/ws")
    journal.append(sid, "user.message", {"text": "a long session"})
    for i in range(actions):
        aid = f"long-{i}"
        journal.append(
            sid,
            "action.proposed",
            {
                "action_id": aid,
                "call_id": None,
                "tool": "shell",
                "args": {},
                "effect": "write",
                "summary": f"echo {i} > f{i}.txt",
                "preview": {"kind": "diff", "text": f"+++ f{i}.txt\n+{i}"},
                "targets": [f"path:f{i}.txt"],
                "fingerprint": "f",
            },
        )
        journal.append(
            sid, "action.decided", {"action_id": aid, "verdict": "approve", "by": "human"}
        )
        journal.append(sid, "action.approved", {"action_id": aid, "by": "human"})
        journal.append(
            sid, "action.result", {"action_id": aid, "ok": True, "output": f"wrote f{i}.txt"}
        )
    return sid


async def drive_replay(journal: Journal, session_id: str, runs: int) -> None:
    """Open the replay (until its first event is painted) and step through it with the keys."""
    from assistant.ui.screens.replay import ReplayScreen

    app: App[None] = App()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

        async def drawn() -> None:
            """Until the screen has laid out and drawn what changed (its next frame)."""
            await screen.settled()
            while (
                screen._layout_required
                or screen._dirty_widgets
                or screen._repaint_required
                or screen._scroll_required
            ):
                await asyncio.sleep(0.0005)

        def clocks() -> tuple[float, float]:
            return time.perf_counter(), time.process_time()

        def since(start: tuple[float, float]) -> tuple[float, float]:
            wall, cpu = clocks()
            return (wall - start[0]) * 1000, (cpu - start[1]) * 1000

        def line(label: str, figures: list[tuple[float, float]]) -> None:
            wall = statistics.median(f[0] for f in figures)
            cpu = statistics.median(f[1] for f in figures)
            print(f"{label:<44}{wall:>8.1f} ms  (CPU {cpu:.1f} ms)")

        started = clocks()
        screen = ReplayScreen(journal, session_id)
        await app.push_screen(screen)
        while screen.painter is None and not screen.load_error:
            await asyncio.sleep(0.0005)
        await drawn()
        opened = since(started)
        while screen.verify_result is None and not screen.verify_error:
            await asyncio.sleep(0.001)
        verified = since(started)
        n = len(screen.timeline)
        line(f"replay: open ({n:,} events) at event 1", [opened])
        line("replay: ... and the chain checked", [verified])

        async def timed(act: Callable[[], None]) -> tuple[float, float]:
            await drawn()
            began = clocks()
            act()
            await drawn()
            return since(began)

        line(
            "replay: one step forward (median)",
            [await timed(lambda: screen.action_step(1)) for _ in range(runs)],
        )
        line(
            "replay: one step back (median)",
            [await timed(lambda: screen.action_step(-1)) for _ in range(runs)],
        )
        line("replay: end (the last screenful)", [await timed(lambda: screen.action_seek(-1))])
        line(
            "replay: one step back from the end",
            [await timed(lambda: screen.action_step(-1)) for _ in range(runs)],
        )
        screen.action_seek(0)
        line(
            "replay: next action (n)", [await timed(screen.action_next_action) for _ in range(runs)]
        )

        async def pressed(key: str) -> tuple[float, float]:
            began = clocks()
            await pilot.press(key)
            await drawn()
            return since(began)

        line("replay: step by pilot.press", [await pressed("right") for _ in range(runs)])
        line("  (pilot.press of an unbound key)", [await pressed("f12") for _ in range(runs)])
        held = len(screen.painter.held) if screen.painter else 0
        print(f"{'replay: widgets held by the view':<44}{held:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--durable", action="store_true", help="fsync every seeded append")
    parser.add_argument(
        "--replay-actions", type=int, default=2500, help="4 events each: 2,500 make 10,001 events"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["ASSISTANT_HOME"] = home
        journal = Journal(paths.journal_file())
        if not args.durable and journal._db is not None:
            journal._db.execute("PRAGMA synchronous=OFF")  # seeding only; reads are unaffected
        started = time.perf_counter()
        n_events = seed(journal, args.sessions, random.Random(1234))
        print(
            f"seeded {args.sessions:,} sessions, {n_events:,} events in "
            f"{time.perf_counter() - started:.1f} s ({'durable' if args.durable else 'no fsync'})"
        )
        if args.sessions > 0:
            asyncio.run(drive(journal, args.runs))
        if args.replay_actions > 0:
            long_id = seed_long_session(journal, args.replay_actions)
            asyncio.run(drive_replay(journal, long_id, args.runs))
        journal.close()


if __name__ == "__main__":
    main()
