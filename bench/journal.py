"""How fast the journal appends durably and answers the history list, filters and search.

Run: .venv/bin/python bench/journal.py [--sessions 10000] [--runs 30]
Seeds N sessions (7 events each: a prompt, a reply, a proposed/decided/approved action with its
result, usage) through the public API, every append its own fsynced transaction, into a temp
ASSISTANT_HOME; then prints the median time of each read the history list and search make.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import paths  # noqa: E402
from assistant.journal import Journal  # noqa: E402

WORDS = [
    "invoice",
    "customer",
    "revenue",
    "quarterly",
    "export",
    "cleanup",
    "duplicate",
    "header",
    "column",
    "status",
    "endpoint",
    "token",
    "retry",
    "schema",
    "migrate",
    "rollback",
    "report",
    "summary",
    "weather",
    "station",
    "sensor",
]
TOOLS = ("http_request", "csv_files", "shell_lite")
HOSTS = [f"api{i}.example.com:443" for i in range(20)]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def seed(journal: Journal, n: int, rng: random.Random) -> int:
    """Write n sessions through the public API; returns the number of events appended."""
    events = 0
    for i in range(n):
        sid = journal.create_session(model="openai/bench", workspace="/tmp/ws")
        tool = TOOLS[i % 3]
        write = i % 4 == 0
        deny = i % 50 == 0
        target = (
            f"host:{rng.choice(HOSTS)}" if tool == "http_request" else f"path:data/f{i % 300}.csv"
        )
        aid = f"a{i}"
        batch: list[tuple[str, dict[str, Any]]] = [
            ("user.message", {"text": f"session {i}: {_sentence(rng, 12)}"}),
            ("assistant.message", {"text": _sentence(rng, 30), "tool_calls": []}),
            (
                "action.proposed",
                {
                    "action_id": aid,
                    "call_id": "c1",
                    "tool": tool,
                    "args": {},
                    "effect": "write" if write else "read",
                    "summary": f"{tool} {_sentence(rng, 4)}",
                    "preview": {"kind": "text", "text": _sentence(rng, 20), "data": {}},
                    "targets": [target],
                    "fingerprint": "f" * 32,
                },
            ),
            (
                "action.decided",
                {"action_id": aid, "verdict": "deny" if deny else "approve", "by": "human"},
            ),
        ]
        if not deny:
            batch.append(("action.approved", {"action_id": aid, "by": "human"}))
            batch.append(
                (
                    "action.result",
                    {"action_id": aid, "ok": i % 10 != 0, "output": _sentence(rng, 60)},
                )
            )
        batch.append(
            (
                "turn.usage",
                {
                    "model": "openai/bench",
                    "prompt_tokens": 900,
                    "completion_tokens": 120,
                    "cost_usd": None if i % 7 == 0 else 0.0012,
                },
            )
        )
        for kind, payload in batch:
            journal.append(sid, kind, payload)
        events += len(batch)
    return events


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median milliseconds of fn over runs, and its last result."""
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(1234)
    with tempfile.TemporaryDirectory() as home:
        os.environ["ASSISTANT_HOME"] = home
        journal = Journal(paths.journal_file(), redact=lambda payload: payload)
        started = time.perf_counter()
        n_events = seed(journal, args.sessions, rng)
        elapsed = time.perf_counter() - started
        size_mb = sum(f.stat().st_size for f in paths.journal_file().parent.iterdir()) / 1e6
        print(
            f"seeded {args.sessions} sessions, {n_events} events in {elapsed:.1f} s: "
            f"{n_events / elapsed:,.0f} durable appends/s "
            f"({elapsed / n_events * 1000:.2f} ms each, incl. create_session); {size_mb:.1f} MB"
        )
        some = journal.sessions(limit=1, offset=args.sessions // 2)[0].id
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("sessions(limit=50)", lambda: journal.sessions(limit=50)),
            ("sessions(limit=50, offset=5000)", lambda: journal.sessions(limit=50, offset=5000)),
            ("count_sessions()", lambda: journal.count_sessions()),
            ("sessions(has_writes=True)", lambda: journal.sessions(has_writes=True)),
            ("sessions(has_denials=True)", lambda: journal.sessions(has_denials=True)),
            ("count_sessions(has_errors=True)", lambda: journal.count_sessions(has_errors=True)),
            ("sessions(tool='csv_files')", lambda: journal.sessions(tool="csv_files")),
            (
                "sessions(host='api3.example.com')",
                lambda: journal.sessions(host="api3.example.com"),
            ),
            ("sessions(file='data/f7.csv')", lambda: journal.sessions(file="data/f7.csv")),
            ("sessions(query='invoice')", lambda: journal.sessions(query="invoice")),
            ("count_sessions(query='invoice')", lambda: journal.count_sessions(query="invoice")),
            ("search('invoice') common word", lambda: journal.search("invoice")),
            ("search('session 4242') rare", lambda: journal.search("session 4242")),
            ("search('weath sens') prefixes", lambda: journal.search("weath sens")),
            ("get_session(prefix)", lambda: journal.get_session(some[:8])),
            ("events(one session)", lambda: journal.events(some)),
            ("verify(one session)", lambda: journal.verify(some)),
        ]
        print(f"{'query':<40}{'median':>10}{'rows':>7}")
        for label, fn in cases:
            ms, result = timed(fn, args.runs)
            rows = (
                len(result)
                if isinstance(result, list)
                else result
                if isinstance(result, int)
                else 1
            )
            print(f"{label:<40}{ms:>7.2f} ms{rows:>7}")
        ms, results = timed(journal.verify_all, 1)
        print(
            f"{'verify_all()':<40}{ms:>7.0f} ms{len(results):>7}  all ok: {all(r.ok for r in results)}"
        )
        journal.close()


if __name__ == "__main__":
    main()
