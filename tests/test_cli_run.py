"""`assistant run` and `assistant tool` as a person runs them: real subprocesses, the fake model
server through litellm, real tools, a real journal, loopback HTTP servers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.agent import action_life
from tests.support import fake_llm as llm
from tests.support.cli import (
    assistant,
    env_fixture,  # noqa: F401 (the "env" fixture)
    journal,
    model_args,
)
from tests.support.http_servers import LoopbackServer, Reply, Seen

ROOT = Path(__file__).resolve().parent.parent
CANARY = "canary-d41d8cd98f-never-show-me"


def shell_write(command: str) -> llm.Reply:
    return llm.tool_call("shell", json.dumps({"command": command}))


def test_run_with_approve_all_streams_writes_and_records(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path, assistant_home: Path
) -> None:
    fake_llm.queue(
        shell_write("echo hello > out.txt"), llm.text("Wrote out.txt for you.", chunks=5)
    )
    proc = assistant(
        env,
        "run",
        "write hello",
        *model_args(fake_llm),
        "--workspace",
        str(workspace_dir),
        "--approve",
        "all",
    )
    assert proc.returncode == 0, proc.stderr
    assert (workspace_dir / "out.txt").read_text() == "hello\n"
    # the answer is the data (stdout); the action's card and preview are notes (stderr)
    assert proc.stdout == "Wrote out.txt for you.\n"
    assert "● WRITE shell" in proc.stderr and "approved by --approve all" in proc.stderr
    assert "+hello" in proc.stderr  # the preview's diff was shown
    with journal(assistant_home) as j:
        (session,) = j.sessions()
        decided = [e.payload for e in j.events(session.id) if e.kind == "action.decided"]
        assert [(d["verdict"], d["by"]) for d in decided] == [("approve", "--approve all")]


@pytest.mark.parametrize(
    ("flags", "by"), [(["--approve", "never"], "--approve never"), ([], "headless")]
)
def test_nothing_that_writes_runs_without_approval(
    fake_llm: llm.FakeLLM,
    env: dict[str, str],
    workspace_dir: Path,
    assistant_home: Path,
    flags: list[str],
    by: str,
) -> None:
    fake_llm.queue(shell_write("echo hello > out.txt"), llm.text("It was denied."))
    proc = assistant(
        env, "run", "write", *model_args(fake_llm), "--workspace", str(workspace_dir), *flags
    )
    assert proc.returncode == 0, proc.stderr
    assert not (workspace_dir / "out.txt").exists()
    tool_results = [m["content"] for m in fake_llm.requests[1]["messages"] if m["role"] == "tool"]
    assert "Denied by" in tool_results[0] and "not run" in tool_results[0]
    with journal(assistant_home) as j:
        (session,) = j.sessions()
        assert [e.payload["by"] for e in j.events(session.id) if e.kind == "action.decided"] == [by]


def test_json_mode_prints_one_event_per_line(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path, assistant_home: Path
) -> None:
    fake_llm.queue(llm.text("Hi there", chunks=3))
    proc = assistant(
        env, "run", "hello", *model_args(fake_llm), "--workspace", str(workspace_dir), "--json"
    )
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds[:2] == ["session", "user.message"] and kinds[-1] == "turn.end"
    with journal(assistant_home) as j:  # the first line names the session it was recorded in
        (session,) = j.sessions()
        assert events[0]["session_id"] == session.id and events[0]["resumed"] is False
    assert "".join(e["text"] for e in events if e["kind"] == "assistant.delta") == "Hi there"


def test_a_rejected_key_is_one_clear_line_and_exit_4(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path
) -> None:
    fake_llm.queue(
        llm.error(
            401,
            body={
                "error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}
            },
        )
    )
    proc = assistant(env, "run", "hello", *model_args(fake_llm), "--workspace", str(workspace_dir))
    assert proc.returncode == 4
    assert "keys set OPENAI_API_KEY" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(fake_llm.requests) == 1


def test_no_model_configured_says_how_to_fix_it(env: dict[str, str], workspace_dir: Path) -> None:
    proc = assistant(env, "run", "hello", "--workspace", str(workspace_dir))
    assert proc.returncode == 4
    assert "no model configured" in proc.stderr and "--model" in proc.stderr


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--api-base", "notaurl"], "'notaurl' is not an http(s) URL"),
        (["--api-base", "ftp://x/v1"], "is not an http(s) URL"),
        (["--model", "openai/gpt 4"], "is not a usable model name"),
    ],
)
def test_a_malformed_model_or_base_is_one_line_and_exit_4(
    env: dict[str, str], workspace_dir: Path, flags: list[str], said: str
) -> None:
    """A typo in --api-base or the model string is a setup error said in one line (it was a
    traceback once), and its hint names commands that exist."""
    env = {**env, "OPENAI_API_KEY": "sk-test-0123456789abcdef"}
    flags = ["--model", "openai/gpt-4.1-mini", *flags] if flags[0] != "--model" else flags
    proc = assistant(env, "run", "hello", *flags, "--workspace", str(workspace_dir))
    assert proc.returncode == 4, proc.stderr
    assert said in proc.stderr and "Traceback" not in proc.stderr
    assert "config set" not in proc.stderr


@pytest.mark.parametrize("where", ["missing", "a.csv"])
def test_the_app_with_a_workspace_that_is_not_a_folder_says_so_at_once(
    env: dict[str, str], workspace_dir: Path, where: str
) -> None:
    """`assistant --workspace DIR` checks DIR before the app starts (it opened an app that could
    not start a session, and said so only inside it)."""
    (workspace_dir / "a.csv").write_text("a\n")
    proc = assistant(env, "--workspace", str(workspace_dir / where), timeout=60)
    assert proc.returncode == 2, proc.stderr
    why = "No such file or directory" if where == "missing" else "not a folder"
    assert proc.stderr == f"assistant: workspace {workspace_dir / where}: {why}\n"
    assert proc.stdout == ""


def test_tool_command_exit_codes(env: dict[str, str], workspace_dir: Path) -> None:
    (workspace_dir / "a.txt").write_text("one\ntwo\n")
    ok = assistant(
        env, "tool", "shell", '{"command": "wc -l a.txt"}', "--workspace", str(workspace_dir)
    )
    assert ok.returncode == 0 and "2 a.txt" in ok.stdout
    denied = assistant(
        env, "tool", "shell", '{"command": "rm a.txt"}', "--workspace", str(workspace_dir)
    )
    assert denied.returncode == 3 and (workspace_dir / "a.txt").exists()
    bad = assistant(env, "tool", "shell", '{"command": 5}', "--workspace", str(workspace_dir))
    assert bad.returncode == 2 and "invalid arguments" in bad.stderr and not bad.stdout
    unknown = assistant(env, "tool", "nope", "{}")
    assert unknown.returncode == 2 and "unknown tool" in unknown.stderr


@pytest.mark.parametrize(
    "call",
    [
        ("shell", '{"command": "cat private/key.txt"}'),
        ("shell", '{"command": "touch private/new.txt"}'),
        ("csv_read", '{"path": "private/key.txt"}'),
        ("csv_query", """{"sql": "select * from 'private/key.txt'"}"""),
        ("csv_write", '{"path": "private/x.csv", "mode": "create", "rows": [["a"]]}'),
    ],
)
def test_a_deny_rule_refusal_is_exit_3_not_bad_arguments(
    env: dict[str, str],
    workspace_dir: Path,
    assistant_home: Path,
    call: tuple[str, str],
) -> None:
    """The README's exit 3 is "the action was denied": a path a deny rule covers is refused
    while planning, which once exited 2 as if the arguments were wrong."""
    (workspace_dir / "private").mkdir()
    (workspace_dir / "private" / "key.txt").write_text("k\n")
    config = assistant_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[[deny]]\ntool = "*"\ntarget = "path:private"\nreason = "keep out"\n')
    proc = assistant(env, "tool", *call, "--approve", "all", "--workspace", str(workspace_dir))
    assert proc.returncode == 3, proc.stderr
    assert "deny rule" in proc.stderr and not proc.stdout
    assert sorted(p.name for p in (workspace_dir / "private").iterdir()) == ["key.txt"]


def test_an_undo_a_deny_rule_refuses_is_exit_3(
    env: dict[str, str], workspace_dir: Path, assistant_home: Path
) -> None:
    made = assistant(
        env,
        "tool",
        "shell",
        '{"command": "echo x > kept.txt"}',
        "--approve",
        "all",
        "--workspace",
        str(workspace_dir),
    )
    assert made.returncode == 0, made.stderr
    with journal(assistant_home) as j:
        (session,) = j.sessions()
        (action_id,) = action_life.session_fold(j, session.id)[1].lives
    config = assistant_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[[deny]]\ntool = "*"\ntarget = "path:kept.txt"\n')
    proc = assistant(env, "undo", action_id, "--approve", "all", cwd=workspace_dir)
    assert proc.returncode == 3, proc.stderr
    assert "deny rule" in proc.stderr
    assert (workspace_dir / "kept.txt").read_text() == "x\n"


def test_sigkill_after_approval_leaves_outcome_unknown_and_nothing_reruns(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path, assistant_home: Path
) -> None:
    with LoopbackServer() as hook:

        def stall(seen: Seen) -> Reply:
            hook.release.wait(60)
            return Reply(200, body=b"too late")

        hook.routes["/hook"] = stall
        body = json.dumps({"method": "POST", "url": hook.url("/hook"), "json": {"deploy": True}})
        fake_llm.queue(llm.tool_call("http_request", body))
        args = ["--workspace", str(workspace_dir), "--approve", "all", "--allow-host", hook.key]
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", "deploy it", *model_args(fake_llm), *args],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while (
                not hook.seen and time.monotonic() < deadline
            ):  # the tool is running: approval was committed
                time.sleep(0.02)
            assert hook.seen, "the approved request never reached the server"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

        with journal(assistant_home) as j:
            (session,) = j.sessions()
            assert j.verify(session.id).ok
            (state,) = action_life.session_fold(j, session.id)[1].lives.values()
            assert state.state == "outcome unknown"
        shown = assistant(env, "history", "show", session.id)
        assert "outcome unknown" in shown.stdout
        assert assistant(env, "history", "verify", session.id).returncode == 0

        # Restart the session: the model is told, and the request is not sent again.
        fake_llm.queue(llm.text("I will check whether the deploy happened."))
        again = assistant(
            env, "run", "did it work?", *model_args(fake_llm), *args, "--resume", session.id
        )
        assert again.returncode == 0, again.stderr
        assert len(hook.seen) == 1
        resumed = fake_llm.requests[-1]["messages"]
        assert any(m["role"] == "tool" and "outcome unknown" in m["content"] for m in resumed)


def test_flipping_one_byte_makes_verify_fail_at_that_event(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path, assistant_home: Path
) -> None:
    fake_llm.queue(llm.text("First answer"))
    assert (
        assistant(
            env, "run", "hello", *model_args(fake_llm), "--workspace", str(workspace_dir)
        ).returncode
        == 0
    )
    import sqlite3

    db = sqlite3.connect(assistant_home / "data" / "journal.sqlite3")
    seq, payload = db.execute(
        "select seq, payload from events where kind = 'assistant.message'"
    ).fetchone()
    db.execute(
        "update events set payload = ? where kind = 'assistant.message'",
        (payload.replace("First", "Fjrst"),),
    )
    db.commit()
    db.close()
    proc = assistant(env, "history", "verify", "--json")
    assert proc.returncode == 1
    (result, journal_line) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert journal_line["sessions_altered"] == 1 and journal_line["keyed"] is True
    assert result["ok"] is False and result["first_bad_seq"] == seq


def test_a_secret_never_reaches_the_model_the_journal_or_the_screen(
    fake_llm: llm.FakeLLM, env: dict[str, str], workspace_dir: Path, assistant_home: Path
) -> None:
    with LoopbackServer() as api:
        # a binding names the origin: plain HTTP on this port (a bare host means https:443)
        origin = f"http://{api.key}"
        stored = assistant(env, "keys", "set", "SHOP", "--host", origin, stdin=CANARY + "\n")
        assert stored.returncode == 0, stored.stderr
        request = {
            "method": "GET",
            "url": api.url("/echo"),
            "headers": {"Authorization": "Bearer {{secret:SHOP}}"},
        }
        unbound = {
            "method": "GET",
            "url": "https://example.invalid/",
            "headers": {"X-Key": "{{secret:SHOP}}"},
        }
        fake_llm.queue(
            llm.tool_calls(
                [("http_request", json.dumps(request)), ("http_request", json.dumps(unbound))]
            ),
            llm.text("The server echoed your token."),
        )
        args = ["--workspace", str(workspace_dir), "--approve", "all", "--allow-host", api.key]
        proc = assistant(env, "run", "call the api", *model_args(fake_llm), *args)
        assert proc.returncode == 0, proc.stderr
        # The secret really went to the bound host ...
        assert api.seen and api.seen[0].headers["authorization"] == f"Bearer {CANARY}"
    # ... and nowhere else: not the model, the screen, the journal, history or errors.
    assert CANARY not in fake_llm.text_received()
    assert "{{secret:SHOP}}" in fake_llm.text_received()
    assert CANARY not in proc.stdout + proc.stderr
    for f in (assistant_home / "data").iterdir():
        assert CANARY.encode() not in f.read_bytes(), f
    with journal(assistant_home) as j:
        sid = j.sessions()[0].id
    for cmd in (
        ["history", "show", sid, "--full"],
        ["history", "show", sid, "--json"],
        ["history", "search", "echo"],
    ):
        out = assistant(env, *cmd)
        assert CANARY not in out.stdout + out.stderr
