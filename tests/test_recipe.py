"""Recipes as data: the TOML file a session becomes (a header saying where it came from,
parameters named for their role, one block per step, requests as they were sent), and anything
that is not a valid recipe refused with the line that is wrong, never run."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.agent import events as ev
from assistant.journal import Journal
from assistant.recipes import RecipeError, load, make
from assistant.recipes._fill import call_args, fill_steps
from assistant.recipes._template import TemplateError, escape, fill, fill_json, names_in
from tests.support import fake_llm as llm
from tests.support.recipe_world import POST_BODY, Api, World, assistant, record


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("recipe-world")
    (root / "home").mkdir()
    with llm.FakeLLM() as model, Api() as api:
        yield record(root / "home", root, api, model)


def test_a_session_becomes_toml_data_with_its_origin_roles_and_one_block_per_step(
    world: World,
) -> None:
    path = world.export("pull")
    text = path.read_text()
    doc = tomllib.loads(text)
    assert doc["recipe"]["format"] == 2 and doc["recipe"]["source_session"] == world.session_id
    assert doc["recipe"]["journal_check"] == "intact"
    assert text.startswith(f"# Recipe made from session {world.session_id[:8]} · Summarise")
    assert "never executes anything in it" in text
    params = {name: p["value"] for name, p in doc["params"].items()}
    assert params == {
        "base_url": f"http://{world.api.key}",
        "customer_id": "42",
        "input_csv": "orders.csv",
        "order_id": "6",
        "output_csv": "summary.csv",
    }
    assert doc["params"]["input_csv"]["description"] == "CSV file read by steps 2, 4"
    assert doc["params"]["output_csv"]["description"] == "CSV file written by step 4"
    assert doc["params"]["base_url"]["description"] == "server the requests go to (steps 1, 3)"
    steps = doc["steps"]
    assert [s["tool"] for s in steps] == ["http_request", "csv_query", "http_request", "csv_write"]
    assert text.count("\n[[steps]]\n") == 4  # one block per step
    get, query, post, write = steps
    assert get["args"] == {
        "url": "${base_url}/customers/${customer_id}",
        "headers": {"X-Trace": "t-1", "Authorization": "Bearer {{secret:SHOP}}"},
    }
    assert list(get["args"]["headers"]) == ["X-Trace", "Authorization"]  # as sent
    # The volatile fields are named; the shape is keys and types, not values.
    assert get["expect"]["volatile"] == ["id", "updated_at", "request_id"]
    assert get["expect"]["shape"]["name"] == "string" and get["expect"]["status"] == "2xx"
    assert '# name = "Zed"' in text  # a value a person may choose to require
    assert "FROM '${input_csv}'" in query["args"]["sql"]
    # The JSON body is kept as the text that was sent, in its order; ids are parameters.
    want = POST_BODY.replace(":6,", ":${order_id},").replace(":42,", ":${customer_id},")
    assert post["args_json"]["json"] == want
    assert f"json = '{want}'" in text  # written as a literal string: readable, exact
    assert write["args"]["path"] == "${output_csv}" and write["expect"] == {"ok": True}
    assert write["recorded"] == {"ok": True, "rows_after": 2, "bytes": 29}
    # Nothing in it is code.
    for word in ("import ", "__main__", "def ", "python "):
        assert word not in text


def test_the_recipe_is_the_same_when_made_twice_in_two_processes(world: World) -> None:
    """Two separate `assistant export` processes, each with its own hash seed (so any order that
    comes from hashing, a set's or a dict built from one, differs), write the same bytes."""
    made = []
    for seed in ("1", "2"):
        target = world.root / f"seed-{seed}.recipe.toml"
        args = ("export", world.session_id, "--format", "recipe", "-o", str(target))
        proc = assistant({**world.env, "PYTHONHASHSEED": seed}, *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        made.append(target.read_bytes())
    assert made[0] == made[1]
    steps = tomllib.loads(made[0].decode())["steps"]
    assert len(steps) == 4  # the whole recipe, not two empty files


def test_show_prints_parameters_with_their_descriptions_and_every_step(world: World) -> None:
    path = world.export("shown")
    proc = world.run("recipe", "show", str(path))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "parameters (change with --param NAME=VALUE):" in out
    assert "customer_id  42  · customer id in the requests of steps 1, 3" in out
    assert '3. POST ${base_url}/orders  body {"id":${order_id}' in out
    assert "4. csv_write create ${output_csv} from SELECT" in out
    assert "expects status 2xx, application/json, JSON with 5 keys (3 volatile)" in out


CODE_LIKE = [
    (
        "python-recipe",
        'RECIPE = {"format": 1}\nPARAMS = {}\nSTEPS = []\nimport os; os.system("touch pwned")\n',
        1,
        "looks like Python",
    ),
    ("shebang", "#!/usr/bin/env python3\n[recipe]\nformat = 2\n", 1, "not a script"),
    (
        "utf7-polyglot",
        '# -*- coding: utf-7 -*-\n# +AAo-__import__("os").system("touch pwned")\n'
        "[recipe]\nformat = 2\n",
        1,
        "source-encoding declaration",
    ),
    (
        "step-key",
        '[recipe]\nformat = 2\n\n[[steps]]\ntool = "shell"\nrun = "touch pwned"\n',
        6,
        "unknown key 'run'",
    ),
    (
        "top-level-key",
        "[recipe]\nformat = 2\n[exec]\ncode = \"__import__('os')\"\n",
        3,
        "unknown key 'exec'",
    ),
    (
        "tool-expression",
        "[recipe]\nformat = 2\n[[steps]]\ntool = \"__import__('os').system\"\n",
        4,
        "tool must name a tool",
    ),
    (
        "date-value",
        '[recipe]\nformat = 2\n[[steps]]\ntool = "shell"\n[steps.args]\n'
        "command = 1979-05-27T07:32:00Z\n",
        6,
        "not a JSON value",
    ),
    (
        "inf",
        '[recipe]\nformat = 2\n[[steps]]\ntool = "csv_query"\n\n[steps.args]\nlimit = inf\n',
        7,
        "not a JSON number",
    ),
    (
        "bad-json",
        '[recipe]\nformat = 2\n[[steps]]\ntool = "http_request"\n[steps.args]\nurl = "http://x"\n'
        "[steps.args_json]\njson = '{\"a\": '\n",
        8,
        "not valid JSON",
    ),
    (
        "unknown-placeholder",
        '[recipe]\nformat = 2\n[params.a]\nvalue = "x"\n[[steps]]\ntool = "shell"\n'
        '[steps.args]\ncommand = "ls ${b}"\n',
        8,
        r"\$\{b\} is not a parameter \(the parameters: a\)",
    ),
    ("no-format", "[recipe]\nformat = 1\n", 2, "format = 2"),
]


@pytest.mark.parametrize(
    ("text", "line", "message"), [c[1:] for c in CODE_LIKE], ids=[c[0] for c in CODE_LIKE]
)
def test_anything_that_is_not_a_valid_recipe_is_refused_with_its_line_and_never_run(
    tmp_path: Path, assistant_home: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "evil.recipe.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecipeError, match=rf"line {line}: .*{message}"):
        load(path.read_bytes(), str(path))
    env = {"ASSISTANT_HOME": str(assistant_home), "PYTHONPATH": str(Path(__file__).parents[1])}
    for args in (["run", "--dry-run", "--workspace", str(tmp_path)], ["show"], ["test"]):
        proc = subprocess.run(
            [sys.executable, "-m", "assistant", "recipe", args[0], str(path), *args[1:]],
            capture_output=True, text=True, env={**env, "PATH": "/usr/bin:/bin"}, cwd=tmp_path,
            timeout=60,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert f"evil.recipe.toml, line {line}:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "pwned").exists()


def test_the_utf7_polyglot_would_run_as_python_which_is_why_it_is_refused(tmp_path: Path) -> None:
    """The class is real: the same bytes run code when handed to Python."""
    polyglot = [c for c in CODE_LIKE if c[0] == "utf7-polyglot"][0][1]
    path = tmp_path / "p.recipe.toml"
    path.write_text(polyglot)
    subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, timeout=30)
    assert (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "literal",
    ["plain", "$5 and $$", "${not_a_param}", "a$${b}", "$", "ends with $", "{{secret:X}}"],
)
def test_escaped_literals_read_back_exactly(literal: str) -> None:
    assert fill(escape(literal), {}) == literal
    assert names_in(escape(literal)) == []


def test_a_value_must_fit_where_it_is_used() -> None:
    params = {"f": "it's.csv", "w": "a b", "u": "http://x.test:8080", "id": "4/../x", "n": "43"}
    with pytest.raises(TemplateError, match="inside SQL"):
        fill("SELECT * FROM '${f}'", params, "sql")
    with pytest.raises(TemplateError, match="one plain word"):
        fill("cat ${w}", params, "shell")
    assert fill("${u}/a", params, "url") == "http://x.test:8080/a"
    with pytest.raises(TemplateError, match="one plain segment"):
        fill("${u}/customers/${id}", params, "url")
    # In JSON text a value is escaped inside a string, and must be a number outside one.
    assert fill_json('{"a":"${w}","b":${n}}', params) == '{"a":"a b","b":43}'
    assert fill_json('{"a":"${f}\\"${n}"}', params) == '{"a":"it\'s.csv\\"43"}'
    with pytest.raises(TemplateError, match="JSON number"):
        fill_json('{"b":${w}}', params)
    with pytest.raises(TemplateError, match="JSON number"):
        fill_json('{"b":${id}}', params)
    with pytest.raises(TemplateError, match="not in PARAMS"):
        fill("${zzz}", params)


# -- hand-made sessions --------------------------------------------------------------------------


def _session(tmp_path: Path, actions: list[list[ev.Event]]) -> tuple[Journal, str]:
    j = Journal(tmp_path / "j.sqlite3")
    sid = j.create_session(model=None, workspace=str(tmp_path), title="hand made")
    for events in actions:
        for event in events:
            j.append(sid, event.kind, event.to_json())
    return j, sid


def _proposed(
    aid: str, tool: str, args: dict, targets: list[str], **more: object
) -> ev.ActionProposed:
    fields: dict = {"effect": "read", "summary": f"{tool} call", "preview": {}, "fingerprint": ""}
    fields.update(more)
    return ev.ActionProposed(aid, None, tool, args, targets=targets, **fields)


def _ran(aid: str, data: dict | None = None, ok: bool = True) -> list[ev.Event]:
    return [
        ev.ActionDecided(aid, "approve", "policy:read"),
        ev.ActionApproved(aid, "policy:read"),
        ev.ActionResult(
            aid, ok, "error: disk full" if not ok else "", "disk full", data=data or {}
        ),
    ]


def test_parameters_are_named_for_their_role_servers_files_and_ids(tmp_path: Path) -> None:
    def get(aid: str, url: str, **args: object) -> list[ev.Event]:
        return [
            _proposed(aid, "http_request", {"url": url, **args}, []),
            *_ran(aid, {"status": 200}),
        ]

    def csv(aid: str, tool: str, path: str, **args: object) -> list[ev.Event]:
        return [_proposed(aid, tool, {"path": path, **args}, [f"path:{path}"]), *_ran(aid)]

    j, sid = _session(
        tmp_path,
        [
            get("a1", "https://api.example.com/v1/customers/42/orders?status=open"),
            get("a2", "https://shop.example.org:8443/items", query={"item_id": 7, "page": 2}),
            csv("a3", "csv_read", "in/orders.csv"),
            csv("a4", "csv_read", "prices.csv"),
            csv("a5", "csv_write", "out/summary.csv", mode="create", rows=[["a"], ["1"]]),
            csv("a6", "csv_read", "out/summary.csv"),
            [
                _proposed(
                    "a7", "http_request",
                    {"method": "POST", "url": "https://api.example.com/v1/invoices",
                     "json": {"customerId": 42, "id": "inv_9001", "n": 3}},
                    [],
                ),
                *_ran("a7", {"status": 201}),
            ],
        ],
    )  # fmt: skip
    with j:
        recipe = make(j, sid, redact=lambda x: x).recipe
    assert {n: (p.value, p.description) for n, p in recipe.params.items()} == {
        "api_url": ("https://api.example.com", "server the requests go to (steps 1, 7)"),
        "customer_id": ("42", "customer id in the requests of steps 1, 7"),
        "shop_url": ("https://shop.example.org:8443", "server the requests go to (step 2)"),
        "item_id": ("7", "item id in the requests of step 2"),
        "input_csv": ("in/orders.csv", "CSV file read by step 3"),
        "input_csv_2": ("prices.csv", "CSV file read by step 4"),
        "output_csv": ("out/summary.csv", "CSV file written by step 5 and read by step 6"),
        "invoice_id": ("inv_9001", "invoice id in the requests of step 7"),
    }
    steps = recipe.steps
    assert steps[0].args["url"] == "${api_url}/v1/customers/${customer_id}/orders?status=open"
    assert steps[1].args["query"] == {"item_id": "${item_id}", "page": 2}
    assert steps[6].args_json["json"] == '{"customerId":${customer_id},"id":"${invoice_id}","n":3}'
    # Filled with the recorded values, every call is what the session made.
    values = recipe.defaults
    assert call_args("http_request", steps[6].args, steps[6].args_json, values)["json"] == {
        "customerId": 42, "id": "inv_9001", "n": 3,
    }  # fmt: skip
    assert call_args("http_request", steps[1].args, {}, values)["query"] == {
        "item_id": "7",
        "page": 2,
    }


def test_left_out_and_unknown_outcomes_are_said_and_code_in_text_stays_in_comments(
    tmp_path: Path,
) -> None:
    write = {"path": "a.csv", "mode": "create", "rows": [["x", None], ["1", 2]]}
    sneaky = "ok\nimport os; os.system('x')  # \x1b[2J"
    j, sid = _session(
        tmp_path,
        [
            [
                _proposed("a1", "csv_write", write, ["path:a.csv"], summary=sneaky, effect="write"),
                ev.ActionDecided("a1", "approve", "human"),
                ev.ActionApproved("a1", "human"),
            ],
            [_proposed("a2", "csv_write", write, ["path:a.csv"]), *_ran("a2", ok=False)],
            [
                _proposed("a3", "csv_write", write, ["path:a.csv"]),
                ev.ActionDecided("a3", "deny", "human", "leave it"),
            ],
        ],
    )
    with j:
        made = make(j, sid, redact=lambda x: x)
    text = made.text
    (step,) = made.recipe.steps
    assert step.flag == "outcome unknown" and step.expect == {}
    assert "# FLAGGED: outcome unknown in the source session" in text
    assert "# left out: csv_write csv_write call (failed in the source session: disk full)" in text
    assert "# left out: csv_write csv_write call (denied by the person: leave it)" in text
    assert "# step 1 · WRITE · ok\\nimport os; os.system('x')  # \\x1b[2J · approved by" in text
    assert "\x1b" not in text and "\nimport os" not in text
    # A null cell cannot be TOML: the argument is kept as JSON text and reads back exactly.
    assert step.args_json == {"rows": '[["x",null],["1",2]]'}
    (filled,) = fill_steps(made.recipe, made.recipe.defaults)
    assert filled.args == write


def test_the_json_body_keeps_its_order_when_the_call_came_from_a_person(
    world: World, tmp_path: Path
) -> None:
    """`assistant tool` has no model text to go by: the order comes from the request preview."""
    ws = world.fresh_workspace("tool-ws")
    body = '{"zeta":1,"alpha":{"b":2,"a":[3,{"y":1,"x":2}]},"mid":"ü"}'
    args = '{"method": "POST", "url": "' + world.api.url("/orders") + '", "json": ' + body + "}"
    before = len(world.posts())
    proc = world.run(
        "tool", "http_request", args, "--approve", "all", "--allow-host", world.api.key,
        "--workspace", str(ws),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert world.posts()[before] == body.encode()
    with world.journal() as j:
        sid = j.sessions()[0].id
        made = make(j, sid)
    (step,) = made.recipe.steps
    assert step.args_json["json"] == body
    proc = world.run(
        "recipe", "run", str(_write(tmp_path, made.text)), "--approve", "all",
        "--allow-host", world.api.key, "--workspace", str(ws),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert world.posts()[-1] == body.encode()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "one.recipe.toml"
    path.write_text(text)
    return path


def test_headers_and_query_go_out_in_their_recorded_order(tmp_path: Path) -> None:
    preview = {
        "data": {
            "headers": [["X-Zed", "1"], ["Accept", "text/csv"], ["B", "{{secret:K}}"]],
            "query": [["z", "1"], ["a", "2"]],
        }
    }
    args = {
        "url": "http://127.0.0.1:9/x",
        "headers": {"Accept": "text/csv", "B": "{{secret:K}}", "X-Zed": "1"},
    }
    args["query"] = {"a": 2, "z": 1}  # type: ignore[assignment]
    j, sid = _session(
        tmp_path, [[_proposed("h1", "http_request", args, [], preview=preview), *_ran("h1")]]
    )
    with j:
        (step,) = make(j, sid, redact=lambda x: x).recipe.steps
    assert list(step.args["headers"]) == ["X-Zed", "Accept", "B"]
    assert step.args["headers"]["B"] == "{{secret:K}}"  # a secret stays a handle
    assert list(step.args["query"]) == ["z", "a"]


def test_live_steps_and_expectations_are_checked_on_reading(tmp_path: Path) -> None:
    text = (
        '[recipe]\nformat = 2\n[params.input_csv]\nvalue = "a.csv"\n\n[[steps]]\nkind = "live"\n'
        'prompt = "Map the columns of ${input_csv}"\ntools = ["csv_read", "csv_write"]\n'
        'max_calls = 3\nconfirm = "always"\n[steps.expect]\nfile = "out.csv"\ncolumns = ["a"]\n'
    )
    (step,) = load(text).steps
    assert (step.kind, step.tools, step.max_calls, step.confirm) == (
        "live", ("csv_read", "csv_write"), 3, "always",
    )  # fmt: skip
    bad = [
        (text.replace("max_calls = 3", "max_calls = 500"), "line 10: max_calls must be"),
        (text.replace('confirm = "always"', 'confirm = "sometimes"'), "line 11: step 1: confirm"),
        (text.replace('tools = ["csv_read", "csv_write"]', "tools = []"), "line 9: step 1: tools"),
        (text.replace("columns", "rows_after"), "line 14: expect has an unknown key 'rows_after'"),
        (
            text.replace('kind = "live"\n', 'kind = "live"\ntool = "x"\n'),
            "line 8: step 1 .live. has",
        ),
    ]
    for wrong, message in bad:
        with pytest.raises(RecipeError, match=message):
            load(wrong)
    assert json.loads(json.dumps(step.expect)) == {"file": "out.csv", "columns": ["a"]}
