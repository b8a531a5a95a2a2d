"""Live steps, driven by the scripted fake model through `assistant recipe run`: the model does one
bounded task with only the step's tools, through the same gate and journal; a step that goes
over its bounds or misses its expectation escalates (a person chooses; headless, exit 5), and
``confirm = "always"`` asks a person even under --approve all."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support import fake_llm as llm
from tests.support.pty import run_in_pty
from tests.support.recipe_world import ORDERS, QUERY, Api, assistant, cli_env, record

LIVE = """\
[recipe]
format = 2

[params.input_csv]
value = "orders.csv"
description = "CSV file read by step 1"

[params.output_csv]
value = "summary.csv"
description = "CSV file written by step 1"

[[steps]]
kind = "live"
prompt = "Write ${output_csv}: the total amount per customer_id in ${input_csv}"
tools = ["csv_read", "csv_write"]
max_calls = 3

[steps.expect]
file = "${output_csv}"
columns = ["customer_id", "total"]
min_rows = 1

[[steps]]
tool = "csv_query"

[steps.args]
sql = "SELECT count(*) AS n FROM '${output_csv}'"

[steps.expect]
columns = ["n"]
"""

READ = llm.tool_call("csv_read", '{"path": "orders.csv"}')
GOOD = llm.tool_call(
    "csv_write", json.dumps({"path": "summary.csv", "mode": "create", "sql": QUERY})
)
WRONG = llm.tool_call(
    "csv_write",
    json.dumps({"path": "summary.csv", "mode": "create", "rows": [["who", "sum"], ["42", "15"]]}),
)
FIX = llm.tool_call(
    "csv_write", json.dumps({"path": "summary.csv", "mode": "overwrite", "sql": QUERY})
)


def setup(
    tmp_path: Path, home: Path, model: llm.FakeLLM, text: str = LIVE
) -> tuple[Path, list[str], dict[str, str]]:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "orders.csv").write_text(ORDERS)
    recipe = tmp_path / "live.recipe.toml"
    recipe.write_text(text)
    args = [
        "recipe", "run", str(recipe), "--workspace", str(ws), "--model", model.model(),
        "--api-base", model.base_url,
    ]  # fmt: skip
    return ws, args, cli_env(home, tmp_path)


def tool_names(request: dict) -> list[str]:
    return [t["function"]["name"] for t in request.get("tools", [])]


def test_a_live_step_does_its_task_with_only_its_tools_and_is_journaled(
    fake_llm: llm.FakeLLM, tmp_path: Path, assistant_home: Path
) -> None:
    ws, args, env = setup(tmp_path, assistant_home, fake_llm)
    fake_llm.queue(READ, GOOD, llm.text("Wrote summary.csv."))
    proc = assistant(env, *args, "--approve", "all")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (ws / "summary.csv").read_text() == "customer_id,total\n7,20\n42,15\n"
    assert "= step 1 done as expected" in proc.stdout and "= step 2 as expected" in proc.stdout
    # The model saw only the step's tools, its bounds and what it must produce.
    assert tool_names(fake_llm.requests[0]) == ["csv_read", "csv_write"]
    system = fake_llm.requests[0]["messages"][0]["content"]
    assert (
        "At most 3 tool calls" in system
        and "summary.csv with the columns customer_id, total" in system
    )
    user = fake_llm.requests[0]["messages"][1]["content"]
    assert user == "Write summary.csv: the total amount per customer_id in orders.csv"
    from assistant.journal import Journal

    with Journal(assistant_home / "data" / "journal.sqlite3") as j:
        (run,) = j.sessions()
        kinds = [e.kind for e in j.events(run.id)]
        decided = [e.payload["by"] for e in j.events(run.id) if e.kind == "action.decided"]
    assert run.model == fake_llm.model() and run.meta["recipe"]["name"] == "live.recipe.toml"
    assert kinds.count("assistant.message") == 3 and kinds[-1] == "turn.end"
    assert decided == ["policy:read", "--approve all", "policy:read"]  # the same gate


@pytest.mark.parametrize(
    ("replies", "problem"),
    [
        (
            [llm.tool_calls([("csv_read", '{"path": "orders.csv"}')] * 4), llm.text("x")],
            "it went over its bounds (the limit of 3 tool calls in one turn was reached)",
        ),
        (
            [WRONG, llm.text("Done.")],
            "it missed its expectation: summary.csv has the columns who, sum, expected "
            "customer_id, total",
        ),
    ],
    ids=["bounds-exceeded", "expectation-missed"],
)
def test_headless_a_live_step_that_fails_stops_the_run_with_exit_5(
    fake_llm: llm.FakeLLM, tmp_path: Path, assistant_home: Path, replies: list, problem: str
) -> None:
    ws, args, env = setup(tmp_path, assistant_home, fake_llm)
    fake_llm.queue(*replies)
    proc = assistant(env, *args, "--approve", "all")
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert f"! step 1 (live): {problem}" in proc.stdout
    assert "the live step needs a person to choose retry, skip or stop" in proc.stderr
    assert "step 2/2" not in proc.stdout
    assert "recipe escalated: 1 step ran" in proc.stdout


@pytest.mark.parametrize(("answer", "code"), [("r", 0), ("s", 0), ("q", 1)])
async def test_at_a_terminal_the_person_answers_the_escalation(
    fake_llm: llm.FakeLLM, tmp_path: Path, assistant_home: Path, answer: str, code: int
) -> None:
    ws, args, env = setup(tmp_path, assistant_home, fake_llm)
    fake_llm.queue(WRONG, llm.text("Done."), FIX, llm.text("Fixed the columns."))
    rc, screen = await asyncio.to_thread(run_in_pty, [*args, "--approve", "all"], [answer], env)
    assert "step 1 needs you: retry, skip or stop?   [r] retry   [s] skip   [q] stop" in screen
    assert rc == code, screen
    header = (ws / "summary.csv").read_text().splitlines()[0]
    if answer == "r":
        # The retry told the model what was wrong, and it fixed it.
        retry = fake_llm.requests[2]["messages"][1]["content"]
        assert "Your previous attempt at this step failed: it missed its expectation" in retry
        assert header == "customer_id,total" and "= step 1 done as expected" in screen
    else:
        assert header == "who,sum"
        assert ("step 2/2" in screen) is (answer == "s")


def test_confirm_always_needs_a_person_even_under_approve_all(
    tmp_path: Path, assistant_home: Path
) -> None:
    text = (
        '[recipe]\nformat = 2\n\n[[steps]]\ntool = "csv_write"\nconfirm = "always"\n\n'
        '[steps.args]\npath = "out.csv"\nmode = "create"\nrows = [["a"], ["1"]]\n'
    )
    recipe = tmp_path / "confirm.recipe.toml"
    recipe.write_text(text)
    ws = tmp_path / "ws"
    ws.mkdir()
    env = cli_env(assistant_home, tmp_path)
    args = ["recipe", "run", str(recipe), "--workspace", str(ws), "--approve", "all"]
    headless = assistant(env, *args)
    assert headless.returncode == 3, headless.stdout + headless.stderr
    assert 'confirm = "always", and no person is asked in this run' in headless.stdout
    assert not (ws / "out.csv").exists()
    rc, screen = run_in_pty(args, ["y"], env)
    assert rc == 0, screen
    assert "[y] approve" in screen and (ws / "out.csv").read_text() == "a\n1\n"


def test_a_live_step_without_a_model_is_exit_4_before_anything_runs(
    tmp_path: Path, assistant_home: Path
) -> None:
    recipe = tmp_path / "live.recipe.toml"
    recipe.write_text(LIVE)
    env = cli_env(assistant_home, tmp_path)
    proc = assistant(env, "recipe", "run", str(recipe), "--workspace", str(tmp_path))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "step 1 is a live step and needs a model" in proc.stderr
    from assistant.journal import Journal

    with Journal(assistant_home / "data" / "journal.sqlite3") as j:
        assert j.sessions() == []  # refused before a session was started


async def test_a_recorded_step_marked_live_on_export_is_tested_and_run(
    fake_llm: llm.FakeLLM, tmp_path: Path, assistant_home: Path
) -> None:
    (tmp_path / "home").mkdir()
    with Api() as api:
        world = await asyncio.to_thread(record, tmp_path / "home", tmp_path, api, fake_llm)
        prompt = "Write ${output_csv}: total amount per customer_id in ${input_csv}"
        path = world.export(
            "live", "--live", f"4={prompt}", "--with-fixtures", str(tmp_path / "fx")
        )
        text = path.read_text()
        assert 'kind = "live"' in text and 'columns = ["customer_id", "total"]' in text
        assert "[[steps.calls]]" in text  # the recorded call, for `recipe test`
        tested = world.run("recipe", "test", str(path), "--fixtures", str(tmp_path / "fx"))
        assert tested.returncode == 0, tested.stdout + tested.stderr
        assert "ok    step 4 · live · create summary.csv: 2 rows added" in tested.stdout
        ws = world.fresh_workspace("again")
        fake_llm.queue(GOOD, llm.text("Done."))
        proc = world.run(
            "recipe", "run", str(path), "--workspace", str(ws), "--approve", "all",
            "--allow-host", api.key, "--model", fake_llm.model(), "--api-base", fake_llm.base_url,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (ws / "summary.csv").read_text() == "customer_id,total\n7,20\n42,15\n"
        bad = world.run("export", world.session_id, "--format", "recipe", "--live", "9=x")
        assert bad.returncode == 2 and "the recipe has steps 1 to 4" in bad.stderr
