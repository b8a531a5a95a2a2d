"""Running recipes as a person does, through the CLI: a session against a loopback API exported,
re-run against changed data with a parameter, previewed with --dry-run, and tested from its
fixtures; requests go out byte for byte as recorded; volatile answers do not stop a replay, and a
step that differs is shown and stops the run (or does not, when the person says so)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import fake_llm as llm
from tests.support.http_servers import Reply
from tests.support.pty import run_in_pty
from tests.support.recipe_world import (
    CANARY,
    CHANGED_ORDERS,
    POST_BODY,
    ROOT,
    SUMMARY,
    Api,
    World,
    assistant,
    cli_env,
    record,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("recipe-run")
    (root / "home").mkdir()
    with llm.FakeLLM() as model, Api() as api:
        w = record(root / "home", root, api, model)
        w.export("pull", "--with-fixtures", str(root / "pull.fixtures"))
        yield w


@pytest.fixture
def recipe(world: World) -> Path:
    return world.root / "pull.recipe.toml"


def run_args(world: World, ws: Path, *more: str) -> list[str]:
    return [
        "recipe", "run", str(world.root / "pull.recipe.toml"), "--allow-host", world.api.key,
        "--workspace", str(ws), *more,
    ]  # fmt: skip


def test_the_source_session_sent_the_body_the_model_wrote(world: World) -> None:
    assert world.posts()[0] == POST_BODY.encode()


def test_a_replay_sends_every_request_byte_for_byte_and_volatile_answers_do_not_stop_it(
    world: World,
) -> None:
    ws = world.fresh_workspace("replay")
    seen = len(world.api.seen)
    proc = world.run(*run_args(world, ws, "--approve", "all"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sent = world.api.seen[seen:]
    # The POST body on the wire is the recorded one: same bytes, same key order.
    assert [s.body for s in sent if s.method == "POST"] == [POST_BODY.encode()]
    assert sent[0].path == "/customers/42"
    # Headers go in their recorded order; the secret's value goes only to its bound host.
    names = [k for k in sent[0].headers if k in ("x-trace", "authorization")]
    assert names == ["x-trace", "authorization"]
    assert sent[0].headers["authorization"] == f"Bearer {CANARY}"
    assert CANARY not in proc.stdout + proc.stderr
    # The GET's answer had a new timestamp and request id: expected, not a difference.
    assert proc.stdout.count("as expected") == 4 and "differs" not in proc.stdout
    assert (ws / "summary.csv").read_bytes() == SUMMARY
    assert "recipe done: 4 steps ran" in proc.stdout


def test_a_rerun_against_changed_data_with_a_parameter_follows_the_parameter(
    world: World,
) -> None:
    ws = world.fresh_workspace("changed", CHANGED_ORDERS)
    seen = len(world.api.seen)
    proc = world.run(*run_args(world, ws, "--approve", "all", "--param", "customer_id=43"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sent = world.api.seen[seen:]
    assert [s.path for s in sent] == ["/customers/43", "/orders"]
    # Only the parameter changed the body; the rest is as recorded, in its order.
    assert sent[1].body == POST_BODY.replace('"customer_id":42', '"customer_id":43').encode()
    assert (ws / "summary.csv").read_text() == "customer_id,total\n7,20\n42,15\n43,38\n"
    assert "customer_id = 43  (given)" in proc.stdout
    # The run is a session of its own, linked to its recipe and to the source session.
    runs = [s for s in world.sessions() if s.id != world.session_id and s.parent]
    run = runs[0]
    assert run.parent == world.session_id and run.title == "recipe pull.recipe.toml"
    meta = run.meta["recipe"]
    assert meta["path"] == str(world.root / "pull.recipe.toml") and meta["mode"] == "run"
    assert meta["given"] == ["customer_id"] and meta["params"]["customer_id"] == "43"
    shown = world.run("history", "show", run.id)
    assert shown.returncode == 0 and f"parent:    {world.session_id}" in shown.stdout
    assert "recipe:    pull.recipe.toml (run)" in shown.stdout


def test_dry_run_previews_every_step_and_sends_changes_and_records_nothing(
    world: World,
) -> None:
    ws = world.fresh_workspace("dry", CHANGED_ORDERS)
    seen, sessions = len(world.api.seen), len(world.sessions())
    proc = world.run(*run_args(world, ws, "--dry-run", "--param", "customer_id=43"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert f"step 1 · READ http_request: GET http://{world.api.key}/customers/43" in out
    assert '│     "customer_id": 43,' in out and '│     "note": "ünïcode & <tags>"' in out
    assert "step 4 · WRITE csv_write: create summary.csv: 3 rows added" in out
    assert "dry run done: 4 of 4 steps planned" in out
    assert len(world.api.seen) == seen and len(world.sessions()) == sessions
    assert sorted(p.name for p in ws.iterdir()) == ["orders.csv"]


def test_recipe_test_replays_from_the_fixtures_with_no_network_and_writes_junit(
    world: World, recipe: Path
) -> None:
    seen = len(world.api.seen)
    junit = world.root / "junit.xml"
    proc = world.run("recipe", "test", str(recipe), "--junit", str(junit))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:5] == [
        f"ok    step 1 · http_request · GET http://{world.api.key}/customers/42",
        "ok    step 2 · csv_query · query orders.csv",
        f"ok    step 3 · http_request · POST http://{world.api.key}/orders",
        "ok    step 4 · csv_write · create summary.csv: 2 rows added",
        "ok    output summary.csv",
    ]
    assert lines[5].startswith("recipe test passed: 4 steps, 1 output file;")
    assert len(world.api.seen) == seen  # nothing was sent
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("5", "0")
    # The fixtures hold what the session read, got and wrote.
    fixtures = world.root / "pull.fixtures"
    assert (fixtures / "inputs" / "orders.csv").read_text().startswith("id,customer_id")
    assert (fixtures / "expected" / "summary.csv").read_bytes() == SUMMARY
    assert sorted(p.name for p in (fixtures / "http").iterdir()) == [
        "001-step-1.json",
        "002-step-3.json",
    ]


def test_recipe_test_needs_no_secret_and_no_file_holds_one(
    world: World, recipe: Path, tmp_path: Path
) -> None:
    """A CI machine: a fresh home with no config and no keyring; the test still runs."""
    home = tmp_path / "ci-home"
    home.mkdir()
    proc = assistant(cli_env(home, tmp_path), "recipe", "test", str(recipe))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Authorization = "Bearer {{secret:SHOP}}"' in recipe.read_text()
    files = [recipe, *(world.root / "pull.fixtures").rglob("*")]
    assert [p for p in files if p.is_file() and CANARY.encode() in p.read_bytes()] == []


def test_recipe_test_fails_when_the_recipe_or_its_output_no_longer_matches(
    world: World, recipe: Path, tmp_path: Path
) -> None:
    changed = tmp_path / "changed.recipe.toml"
    text = recipe.read_text()
    text = text.replace('"total":15', '"total":16').replace(
        "ORDER BY customer_id", "ORDER BY total"
    )
    changed.write_text(text)
    junit = tmp_path / "j.xml"
    args = ["recipe", "test", str(changed), "--fixtures", str(world.root / "pull.fixtures")]
    proc = world.run(*args, "--junit", str(junit))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[2].startswith("FAIL  step 3 · http_request") and "request body differs" in lines[2]
    assert lines[4] == "FAIL  output summary.csv: differs (29 bytes, recorded 29)"
    assert lines[-1].startswith("recipe test FAILED (2 of 5 checks)")
    assert ET.parse(junit).getroot().get("failures") == "2"
    # --strict also compares what each step got: the changed order shows as a query result.
    strict = world.run(*args, "--strict")
    assert "FAIL  step 2 · csv_query" in strict.stdout and "query result differs" in strict.stdout


def test_a_step_that_differs_is_shown_and_stops_unless_told_to_go_on(
    world: World,
) -> None:
    routes = dict(world.api.routes)
    body = b'{"id": "42", "name": 7, "updated_at": null}'
    world.api.routes["/customers/42"] = lambda seen: Reply(
        200, [("Content-Type", "application/json")], body
    )
    try:
        for flags, code in ((["--approve", "never"], 1), (["--approve", "all"], 1)):
            ws = world.fresh_workspace(f"differs-{flags[1]}")
            proc = world.run(*run_args(world, ws, *flags))
            assert proc.returncode == code, proc.stdout + proc.stderr
            assert "! step 1 differs from what the recipe expects:" in proc.stdout
            assert "    body.name: a number, expected a string" in proc.stdout
            assert "    body.tier: missing, expected a string" in proc.stdout
            assert "body.id" not in proc.stdout and "updated_at" not in proc.stdout  # volatile
            assert "stopped after step 1" in proc.stderr and "step 2/4" not in proc.stdout
        ws = world.fresh_workspace("differs-keep")
        proc = world.run(*run_args(world, ws, "--approve", "all", "--keep-going"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "recipe done: 4 steps ran, 1 differed from the recipe" in proc.stdout
        assert (ws / "summary.csv").read_bytes() == SUMMARY
    finally:
        world.api.routes.clear()
        world.api.routes.update(routes)


def test_strict_compares_the_response_bytes(world: World) -> None:
    ws = world.fresh_workspace("strict")
    proc = world.run(*run_args(world, ws, "--approve", "never", "--strict"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "    response body differs from the recording (strict)" in proc.stdout
    assert "stopped after step 1" in proc.stderr


@pytest.mark.parametrize(("answer", "code"), [("c", 0), ("s", 1)])
async def test_at_a_terminal_the_person_chooses_to_continue_or_stop(
    world: World, answer: str, code: int
) -> None:
    routes = dict(world.api.routes)
    world.api.routes["/customers/42"] = lambda seen: Reply(
        200, [("Content-Type", "application/json")], b"[]"
    )
    ws = world.fresh_workspace(f"pty-{answer}")
    try:
        rc, screen = await asyncio.to_thread(
            run_in_pty, run_args(world, ws, "--approve", "all"), [answer], world.env
        )
    finally:
        world.api.routes.clear()
        world.api.routes.update(routes)
    assert "body.name: missing, expected a string" in screen
    assert "step 1 did not come out as expected: continue or stop?" in screen
    assert "[c] continue   [s] stop" in screen
    assert rc == code, screen
    assert (ws / "summary.csv").exists() is (code == 0)


def test_param_errors_list_the_valid_names(world: World, recipe: Path) -> None:
    ws = world.fresh_workspace("params")
    bad = world.run(*run_args(world, ws, "--param", "orders_csv=x.csv"))
    assert bad.returncode == 2
    assert (
        "unknown parameter orders_csv; valid names: base_url, customer_id, input_csv" in bad.stderr
    )
    assert "  input_csv    CSV file read by steps 2, 4" in bad.stderr
    for value, message in (("abc", "stands for a JSON number"), ("4 3", "one plain segment")):
        wrong = world.run(*run_args(world, ws, "--param", f"customer_id={value}"))
        assert wrong.returncode == 2 and message in wrong.stderr, wrong.stderr
    quote = world.run(*run_args(world, ws, "--param", "input_csv=x'.csv"))
    assert quote.returncode == 2 and "inside SQL" in quote.stderr


def test_without_approval_the_reads_run_and_the_first_write_is_denied(world: World) -> None:
    ws = world.fresh_workspace("never")
    posts = len(world.posts())
    proc = world.run(*run_args(world, ws, "--approve", "never"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "step 3 was denied" in proc.stderr and proc.stdout.count("as expected") == 2
    assert len(world.posts()) == posts and not (ws / "summary.csv").exists()


def test_dry_run_says_what_it_can_of_any_recipe_and_never_crashes(tmp_path: Path) -> None:
    """Values of every kind a recipe can hold: none reaches json/print as something unprintable."""
    text = (
        '[recipe]\nformat = 2\n\n[[steps]]\ntool = "csv_write"\n[steps.args]\npath = "a.csv"\n'
        'mode = "create"\n[steps.args_json]\nrows = \'[["x","y"],[null,1.5],[true,"\\u202e"]]\'\n\n'
        '[[steps]]\ntool = "csv_query"\n[steps.args]\nsql = "SELECT * FROM \'a.csv\'"\n\n'
        '[[steps]]\ntool = "shell"\n[steps.args]\ncommand = "cat ../outside.bin"\n'
    )
    path = tmp_path / "odd.recipe.toml"
    path.write_text(text)
    env = {
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "recipe", "run", str(path), "--dry-run",
         "--workspace", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "step 1 · WRITE csv_write: create a.csv: 2 rows added" in proc.stdout
    assert "note: it uses a.csv, which step 1 would write first" in proc.stdout
    assert "step 3 · shell: cannot be planned now" in proc.stdout


def test_recipe_commands_do_not_load_litellm(tmp_path: Path) -> None:
    (tmp_path / "r.recipe.toml").write_text("[recipe]\nformat = 2\n")
    code = (
        "import sys\nfrom assistant.cli import main\n"
        f"rc = main(['recipe', 'run', {str(tmp_path / 'r.recipe.toml')!r}, '--dry-run', "
        f"'--workspace', {str(tmp_path)!r}])\n"
        "assert rc == 0, rc\nassert 'litellm' not in sys.modules and 'textual' not in sys.modules\n"
    )
    env = {
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert json.dumps("dry run done: 0 of 0 steps planned")[1:-1] in proc.stdout


def test_fixtures_hold_what_a_shell_command_read_and_a_file_as_it_was_before_an_append(
    fake_llm: llm.FakeLLM, tmp_path: Path, assistant_home: Path
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "names.txt").write_text("b\na\nb\n")
    (ws / "log.csv").write_text("day,n\nmon,1\n")
    env = cli_env(assistant_home, tmp_path)
    with Api() as api:
        fake_llm.queue(
            llm.tool_call("shell", json.dumps({"command": "sort -u names.txt > sorted.txt"})),
            llm.tool_call(
                "csv_write",
                json.dumps(
                    {"path": "log.csv", "mode": "append", "rows": [["day", "n"], ["tue", 2]]}
                ),
            ),
            llm.tool_call(
                "http_request", json.dumps({"url": api.url("/dump"), "save_to": "d.json"})
            ),
            llm.text("ok"),
        )
        proc = assistant(
            env, "run", "tidy up", "--model", fake_llm.model(), "--api-base", fake_llm.base_url,
            "--approve", "all", "--allow-host", api.key, "--workspace", str(ws),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        from assistant.journal import Journal

        with Journal(assistant_home / "data" / "journal.sqlite3") as j:
            sid = j.sessions()[0].id
        recipe, fixtures = tmp_path / "tidy.recipe.toml", tmp_path / "tidy.fixtures"
        args = ["export", sid, "--format", "recipe", "--with-fixtures"]
        made = assistant(env, *args, str(fixtures), "-o", str(recipe))
        assert made.returncode == 0, made.stdout + made.stderr
        assert "2 input files, 1 HTTP response, 3 output files" in made.stderr
        # The input is the file as the session found it, not as it left it.
        assert (fixtures / "inputs" / "log.csv").read_text() == "day,n\nmon,1\n"
        assert (fixtures / "inputs" / "names.txt").read_text() == "b\na\nb\n"
        assert (fixtures / "expected" / "log.csv").read_text() == "day,n\nmon,1\ntue,2\n"
        seen = len(api.seen)
        tested = assistant(env, "recipe", "test", str(recipe))
        assert tested.returncode == 0, tested.stdout + tested.stderr
        assert len(api.seen) == seen
        # An input that changed since the session is caught when fixtures are made.
        (ws / "names.txt").write_text("c\n")
        again = assistant(env, *args, str(tmp_path / "again"), "-o", str(tmp_path / "a.toml"))
        assert again.returncode == 1 and "do not reproduce the session" in again.stderr
        assert "step 1" in again.stderr and not (tmp_path / "again").exists()
        assert not (tmp_path / "a.toml").exists()
        exists = assistant(env, *args, str(fixtures))
        assert exists.returncode == 2 and "exists; pass --force" in exists.stderr
