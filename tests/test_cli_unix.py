"""The CLI as a good Unix citizen: data on stdout, everything else on stderr, so
`assistant tool shell '{"command": "cat a.csv"}' > copy.csv` copies the file byte for byte (through
a pipe here, and in a real terminal through tmux); `--json` starts with the session; the missing
key hint names the provider litellm resolves for the model string, or says it is unknown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.journal import Journal
from tests.support.cli import (
    assistant,
    env_fixture,  # noqa: F401  (the "env" fixture)
)
from tests.support.tmux import (
    TMUX,
    Terminal,
    terminal_fixture,  # noqa: F401  (the "terminal" fixture)
)

ROOT = Path(__file__).resolve().parent.parent

BIG = b"".join(b"%d,customer-%05d,%d.50\r\n" % (i, i, i) for i in range(12_000))
FILES = {
    "crlf-bom.csv": b"\xef\xbb\xbfid;name\r\n1;Zo\xc3\xab\r\n2;\xe2\x82\xac 5\r\n",
    "cp1252.csv": b"id,price\n1,\x80 5\n2,it\x92s\n",
    "no-newline.txt": b"first\nlast line without newline",
    "tabs.tsv": b"a\tb\t\tc\n\n\n",
    "big.csv": BIG,  # over the 64 KB the model reads: a person's pipe still gets all of it
}


def raw_tool(
    environ: dict[str, str], ws: Path, command: str, *more: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "tool", "shell", json.dumps({"command": command})]
        + ["--workspace", str(ws), *more],
        capture_output=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("name", sorted(FILES))
def test_cat_into_a_pipe_copies_the_file_byte_for_byte(
    env: dict[str, str],
    workspace_dir: Path,
    assistant_home: Path,
    name: str,
) -> None:
    (workspace_dir / name).write_bytes(FILES[name])
    proc = raw_tool(env, workspace_dir, f"cat {name}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == FILES[name]
    notes = proc.stderr.decode()
    assert "● READ shell: cat " + name in notes and "✓ exit 0" in notes  # the card: stderr
    with Journal(assistant_home / "data" / "journal.sqlite3") as journal:
        (session,) = journal.sessions()
        (result,) = [e.payload for e in journal.events(session.id) if e.kind == "action.result"]
    if name == "big.csv":  # the model's share stays at its limit
        assert len(result["output"]) < 70_000 and "[output cut at 64 KB]" in result["output"]


def test_terminal_controls_are_escaped_in_a_pipe_unless_raw(
    env: dict[str, str],
    workspace_dir: Path,
) -> None:
    evil = b"title\x1b]0;pwned\x07 and \xe2\x80\xaegnp.exe\n"
    (workspace_dir / "evil.txt").write_bytes(evil)
    shown = raw_tool(env, workspace_dir, "cat evil.txt")
    assert shown.returncode == 0
    assert b"\x1b" not in shown.stdout and b"\x07" not in shown.stdout
    assert shown.stdout == b"title\\x1b]0;pwned\\x07 and \\u202egnp.exe\n"
    assert b"--raw writes the bytes as they are" in shown.stderr
    raw = raw_tool(env, workspace_dir, "cat evil.txt", "--raw")
    assert raw.stdout == evil and b"\x1b" not in raw.stderr
    binary = bytes(range(256)) * 300
    (workspace_dir / "blob.bin").write_bytes(binary)
    assert raw_tool(env, workspace_dir, "cat blob.bin", "--raw").stdout == binary


def test_a_secret_in_a_piped_output_is_marked_and_said_as_such(
    env: dict[str, str],
    workspace_dir: Path,
) -> None:
    """The output gets "[raw value of secret NAME]", and stderr says that, not "its handle"
    (a handle in output would read as if the file held one)."""
    stored = subprocess.run(
        [sys.executable, "-m", "assistant", "keys", "set", "TOK"],
        input=b"sekrit-value-98765\n",
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert stored.returncode == 0, stored.stderr
    (workspace_dir / "leak.txt").write_bytes(b"has sekrit-value-98765 inside\n")
    proc = raw_tool(env, workspace_dir, "cat leak.txt")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"has [raw value of secret TOK] inside\n"
    assert b"replaced by [raw value of secret NAME]" in proc.stderr
    assert b"handle" not in proc.stderr and b"sekrit" not in proc.stderr


def test_a_failing_command_keeps_its_data_and_its_words_apart(
    env: dict[str, str],
    workspace_dir: Path,
) -> None:
    (workspace_dir / "a.txt").write_bytes(b"one\n")
    proc = raw_tool(env, workspace_dir, "cat a.txt missing.txt")
    assert proc.returncode == 1
    assert proc.stdout == b"one\n"
    assert b"cat: missing.txt: No such file or directory" in proc.stderr
    refused = raw_tool(env, workspace_dir, "cat ../outside.txt")
    assert refused.returncode in (1, 2) and refused.stdout == b""


def test_tool_list_gives_each_tool_its_whole_description(env: dict[str, str]) -> None:
    """`tool --list` shows what the model reads: shell's summary says "the commands below", so
    the commands and their flags are listed too, each on its own line, not cut to one line."""
    from tools import builtin_tools

    proc = assistant(env, "tool", "--list")
    assert proc.returncode == 0, proc.stderr
    listed = proc.stdout.splitlines()
    for tool in builtin_tools().values():
        for line in tool.description.strip().splitlines():
            assert "    " + line in listed, (tool.name, line)


def test_json_starts_with_the_session_it_was_recorded_in(
    env: dict[str, str],
    workspace_dir: Path,
    assistant_home: Path,
) -> None:
    (workspace_dir / "a.txt").write_text("one\n")
    proc = raw_tool(env, workspace_dir, "cat a.txt", "--json")
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert lines[0]["kind"] == "session"
    with Journal(assistant_home / "data" / "journal.sqlite3") as journal:
        (session,) = journal.sessions()
    assert lines[0]["session_id"] == session.id
    assert [e["kind"] for e in lines[1:]][:1] == ["action.proposed"]


@pytest.mark.parametrize(
    ("model", "said", "never"),
    [
        ("nonsense-model", "unknown model 'nonsense-model'", "OPENAI_API_KEY"),
        ("my-local-llama", "name the provider as PROVIDER/MODEL", "OPENAI_API_KEY"),
        ("foo/bar", "unknown provider 'foo'", "OPENAI_API_KEY"),
        ("gpt-4.1", "assistant keys set OPENAI_API_KEY", "unknown"),
        ("claude-sonnet-4-5", "assistant keys set ANTHROPIC_API_KEY", "OPENAI"),
        ("groq/llama-3.3-70b-versatile", "assistant keys set GROQ_API_KEY", "OPENAI"),
    ],
)
def test_the_missing_key_hint_names_the_provider_litellm_resolves(
    env: dict[str, str],
    workspace_dir: Path,
    model: str,
    said: str,
    never: str,
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "run", "hi", "--model", model]
        + ["--workspace", str(workspace_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 4, proc.stderr
    assert said in proc.stderr and never not in proc.stderr, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr


@pytest.mark.skipif(not Path(TMUX).exists(), reason="tmux is not installed here")
def test_in_a_real_terminal_a_redirect_copies_exactly_and_the_screen_shows_the_notes(
    terminal: Terminal,
    env: dict[str, str],
    workspace_dir: Path,
) -> None:
    (workspace_dir / "a.csv").write_bytes(FILES["crlf-bom.csv"] + BIG)
    (workspace_dir / "evil.txt").write_bytes(b"x\x1b]0;pwned\x07y\n")
    keep = ("ASSISTANT_HOME", "PYTHONPATH", "PYTHON_KEYRING_BACKEND", "TEST_KEYRING_FILE", "PATH")
    exports = " ".join(f"{k}={env[k]}" for k in keep if k in env)
    tool = (
        f"env -i {exports} LITELLM_OFFLINE_MODE=true TERM=xterm {sys.executable} -m assistant tool"
    )
    args = json.dumps({"command": "cat a.csv"})
    command = (
        f"cd {workspace_dir} && {tool} shell '{args}' > copy.csv; echo COPY=$?; "
        f"{tool} shell '{json.dumps({'command': 'cat evil.txt'})}'; echo SHOWN=$?; sleep 120"
    )
    terminal.start(command)
    shown = terminal.wait(lambda s: "SHOWN=" in s, "both commands to finish")
    assert "COPY=0" in shown and "SHOWN=0" in shown
    assert (workspace_dir / "copy.csv").read_bytes() == (workspace_dir / "a.csv").read_bytes()
    assert "● READ shell: cat a.csv" in shown  # the notes reached the terminal, not the file
    assert "x\\x1b]0;pwned\\x07y" in shown  # on a terminal, escapes are shown, never acted on
    assert os.path.getsize(workspace_dir / "copy.csv") == len(FILES["crlf-bom.csv"] + BIG)
