"""`assistant import`: a JSONL export loads back as a read-only session whose chain verifies, and
a file with any link broken, missing or reordered is refused, naming the line, with nothing stored."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assistant.agent import action_life
from assistant.export import ImportRefused, export_session, import_jsonl
from assistant.journal import Journal
from tests.support import fake_llm as llm
from tests.support.cli import assistant
from tests.support.http_servers import LoopbackServer
from tests.support.source_session import (
    CANARY,
    Source,
    cli_env,
    rates,
    record_session,
    source_fixture,  # noqa: F401 (the "source" fixture)
)


def jsonl(src: Source) -> str:
    with src.journal() as j:
        return export_session(j, src.session_id, "jsonl")


def other_journal(tmp_path: Path) -> Journal:
    """Another person's journal (a new, empty one)."""
    return Journal(tmp_path / "elsewhere" / "journal.sqlite3")


async def test_an_export_imports_as_a_read_only_copy_that_verifies(
    source: Source, tmp_path: Path
) -> None:
    text = jsonl(source)
    with other_journal(tmp_path) as j:
        result = import_jsonl(j, text)
        info = j.get_session(result.session_id)
        copied = j.events(result.session_id)
        assert j.verify(result.session_id).ok
    with source.journal() as orig:
        original = orig.events(source.session_id)
        orig_info = orig.get_session(source.session_id)
    assert result.source_session == source.session_id and result.events == len(original)
    assert [(e.seq, e.ts, e.kind, e.payload) for e in copied] == [
        (e.seq, e.ts, e.kind, e.payload) for e in original
    ]
    assert info.meta["read_only"] is True
    assert info.meta["imported"]["source_session"] == source.session_id
    assert info.meta["imported"]["source_head_hash"] == original[-1].hash
    assert (info.title, info.created_at, info.n_actions, info.n_denied) == (
        orig_info.title,
        orig_info.created_at,
        orig_info.n_actions,
        orig_info.n_denied,
    )
    # A copy of a copy reads the same: export is a function of the stored events.
    with other_journal(tmp_path) as j:
        again = export_session(j, result.session_id, "jsonl").splitlines()
    assert again[1:] != text.splitlines()[1:]  # chained under the new id...
    assert [json.loads(line)["payload"] for line in again[1:]] == [e.payload for e in original]


async def test_the_journal_it_came_from_refuses_a_duplicate(source: Source) -> None:
    with source.journal() as j:
        before = j.count_sessions()
        with pytest.raises(ImportRefused, match="already in this journal"):
            import_jsonl(j, jsonl(source))
        assert j.count_sessions() == before


async def test_importing_twice_is_refused_so_undo_ids_stay_unique(
    source: Source, tmp_path: Path
) -> None:
    text = jsonl(source)
    with other_journal(tmp_path) as j:
        first = import_jsonl(j, text)
        with pytest.raises(ImportRefused, match=f"already imported .*{first.session_id}"):
            import_jsonl(j, text)
        assert j.count_sessions() == 1
    # A session here that holds one of its action ids (recorded apart from any import).
    with source.journal() as orig:
        action_id = next(iter(action_life.session_fold(orig, source.session_id)[1].lives))
    with Journal(tmp_path / "third" / "journal.sqlite3") as j:
        sid = j.create_session(model=None, workspace="/w")
        j.append(sid, "action.proposed", {"action_id": action_id, "tool": "shell"})
        with pytest.raises(ImportRefused, match=f"already holds action {action_id}"):
            import_jsonl(j, text)
        assert j.count_sessions() == 1


_EXPORTED: list[str] = []


@pytest.fixture
async def exported(
    fake_llm: llm.FakeLLM, workspace_dir: Path, assistant_home: Path
) -> AsyncIterator[str]:
    """One session's JSONL export, recorded once for all the refusal cases (they only read it)."""
    if not _EXPORTED:
        with LoopbackServer() as api:
            api.routes["/rates.json"] = rates
            sid = await record_session(fake_llm, api, workspace_dir, assistant_home)
        with Journal(assistant_home / "data" / "journal.sqlite3") as j:
            _EXPORTED.append(export_session(j, sid, "jsonl"))
    yield _EXPORTED[0]


def _edit(text: str, line_no: int, change: object) -> str:
    lines = text.splitlines()
    obj = json.loads(lines[line_no - 1])
    change(obj)  # type: ignore[operator]
    lines[line_no - 1] = json.dumps(obj, ensure_ascii=True)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda t: _edit(t, 3, lambda e: e["payload"].update(text="edited")),
            "line 3: event 2: hash",
        ),
        (
            lambda t: _edit(t, 4, lambda e: e.update(ts="2020-01-01T00:00:00.000Z")),
            "line 4: event 3: hash",
        ),
        (
            lambda t: _edit(t, 5, lambda e: e.update(prev_hash="0" * 64)),
            "line 5: event 4: prev_hash",
        ),
        (lambda t: _edit(t, 1, lambda h: h.update(id="f" * 32)), "line 2: event 1: hash"),
        (lambda t: "\n".join(t.splitlines()[:-1]) + "\n", "cut short"),
        (lambda t: "\n".join(t.splitlines()[:3] + t.splitlines()[4:]), "line 4: expected event 3"),
        (lambda t: t.replace("\n", "\n{oops\n", 1), "line 2: not valid JSON"),
        (lambda t: "[1, 2]\n", "line 1: expected a JSON object"),
        (lambda t: _edit(t, 1, lambda h: h.update(format="other")), "line 1: not a session export"),
        (lambda t: b"\xff\xfe" + t.encode(), "not UTF-8"),
        (lambda t: "", "empty"),
    ],
    ids=[
        "payload",
        "timestamp",
        "prev-link",
        "session-id",
        "truncated",
        "missing-event",
        "bad-json",
        "not-object",
        "not-export",
        "not-utf8",
        "empty",
    ],
)
async def test_a_broken_file_is_refused_naming_the_line_and_nothing_is_stored(
    exported: str, tmp_path: Path, mutate: object, message: str
) -> None:
    bad = mutate(exported)  # type: ignore[operator]
    with other_journal(tmp_path) as j:
        with pytest.raises(ImportRefused, match=message.replace("(", r"\(")):
            import_jsonl(j, bad)
        assert j.count_sessions() == 0


async def test_import_command_verify_and_resume_refusal(
    source: Source, tmp_path: Path, assistant_home: Path
) -> None:
    export_file = tmp_path / "session.jsonl"
    export_file.write_text(jsonl(source))
    other_home = tmp_path / "other-home"
    shutil.copytree(assistant_home / "config", other_home / "config")
    env = cli_env(other_home, tmp_path)
    done = assistant(env, "import", str(export_file), "--json")
    assert done.returncode == 0, done.stderr
    new_id = json.loads(done.stdout)["session_id"]
    assert assistant(env, "history", "verify", new_id).returncode == 0
    shown = assistant(env, "history", "show", new_id)
    assert shown.returncode == 0 and "leave the input alone" in shown.stdout
    resumed = assistant(
        env,
        "run",
        "more",
        "--resume",
        new_id,
        "--model",
        "openai/x",
        "--api-base",
        "http://127.0.0.1:9/v1",
    )
    assert resumed.returncode == 2 and "read-only" in resumed.stderr
    with Journal(other_home / "data" / "journal.sqlite3") as j:
        assert len(j.events(new_id)) == json.loads(done.stdout)["events"]  # nothing appended
    tampered = tmp_path / "bad.jsonl"
    tampered.write_text(jsonl(source).replace("north", "N0rth", 1))
    refused = assistant(env, "import", str(tampered))
    assert refused.returncode == 1 and "not imported: line " in refused.stderr
    assert CANARY not in done.stdout + shown.stdout + resumed.stderr
