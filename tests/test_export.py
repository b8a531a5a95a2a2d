"""Markdown, HTML and JSONL exports of a real session: complete, redacted, and inert on a terminal
or in a browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.export import ExportError, export_session
from assistant.journal import GENESIS, Journal, SessionLookupError, event_hash
from tests.support.cli import assistant
from tests.support.source_session import (
    CANARY,
    NASTY,
    Source,
    cli_env,
    source_fixture,  # noqa: F401 (the "source" fixture)
)

C1_OR_ESC = re.compile("[\x1b\x07\x9b\x80-\x9f\u202e]")


def export(src: Source, fmt: str) -> str:
    with src.journal() as j:
        return export_session(j, src.session_id, fmt)


async def test_markdown_shows_prompts_answers_and_every_action(source: Source) -> None:
    md = export(source, "md")
    assert "Summarise orders.csv by region" in md and "fetch today's rates" in md
    assert md.count("### Action ") == 4
    # each action: what, preview, who decided, result
    assert "`GET http://127.0.0.1:" in md and "/rates.json`" in md
    assert "Authorization: Bearer {{secret:SHOP}}" in md  # the preview, handle intact
    assert "approved by read policy" in md  # present.decider: one notation
    assert '`denied by the person: "leave the input alone"`' in md
    assert "`approved by the person`" in md
    assert "+ row 1: north,15" in md  # csv_write's diff preview
    assert "`create summary.csv · 2 rows added`" in md
    assert "rows 1-2 of 2:" in md
    assert "Clearing the input first." in md


async def test_markdown_neutralises_control_sequences_and_cannot_be_broken_out_of(
    source: Source,
) -> None:
    md = export(source, "md")
    assert not C1_OR_ESC.search(md)
    assert "\\x1b[2J" in md and "\\x1b]0;pwned\\x07" in md and "\\u202e" in md
    # The answer holds a run of four backticks: its fence is longer, so the block holds.
    answer = md.index("\\x1b[2J")
    fence_line = md.rfind("\n", 0, answer)
    opening = md[md.rfind("\n", 0, fence_line - 1) + 1 : fence_line]
    assert opening == "`````text"
    closing = md.index("\n`````", answer)
    assert "</pre><script>" in md[answer:closing]  # inside the block, so never rendered


async def test_html_is_escaped_inert_and_self_contained(source: Source) -> None:
    page = export(source, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script>" not in page and "&lt;/pre&gt;&lt;script&gt;" in page
    assert not C1_OR_ESC.search(page)
    assert "\\x1b[2J" in page
    assert page.count('<section class="action ') == 4
    assert '<section class="action write">' in page and '<section class="action read">' in page
    assert "denied by the person: &quot;leave the input alone&quot;" in page
    assert re.search(r"src=|href=", page) is None  # nothing to load


async def test_jsonl_is_the_exact_event_stream_with_its_hashes(source: Source) -> None:
    text = export(source, "jsonl")
    assert text.isascii() and "\x1b" not in text  # JSON escapes: \u001b, never the byte
    header, *lines = [json.loads(line) for line in text.splitlines()]
    assert header["type"] == "session" and header["id"] == source.session_id
    assert header["verified"] is True and header["rehashed_from"] is None
    with source.journal() as j:
        stored = j.events(source.session_id)
    assert header["events"] == len(stored) == len(lines)
    for line, event in zip(lines, stored, strict=True):
        assert (line["seq"], line["ts"], line["kind"], line["payload"]) == (
            event.seq,
            event.ts,
            event.kind,
            event.payload,
        )
        assert (line["prev_hash"], line["hash"]) == (event.prev_hash, event.hash)
    assert any(e["payload"].get("text") == NASTY for e in lines)  # exact, only escaped as JSON


async def test_no_export_holds_a_secret_even_one_the_journal_kept(source: Source) -> None:
    # A journal written before the secret was known to the Redactor could hold its value.
    sid, aid = source.session_id, "c0ffee000001"
    leaked = {
        "action_id": aid, "call_id": None, "tool": "http_request", "effect": "read",
        "args": {"url": "http://127.0.0.1:1/x", "headers": {"X-Key": CANARY}},
        "summary": "GET", "preview": {"text": f"X-Key: {CANARY}"}, "targets": [], "fingerprint": "",
    }  # fmt: skip
    with Journal(source.journal_path) as raw:  # no Redactor: as an old journal might hold it
        raw.append(sid, "action.proposed", leaked)
        raw.append(sid, "action.decided", {"action_id": aid, "verdict": "approve", "by": "x"})
        raw.append(sid, "action.approved", {"action_id": aid, "by": "x"})
        raw.append(sid, "action.result", {"action_id": aid, "ok": True, "output": CANARY})
        raw.append(sid, "user.message", {"text": f"my token is {CANARY}"})
    # The raw value is marked as such, never turned into a handle nobody wrote (issue 9).
    mark = "[raw value of secret SHOP]"
    for fmt in ("md", "html", "jsonl", "recipe"):
        out = export(source, fmt)
        assert CANARY not in out, fmt
        assert "X-Key" in out and mark in out, fmt
    assert f'X-Key = "{mark}"' in export(source, "recipe")  # a header of a TOML step
    lines = [json.loads(line) for line in export(source, "jsonl").splitlines()]
    header, last = lines[0], lines[-1]
    assert last["payload"]["text"] == f"my token is {mark}"
    # Hashes from the first redacted event on were recomputed, and the header says so.
    assert header["rehashed_from"] == last["seq"] - 4
    prev = lines[-2]["hash"]
    body = json.dumps(last["payload"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert last["hash"] == event_hash(
        prev, header["id"], last["seq"], last["ts"], "user.message", body
    )
    assert lines[1]["prev_hash"] == GENESIS


async def test_bad_format_and_unknown_session_are_clear_errors(source: Source) -> None:
    with source.journal() as j:
        with pytest.raises(ExportError, match="unknown export format 'pdf'"):
            export_session(j, source.session_id, "pdf")
        with pytest.raises(SessionLookupError):
            export_session(j, "ffff0000", "md")


async def test_export_command_writes_a_private_file_and_refuses_to_clobber(
    source: Source, tmp_path: Path, assistant_home: Path
) -> None:
    env = cli_env(assistant_home, tmp_path)
    target = tmp_path / "t.html"
    made = assistant(
        env, "export", source.session_id[:8], "--format", "html", "--output", str(target)
    )
    assert made.returncode == 0, made.stderr
    assert target.read_text().startswith("<!DOCTYPE html>") and target.stat().st_mode & 0o077 == 0
    again = assistant(env, "export", source.session_id[:8], "-f", "md", "-o", str(target))
    assert again.returncode == 2 and "exists; pass --force" in again.stderr
    assert target.read_text().startswith("<!DOCTYPE html>")
    missing = assistant(env, "export", "abcdef12", "-f", "md")
    assert missing.returncode == 2 and "no session" in missing.stderr
    printed = assistant(env, "export", source.session_id, "-f", "jsonl")
    assert printed.returncode == 0 and printed.stdout.splitlines()[0].startswith(
        '{"type": "session"'
    )
    assert "GROUP BY region" in printed.stdout and CANARY not in printed.stdout
