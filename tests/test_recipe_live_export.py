"""Marking a recorded step live when exporting from the app's replay: the person opens a session,
picks a step, says what the model is to do (prompt, tools, max calls, the file it must write),
and the recipe the dialog writes is the one ``assistant export --live`` writes. That recipe then
runs through `assistant recipe run`, the scripted fake model doing the live step on an input
file whose header was renamed, which the recorded step could not have handled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
from textual.app import App
from textual.widgets import Input

from assistant.journal import Journal
from assistant.recipes import load_recipe
from assistant.ui.screens.recipe_live import LiveExportDialog
from assistant.ui.screens.replay import ReplayScreen
from assistant.ui.screens.session_actions import ExportDialog
from tests.support import fake_llm as llm
from tests.support.keyrings import FileKeyring
from tests.support.live_recipe import MAP, PEOPLE, settle
from tests.support.recipe_world import assistant, cli_env

RENAMED = (
    "full_name,email_address,phone\n"
    "Grace Hopper,grace@example.org,3\nKatherine Johnson,kj@example.org,4\n"
)
"""The same people file from another system: every column renamed."""
COUNT = "SELECT count(*) AS n FROM 'people.csv'"
PROMPT = "Map the columns of ${input_csv} to name and email; write them to ${output_csv}"


class Host(App[None]):
    """The replay screen in an app that keeps what it was told (notifications)."""

    def __init__(self, journal: Journal, session_id: str) -> None:
        super().__init__()
        self.journal = journal
        self.session_id = session_id
        self.notes: list[str] = []

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append(str(message))
        super().notify(message, **kwargs)

    def on_mount(self) -> None:
        self.push_screen(ReplayScreen(self.journal, self.session_id))


def record(home: Path, root: Path, model: llm.FakeLLM) -> tuple[str, dict[str, str]]:
    """A session recorded through `assistant run`: count the people, then write contacts.csv
    with the columns mapped by name (step 2, the one a new header breaks)."""
    ws = root / "ws"
    ws.mkdir()
    (ws / "people.csv").write_text(PEOPLE)
    env = cli_env(home, root)
    write = json.dumps({"path": "contacts.csv", "mode": "create", "sql": MAP})
    model.queue(
        llm.tool_call("csv_query", json.dumps({"sql": COUNT})),
        llm.tool_call("csv_write", write),
        llm.text("Wrote contacts.csv with name and email."),
    )
    proc = assistant(
        env, "run", "Write the names and emails of people.csv to contacts.csv",
        "--model", model.model(), "--api-base", model.base_url, "--approve", "all",
        "--workspace", str(ws),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (ws / "contacts.csv").read_text().startswith("name,email\n")
    with Journal(home / "data" / "journal.sqlite3") as journal:
        (session,) = journal.sessions()
    return session.id, env


@dataclass(frozen=True)
class Recorded:
    home: Path
    session_id: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    """One recorded session for the tests that only read it (recording costs seconds)."""
    root = tmp_path_factory.mktemp("recorded")
    with llm.FakeLLM() as model:
        sid, env = record(root / "home", root, model)
    yield Recorded(root / "home", sid, env)


@pytest.fixture
def its_keyring(recorded: Recorded, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process reads the recorded journal with the keyring its recorder used."""
    monkeypatch.setenv("TEST_KEYRING_FILE", recorded.env["TEST_KEYRING_FILE"])
    keyring.set_keyring(FileKeyring())  # memory_keyring (autouse) puts the old one back


async def open_dialog(pilot: Any, *keys: str) -> LiveExportDialog:
    """In the replay: ``keys`` (to put the cursor on an action), then x, then l."""
    await settle(pilot)
    await pilot.press(*keys, "x")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ExportDialog)
    await pilot.press("l")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, LiveExportDialog)
    return dialog


async def fill(pilot: Any, dialog: LiveExportDialog, field: str, text: str) -> None:
    """Clear a field of the live step and type ``text`` into it, as a person would."""
    box = dialog.query_one(f"#{field}", Input)
    box.focus()
    await pilot.pause()
    await pilot.press("ctrl+a", "ctrl+k")
    await pilot.press(*text) if text else None
    await pilot.pause()


async def test_a_step_marked_live_in_replay_is_exported_and_run_on_a_renamed_header(
    fake_llm: llm.FakeLLM, tmp_path: Path, assistant_home: Path, shared_keyring: dict[str, str]
) -> None:
    home = tmp_path / "home"
    sid, env = record(home, tmp_path, fake_llm)
    journal = Journal(home / "data" / "journal.sqlite3")
    app = Host(journal, sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            # home, n, n: the cursor on the second action (the write): the dialog opens on it.
            dialog = await open_dialog(pilot, "home", "n", "n")
            assert dialog.current == 2 and not dialog.marked
            await pilot.press("space")
            await pilot.pause()
            assert dialog.marked == {2}
            assert dialog.focused is dialog.query_one("#prompt", Input)
            # The defaults shown: the recorded tool and reads, 5 calls, the file it wrote with
            # the header it has.
            shown = {n: dialog.query_one(f"#{n}", Input).value for n in ("tools", "file")}
            assert shown == {"tools": "csv_read, csv_query, csv_write", "file": "${output_csv}"}
            assert dialog.query_one("#columns", Input).value == "name, email"
            await pilot.press(*PROMPT)
            await fill(pilot, dialog, "tools", "csv_read, csv_write")
            await fill(pilot, dialog, "max-calls", "4")
            await fill(pilot, dialog, "min-rows", "1")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, ReplayScreen)
    finally:
        journal.close()
    target = assistant_home / "data" / "exports" / f"session-{sid[:12]}.live.recipe.toml"
    assert app.notes == [f"exported recipe with live step 2 to {target}"]
    assert target.stat().st_mode & 0o777 == 0o600
    recipe = load_recipe(target)
    first, live = recipe.steps
    assert first.kind == "tool" and first.tool == "csv_query"
    assert live.kind == "live" and live.prompt == PROMPT
    assert live.tools == ("csv_read", "csv_write") and live.max_calls == 4
    assert live.expect == {"file": "${output_csv}", "columns": ["name", "email"], "min_rows": 1}
    assert recipe.params["input_csv"].value == "people.csv"

    # Run it where the people file has another system's header.
    ws = tmp_path / "again"
    ws.mkdir()
    (ws / "people.csv").write_text(RENAMED)
    mapped = "SELECT full_name AS name, email_address AS email FROM 'people.csv'"
    fake_llm.requests.clear()
    fake_llm.queue(
        llm.tool_call("csv_read", '{"path": "people.csv", "limit": 5}'),
        llm.tool_call(
            "csv_write", json.dumps({"path": "contacts.csv", "mode": "create", "sql": mapped})
        ),
        llm.text("Mapped full_name and email_address to name and email."),
    )
    proc = assistant(
        env, "recipe", "run", str(target), "--workspace", str(ws), "--approve", "all",
        "--model", fake_llm.model(), "--api-base", fake_llm.base_url,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (ws / "contacts.csv").read_text() == (
        "name,email\nGrace Hopper,grace@example.org\nKatherine Johnson,kj@example.org\n"
    )
    assert "= step 2 done as expected" in proc.stdout
    # The model did the step with the prompt, tools and bounds the person gave in the dialog.
    first_request = fake_llm.requests[0]
    assert [t["function"]["name"] for t in first_request["tools"]] == ["csv_read", "csv_write"]
    system, user = (m["content"] for m in first_request["messages"][:2])
    assert "At most 4 tool calls" in system
    assert "contacts.csv with the columns name, email and at least 1 data row" in system
    assert user == "Map the columns of people.csv to name and email; write them to contacts.csv"


async def test_the_dialog_with_defaults_writes_what_export_live_writes(
    recorded: Recorded, its_keyring: None, assistant_home: Path
) -> None:
    """One exporter: a prompt and the defaults give, byte for byte, `export --live 2=PROMPT`."""
    sid, env = recorded.session_id, recorded.env
    journal = Journal(recorded.home / "data" / "journal.sqlite3")
    app = Host(journal, sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            dialog = await open_dialog(pilot)  # the cursor on no action: the first step
            assert dialog.current == 1
            await pilot.press("down", "space", *PROMPT, "ctrl+s")
            await settle(pilot)
    finally:
        journal.close()
    target = assistant_home / "data" / "exports" / f"session-{sid[:12]}.live.recipe.toml"
    cli = assistant(env, "export", sid, "--format", "recipe", "--live", f"2={PROMPT}")
    assert cli.returncode == 0, cli.stderr
    assert target.read_text() == cli.stdout


@pytest.mark.parametrize(
    ("field", "text", "error", "cursor"),
    [
        (
            "prompt",
            "",
            "step 2 · prompt: a live step needs a prompt: what the model is to do",
            "prompt",
        ),
        (
            "prompt",
            "Map ${people}",
            "step 2 · prompt: ${people} in the prompt is not a parameter of this recipe "
            "(the parameters: ${input_csv}, ${output_csv}; $$ is a plain $)",
            "prompt",
        ),
        ("tools", "csv_read, csv_raed", "step 2 · tools: 'csv_raed' is not a tool here", "tools"),
        ("tools", "", "step 2 · tools: name at least one tool the step may use", "tools"),
        (
            "max-calls",
            "five",
            "step 2 · max calls: max calls must be a whole number, not 'five'",
            "max-calls",
        ),
        (
            "max-calls",
            "0",
            "step 2 · max calls: max calls must be a whole number from 1 to 50",
            "max-calls",
        ),
        (
            "max-calls",
            "51",
            "step 2 · max calls: max calls must be a whole number from 1 to 50",
            "max-calls",
        ),
        (
            "min-rows",
            "-1",
            "step 2 · min rows: min rows must be a whole number, not '-1'",
            "min-rows",
        ),
        ("columns", "name,,email", "step 2 · columns: a column name is empty", "columns"),
        ("file", "", "step 2 · columns: columns and a row count are checked in a file", "columns"),
        (
            "file",
            "${nope}.csv",
            "step 2 · file: ${nope} in the file's path is not a parameter",
            "file",
        ),
    ],
)
async def test_bad_input_stays_in_the_dialog_with_a_clear_error_and_esc_cancels(
    recorded: Recorded,
    its_keyring: None,
    assistant_home: Path,
    field: str,
    text: str,
    error: str,
    cursor: str,
) -> None:
    journal = Journal(recorded.home / "data" / "journal.sqlite3")
    app = Host(journal, recorded.session_id)
    exports = assistant_home / "data" / "exports"
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            dialog = await open_dialog(pilot, "home", "n", "n")
            await pilot.press("space", *"Map ${input_csv}")
            await fill(pilot, dialog, field, text)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is dialog  # still open, nothing written
            said = str(dialog.query_one("#live-error").render())
            assert said.startswith(error), said
            # The cursor is where it can be put right.
            assert dialog.focused is dialog.query_one(f"#{cursor}", Input)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ReplayScreen)
    finally:
        journal.close()
    assert not exports.exists() or not any(exports.iterdir())
    assert app.notes == []


@pytest.mark.parametrize(
    ("live", "said"),
    [
        ("2=Map\x07 it", "--live 2: the prompt holds a control or invisible character"),
        ("2=Map ${Bad}", "--live 2: the prompt: ${Bad} is not a parameter name"),
        ("3=x", "--live 3: the recipe has steps 1 to 2"),
    ],
)
def test_export_live_on_the_command_line_says_what_is_wrong_with_exit_2(
    recorded: Recorded, live: str, said: str
) -> None:
    """The same checks reach the command line: no "internal error", no file."""
    proc = assistant(
        recorded.env, "export", recorded.session_id, "--format", "recipe", "--live", live
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert said in proc.stderr and proc.stdout == ""
