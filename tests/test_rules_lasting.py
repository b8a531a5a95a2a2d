"""Rules that last: saved for one workspace from the CLI, the console prompt or the app's pane,
matched as exactly as session grants (the same matcher), named as who decided in the journal,
listed and revoked with `assistant rules` and /grants; a rules file edited by hand with bad
content is a clear error and allows nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.journal import Journal
from assistant.rules import rules_file
from tests.support.cli import assistant, env_fixture  # noqa: F401  (the "env" fixture)
from tests.support.pilot import MODEL_NAMED, AppOpener, pane_words, pending, send, wait_for
from tests.support.textdump import screen_text

CREATE_OUT = {"path": "out/new.csv", "mode": "create", "rows": [["a"], ["1"]]}


def tool(environ: dict[str, str], ws: Path, name: str, args: dict[str, Any], *more: str) -> Any:
    return assistant(
        environ, "tool", name, json.dumps(args), "--workspace", str(ws), "--approve", "never", *more
    )


def decisions(home: Path) -> list[dict[str, Any]]:
    from assistant import paths

    with Journal(paths.journal_file()) as journal:
        out = []
        for info in journal.sessions(limit=100):
            out += [
                (e.ts, e.payload) for e in journal.events(info.id) if e.kind == "action.decided"
            ]
        return [payload for _, payload in sorted(out, key=lambda pair: pair[0])]


def test_a_rule_added_on_the_cli_allows_exactly_its_kind_in_its_workspace(
    env: dict[str, str],
    workspace_dir: Path,
    assistant_home: Path,
    tmp_path: Path,
) -> None:
    (workspace_dir / "out" / "sub").mkdir(parents=True)
    added = assistant(
        env, "rules", "add", "csv_write", json.dumps(CREATE_OUT), "--workspace", str(workspace_dir)
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout == "r1\n"  # data on stdout, words on stderr
    assert "csv_write: create new files in the folder out/ (not its subfolders)" in added.stderr
    listed = assistant(env, "rules", "list", "--workspace", str(workspace_dir))
    assert (
        listed.stdout == "r1  csv_write: create new files in the folder out/ (not its subfolders)\n"
    )

    # --approve never: only the rule can let it run
    made = tool(env, workspace_dir, "csv_write", CREATE_OUT)
    assert made.returncode == 0, made.stderr
    assert (workspace_dir / "out" / "new.csv").read_text() == "a\n1\n"
    last = decisions(assistant_home)[-1]
    assert last["by"] == "rule:r1" and last["verdict"] == "approve"
    assert last["reason"] == "csv_write: create new files in the folder out/ (not its subfolders)"

    # an overwrite, a subfolder, another folder, another workspace: not covered, denied
    other_ws = tmp_path / "other"
    (other_ws / "out").mkdir(parents=True)
    for ws, args in [
        (workspace_dir, {**CREATE_OUT, "mode": "overwrite"}),
        (workspace_dir, {**CREATE_OUT, "path": "out/sub/x.csv"}),
        (workspace_dir, {**CREATE_OUT, "path": "elsewhere.csv"}),
        (other_ws, CREATE_OUT),
    ]:
        refused = tool(env, ws, "csv_write", args)
        assert refused.returncode == 3, (args, refused.stderr)
        assert decisions(assistant_home)[-1]["by"] == "--approve never"
    assert not (other_ws / "out" / "new.csv").exists()

    revoked = assistant(env, "rules", "revoke", "r1", "--workspace", str(workspace_dir))
    assert revoked.returncode == 0 and "revoked r1" in revoked.stderr
    again = tool(env, workspace_dir, "csv_write", {**CREATE_OUT, "path": "out/two.csv"})
    assert again.returncode == 3
    # ids are never reused: the next rule is r2, so "rule:r1" in the journal names one rule
    example = json.dumps({**CREATE_OUT, "path": "out/three.csv"})
    readded = assistant(
        env, "rules", "add", "csv_write", example, "--workspace", str(workspace_dir)
    )
    assert readded.stdout == "r2\n", readded.stderr


def test_a_rule_from_a_journaled_action_is_for_the_workspace_it_ran_in(
    env: dict[str, str], workspace_dir: Path, assistant_home: Path, tmp_path: Path
) -> None:
    """`rules add --from ID`: the action a reviewer sees in the history is the example; the
    rule is the one its pane offered, saved for the workspace it ran in."""
    (workspace_dir / "out").mkdir()
    denied = tool(env, workspace_dir, "csv_write", CREATE_OUT)
    assert denied.returncode == 3
    action_id = decisions(assistant_home)[-1]["action_id"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    wrong = assistant(env, "rules", "add", "--from", action_id[:8], "--workspace", str(elsewhere))
    assert wrong.returncode == 2 and f"ran in {workspace_dir}" in wrong.stderr
    added = assistant(env, "rules", "add", "--from", action_id[:8], cwd=elsewhere)
    assert added.returncode == 0, added.stderr
    assert added.stdout == "r1\n"
    assert f"saved r1 for {workspace_dir}" in added.stderr
    assert f"from action {action_id[:12]}" in added.stderr
    listed = assistant(env, "rules", "list", "--workspace", str(workspace_dir))
    assert listed.stdout == (
        "r1  csv_write: create new files in the folder out/ (not its subfolders)\n"
    )
    made = tool(env, workspace_dir, "csv_write", {**CREATE_OUT, "path": "out/other.csv"})
    assert made.returncode == 0, made.stderr
    assert decisions(assistant_home)[-1]["by"] == "rule:r1"
    made_id = decisions(assistant_home)[-1]["action_id"]  # its file exists now: no example
    again = assistant(env, "rules", "add", "--from", made_id)
    assert again.returncode == 2
    assert f"action {made_id} cannot be planned again as things are now" in again.stderr
    assert "out/other.csv already exists" in again.stderr
    for argv in (["--from", "nosuchaction"], ["csv_write"], ["--from", action_id, "shell"]):
        refused = assistant(env, "rules", "add", *argv, "--workspace", str(workspace_dir))
        assert refused.returncode == 2 and refused.stderr.startswith("assistant: "), argv


def test_a_call_that_offers_no_rule_cannot_be_saved(
    env: dict[str, str],
    workspace_dir: Path,
) -> None:
    (workspace_dir / "a.txt").write_text("x")
    for name, args, words in [
        ("shell", {"command": "cat a.txt"}, "a read"),
        ("shell", {"command": "rm a.txt"}, "every such call is asked"),
        ("nope", {}, "unknown tool"),
        ("csv_write", {"path": "../x.csv", "mode": "create", "rows": [["a"]]}, "csv_write:"),
    ]:
        done = assistant(
            env, "rules", "add", name, json.dumps(args), "--workspace", str(workspace_dir)
        )
        assert done.returncode == 2 and words in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert not rules_file().exists()


BAD_FILES = [
    (b"\xff\xfe\x00binary", "not a text file"),
    (b"[[rules]\n", "not valid TOML"),
    (b"rules = 3\n", "rules must be an array of tables"),
    (b"allow = true\n", "unknown setting 'allow'"),
    (b"[[rules]]\nid = 'r1'\n", "rule 1: lacks workspace, tool, scope, kinds, label"),
    (b"last_id = 'x'\n", "last_id must be a whole number"),
]


def _entry(ws: Path, **change: Any) -> bytes:
    import tomli_w

    entry: dict[str, Any] = {
        "id": "r1",
        "workspace": str(ws.resolve()),
        "tool": "csv_write",
        "scope": "csv_write:dir:out",
        "kinds": ["create"],
        "label": "csv_write: create new files in the folder out/ (not its subfolders)",
        **change,
    }
    return tomli_w.dumps({"rules": [entry]}).encode()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"kinds": "create"}, "kinds must be a list"),
        ({"kinds": ["create", "create"]}, "lists a kind twice"),
        ({"kinds": [1]}, "kinds must be a list of names"),
        ({"workspace": "relative/ws"}, "workspace must be an absolute path"),
        ({"id": "g1"}, "must look like r1"),
        ({"scope": ""}, "scope must be non-empty"),
        ({"tool": ["csv_write"]}, "tool must be a str"),
        ({"everything": True}, "has unknown everything"),
    ],
)
def test_a_bad_entry_is_named_and_no_saved_rule_applies(
    env: dict[str, str],
    workspace_dir: Path,
    change: dict[str, Any],
    words: str,
) -> None:
    (workspace_dir / "out").mkdir()
    good = _entry(workspace_dir)
    rules_file().parent.mkdir(parents=True, exist_ok=True)
    rules_file().write_bytes(good + b"\n" + _entry(workspace_dir, **change).replace(b"r1", b"r2"))
    _refused_everywhere(env, workspace_dir, words.replace("r1", "r1"))


@pytest.mark.parametrize(("content", "words"), BAD_FILES)
def test_a_broken_rules_file_is_a_clear_error_never_a_broader_rule(
    env: dict[str, str],
    workspace_dir: Path,
    content: bytes,
    words: str,
) -> None:
    (workspace_dir / "out").mkdir()
    rules_file().parent.mkdir(parents=True, exist_ok=True)
    good = b"" if content.startswith(b"rules") else _entry(workspace_dir)
    rules_file().write_bytes(content + b"\n" + good)
    _refused_everywhere(env, workspace_dir, words)


def _refused_everywhere(environ: dict[str, str], ws: Path, words: str) -> None:
    listed = assistant(environ, "rules", "list", "--workspace", str(ws))
    assert listed.returncode == 2 and words in listed.stderr, listed.stderr
    assert str(rules_file()) in listed.stderr and "Traceback" not in listed.stderr
    # the good rule beside the bad entry does not apply either: the file is refused whole
    made = tool(environ, ws, "csv_write", CREATE_OUT)
    assert made.returncode == 3, made.stderr
    assert "no saved rule applies" in made.stderr and "Traceback" not in made.stderr
    assert not (ws / "out" / "new.csv").exists()
    before = rules_file().read_bytes()
    added = assistant(
        environ, "rules", "add", "csv_write", json.dumps(CREATE_OUT), "--workspace", str(ws)
    )
    assert added.returncode == 2 and rules_file().read_bytes() == before  # never overwritten


async def test_r_in_the_pane_saves_a_rule_that_the_next_session_uses(
    workspace_dir: Path,
    open_app: AppOpener,
) -> None:
    (workspace_dir / "out").mkdir()
    async with open_app(settings=MODEL_NAMED, size=(120, 40)) as pilot:
        app = pilot.app
        await send(pilot, "/csv write " + json.dumps(CREATE_OUT))
        await pending(pilot)
        words = pane_words(app)
        assert "[r] always allow this in this workspace" in words
        await pilot.press("r")
        await wait_for(pilot, lambda: (workspace_dir / "out/new.csv").exists(), "the write")
        await wait_for(pilot, lambda: "saved as a rule for this workspace" in screen_text(app), "")
        await send(pilot, "/grants")
        await wait_for(pilot, lambda: "(saved for this workspace)" in screen_text(app), "")
        assert (
            "r1  csv_write: create new files in the folder out/ (not its subfolders)"
            in screen_text(app)
        )
    assert "csv_write:dir:out" in rules_file().read_text()

    # a new session: the rule lasts
    async with open_app(settings=MODEL_NAMED, size=(120, 40)) as pilot:
        second = pilot.app
        await send(pilot, "/csv write " + json.dumps({**CREATE_OUT, "path": "out/b.csv"}))
        await wait_for(pilot, lambda: (workspace_dir / "out/b.csv").exists(), "the rule's write")
        assert second.chat.pane.current is None  # nobody was asked
        await wait_for(pilot, lambda: 'rule "csv_write: create new' in screen_text(second), "")
        # an overwrite is not covered: it asks
        await send(pilot, "/csv write " + json.dumps({**CREATE_OUT, "mode": "overwrite"}))
        await pending(pilot)
        await pilot.press("n")
        await pilot.press("enter")
        await wait_for(pilot, lambda: second.chat.pane.current is None, "the denial")
        await send(pilot, "/grants revoke r1")
        await wait_for(pilot, lambda: "r1 was: csv_write" in screen_text(second), "the revoke")
    assert "csv_write:dir:out" not in rules_file().read_text()


async def test_r_at_the_console_saves_and_a_broken_file_falls_back_to_the_session(
    workspace_dir: Path,
) -> None:
    """r at the console saves the rule (the next call runs by it, named as who decided); with a
    rules file that cannot be used, r still approves, says the rule was not saved, and allows
    for this session only."""
    import io

    from assistant.agent import events as ev
    from assistant.agent.approval import ConsoleApprover
    from assistant.cli.render import ConsoleRenderer
    from assistant.config import Settings
    from assistant.runtime import start_session
    from tools.csv_files import CsvWriteTool

    (workspace_dir / "out").mkdir()
    answers = ["r"]
    out = io.StringIO()
    seen: list[ev.Event] = []
    renderer = ConsoleRenderer(out)
    rt = start_session(
        Settings(),
        approver=ConsoleApprover(renderer.write, lambda prompt: answers.pop(0)),
        tools={"csv_write": CsvWriteTool()},
        workspace=workspace_dir,
        listeners=[renderer, seen.append],
    )
    try:
        assert (await rt.gate.execute("csv_write", CREATE_OUT)).status == "done"
        second = {**CREATE_OUT, "path": "out/second.csv"}
        assert (await rt.gate.execute("csv_write", second)).status == "done"  # nobody asked
        decided = [e for e in seen if isinstance(e, ev.ActionDecided)]
        assert [(d.by, d.grant) for d in decided] == [("human", "r1"), ("rule:r1", None)]
        added = [e for e in seen if isinstance(e, ev.GrantAdded)]
        assert [(g.grant_id, g.lasting) for g in added] == [("r1", True)]
        assert "→ saved as a rule for this workspace: csv_write: create new files" in out.getvalue()

        rules_file().write_bytes(b"rules = 'broken'\n")
        answers.append("r")
        third = {**CREATE_OUT, "path": "out/third.csv"}
        assert (await rt.gate.execute("csv_write", third)).status == "done"  # asked again
        errors = [e.message for e in seen if isinstance(e, ev.TurnError)]
        assert errors and "the rule was not saved" in errors[-1]
        assert "allowed for this session only" in errors[-1]
        assert [g.grant_id for g in seen if isinstance(g, ev.GrantAdded)][-1] == "g1"
        assert rules_file().read_bytes() == b"rules = 'broken'\n"  # never overwritten
    finally:
        rt.close()
