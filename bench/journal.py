"""How fast the journal appends durably, answers the history list, filters and search, and
imports a large session export.

Run: .venv/bin/python bench/journal.py [--sessions 10000] [--runs 30] [--import-events 300000]
Seeds N sessions (7 events each: a prompt, a reply, a proposed/decided/approved action with its
result, usage) through the public API, every append its own fsynced transaction, into a temp
ASSISTANT_HOME, with an in-memory keyring so the journal-wide chain is keyed (an HMAC per record)
as on a desktop; then prints the median time of each read the history list and search make, and
of `verify_journal()`. Then imports one JSONL export of --import-events events (the format
`assistant export --format jsonl` writes) into an empty journal and prints the time.
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

import keyring  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402

from assistant import paths  # noqa: E402
from assistant.journal import Journal  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """The desktop case without a desktop: the journal's key lives here for the run."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


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


def session_events(i: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """The 6-7 events of one bench turn: prompt, reply, an action's life, usage."""
    tool = TOOLS[i % 3]
    write = i % 4 == 0
    deny = i % 50 == 0
    target = f"host:{rng.choice(HOSTS)}" if tool == "http_request" else f"path:data/f{i % 300}.csv"
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
    return batch


def seed(journal: Journal, n: int, rng: random.Random) -> int:
    """Write n sessions through the public API; returns the number of events appended."""
    events = 0
    for i in range(n):
        sid = journal.create_session(model="openai/bench", workspace="/tmp/ws")
        batch = session_events(i, rng)
        for kind, payload in batch:
            journal.append(sid, kind, payload)
        events += len(batch)
    return events


def export_text(n_events: int, rng: random.Random) -> str:
    """A JSONL export of one session of about n_events events, chained as export writes it."""
    import json

    from assistant.journal import GENESIS, canonical, event_hash

    sid = "e" * 32
    lines: list[str] = []
    prev, seq, turn = GENESIS, 0, 0
    while seq < n_events:
        for kind, payload in session_events(turn, rng):
            if seq >= n_events:
                break
            seq += 1
            ts = f"2025-01-{1 + seq // 86_400_000 % 28:02d}T00:00:00.000Z"
            digest = event_hash(prev, sid, seq, ts, kind, canonical(payload))
            line = {"type": "event", "seq": seq, "ts": ts, "kind": kind, "payload": payload}
            lines.append(json.dumps({**line, "prev_hash": prev, "hash": digest}))
            prev = digest
        turn += 1
    header = {
        "type": "session",
        "format": "live-assistant/session",
        "version": 1,
        "id": sid,
        "title": "bench import",
        "model": "openai/bench",
        "workspace": "/tmp/ws",
        "parent": None,
        "created_at": "2025-01-01T00:00:00.000Z",
        "meta": {},
        "events": seq,
    }
    return "\n".join([json.dumps(header), *lines]) + "\n"


def bench_import(n_events: int) -> None:
    from assistant.export import import_jsonl

    text = export_text(n_events, random.Random(99))
    with tempfile.TemporaryDirectory() as home:
        os.environ["ASSISTANT_HOME"] = home
        with Journal(paths.journal_file(), redact=lambda payload: payload) as journal:
            started = time.perf_counter()
            result = import_jsonl(journal, text, redact=lambda payload: payload)
            elapsed = time.perf_counter() - started
            report = journal.verify_journal()
        print(
            f"import of {result.events:,} events ({len(text) / 1e6:.0f} MB JSONL): {elapsed:.1f} s"
            f" ({result.events / elapsed:,.0f} events/s); verifies: {report.ok}"
        )


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--import-events", type=int, default=300_000, help="0 skips the import")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
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
        ms, report = timed(journal.verify_journal, 1)
        print(
            f"{'verify_journal()':<40}{ms:>7.0f} ms{report.records:>7}  ok: {report.ok},"
            f" keyed: {report.keyed}"
        )
        journal.close()
    if args.import_events:
        bench_import(args.import_events)


if __name__ == "__main__":
    main()
