"""Making recipes from sessions, and reading them back as data: parameters, placeholders,
left-out and flagged actions, and files that try to be code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.journal import Journal
from assistant.recipes import RecipeError, load, make_recipe
from assistant.recipes._template import TemplateError, escape, fill, names_in
from tests.test_export_session import (
    Source,
    source_fixture,  # noqa: F401 (the "source" fixture)
)


def recipe_of(src: Source) -> str:
    with src.journal() as j:
        return make_recipe(j, src.session_id)


async def test_a_recipe_holds_the_approved_actions_in_order_with_named_parameters(
    source: Source,
) -> None:
    text = recipe_of(source)
    compile(text, "recipe.py", "exec")  # a valid Python script
    recipe = load(text)
    port = source.server.port
    assert recipe.params == {
        "base_url": f"http://127.0.0.1:{port}",
        "orders_csv": "orders.csv",
        "summary_csv": "summary.csv",
    }
    assert [s.tool for s in recipe.steps] == ["http_request", "csv_query", "csv_write"]
    get, query, write = recipe.steps
    assert get.args["url"] == "${base_url}/rates.json"
    assert get.args["headers"] == {"Authorization": "Bearer {{secret:SHOP}}"}  # a handle stays one
    assert get.expect is not None and get.expect["status"] == 200
    assert "FROM '${orders_csv}'" in query.args["sql"] and query.expect["rows"] == 2  # type: ignore[index]
    assert write.args["path"] == "${summary_csv}" and write.args["mode"] == "create"
    assert write.expect == {"ok": True, "rows_after": 2, "bytes": 31}
    assert recipe.info["source_session"] == source.session_id
    # The denied write is left out, and says so.
    assert "# left out: csv_write overwrite orders.csv" in text
    assert "denied by the person: leave the input alone" in text
    assert f"Made from session {source.session_id}" in ast.get_docstring(ast.parse(text))  # type: ignore[operator]


async def test_making_a_recipe_is_deterministic(source: Source) -> None:
    assert recipe_of(source) == recipe_of(source)


def _session(
    tmp_path: Path, actions: list[tuple[str, dict, list[tuple[str, dict]]]]
) -> tuple[Journal, str]:
    j = Journal(tmp_path / "j.sqlite3")
    sid = j.create_session(model=None, workspace=str(tmp_path), title="hand made")
    for action_id, proposed, later in actions:
        base = {
            "action_id": action_id,
            "call_id": None,
            "effect": "write",
            "preview": {},
            "fingerprint": "",
        }
        j.append(sid, "action.proposed", {**base, **proposed})
        for kind, payload in later:
            j.append(sid, kind, {"action_id": action_id, **payload})
    return j, sid


def test_unknown_outcomes_are_flagged_and_failures_left_out(tmp_path: Path) -> None:
    write = {"tool": "csv_write", "args": {"path": "a.csv", "mode": "create", "rows": [["x"]]}}
    write["targets"] = ["path:a.csv"]  # type: ignore[assignment]
    approved = [
        ("action.decided", {"verdict": "approve", "by": "human"}),
        ("action.approved", {"by": "human"}),
    ]
    failed = [
        *approved,
        ("action.result", {"ok": False, "output": "error: disk full", "display": "disk full"}),
    ]
    sneaky = {**write, "summary": "ok\nimport os; os.system('x')  # \x1b[2J"}
    j, sid = _session(tmp_path, [("a1", sneaky, approved), ("a2", write, failed)])
    with j:
        text = make_recipe(j, sid, redact=lambda x: x)
    recipe = load(text)
    (step,) = recipe.steps
    assert step.flag == "outcome unknown" and step.expect is None
    assert "# FLAGGED: outcome unknown in the source session" in text
    assert "# left out: csv_write" in text and "failed in the source session: disk full" in text
    # Untrusted text in a comment stays on its comment line, escaped.
    assert "\n    # step 1: ok\\nimport os; os.system('x')  # \\x1b[2J" in text
    assert "\x1b" not in text


def test_several_servers_and_same_named_files_get_distinct_names(tmp_path: Path) -> None:
    done = [
        ("action.decided", {"verdict": "approve", "by": "policy:read"}),
        ("action.approved", {"by": "policy:read"}),
        ("action.result", {"ok": True, "output": "", "data": {"status": 200}}),
    ]

    def get(url: str) -> dict:
        return {"tool": "http_request", "args": {"url": url}, "targets": []}

    def shell(command: str) -> dict:
        written = command.rsplit(">", 1)[1].strip(" '")
        return {"tool": "shell", "args": {"command": command}, "targets": [f"path:{written}"]}

    def read(path: str) -> dict:
        return {"tool": "csv_read", "args": {"path": path}, "targets": [f"path:{path}"]}

    j, sid = _session(
        tmp_path,
        [
            ("b1", get("https://api.example.com/v1/orders?day=$today"), done),
            ("b2", get("https://shop.example.org:8443/items"), done),
            ("b3", read("orders.csv"), done),
            ("b4", read("./data/orders.csv"), done),
            ("b5", shell("sort -u orders.csv > 'sorted.csv'"), done),
            ("b6", shell("sort orders.csv >out.txt"), done),
            (
                "b7",
                {
                    **get("https://api.example.com/dump"),
                    "args": {"url": "https://api.example.com/dump", "save_to": "dump.json"},
                },
                done,
            ),
        ],
    )
    with j:
        recipe = load(make_recipe(j, sid, redact=lambda x: x))
    assert recipe.params == {
        "api_url": "https://api.example.com",
        "shop_url": "https://shop.example.org:8443",
        "orders_csv": "orders.csv",
        "data_orders_csv": "data/orders.csv",
        "out_txt": "out.txt",
        "dump_json": "dump.json",
    }
    # A quoted word stays as written (and makes no parameter); a bare one follows its parameter.
    assert recipe.steps[4].args["command"] == "sort -u orders.csv > 'sorted.csv'"
    assert recipe.steps[5].args["command"] == "sort orders.csv >${out_txt}"
    assert recipe.steps[6].args == {"url": "${api_url}/dump", "save_to": "${dump_json}"}
    assert recipe.steps[0].args["url"] == "${api_url}/v1/orders?day=$today"
    assert fill(recipe.steps[0].args["url"], recipe.params, "url") == (
        "https://api.example.com/v1/orders?day=$today"
    )


@pytest.mark.parametrize(
    "body",
    [
        'PARAMS = __import__("os").system("touch pwned")',
        "import os",
        "print('hi')",
        'if __name__ == "__main__":\n    import os\n    os.system("touch pwned")',
        "PARAMS = {}\nPARAMS = {}",
        "def f():\n    pass",
    ],
    ids=["call", "import", "expression", "other-footer", "twice", "function"],
)
def test_a_recipe_that_holds_code_is_refused_and_never_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    monkeypatch.chdir(tmp_path)
    text = 'RECIPE = {"format": 1}\nSTEPS = []\n' + body + "\nPARAMS = {}\n"
    with pytest.raises(RecipeError, match=r"line \d+"):
        load(text)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RECIPE = {'format': 1}\nPARAMS = {}\n", "no STEPS"),
        ("RECIPE = {'format': 2}\nPARAMS = {}\nSTEPS = []\n", "format"),
        ("RECIPE = {'format': 1}\nPARAMS = {'Bad-Name': 'x'}\nSTEPS = []\n", "parameter name"),
        ("RECIPE = {'format': 1}\nPARAMS = {'a': 'x\\x1b'}\nSTEPS = []\n", "control"),
        (
            "RECIPE = {'format': 1}\nPARAMS = {}\nSTEPS = [{'tool': 'shell', 'args': {'command': 'ls ${nope}'}}]\n",
            r"\$\{nope\} is not in PARAMS",
        ),
        (
            "RECIPE = {'format': 1}\nPARAMS = {}\nSTEPS = [{'tool': 'shell', 'args': {}, 'run': 'x'}]\n",
            "unknown key",
        ),
        (
            "RECIPE = {'format': 1}\nPARAMS = {}\nSTEPS = [{'tool': 'shell', 'args': {}, 'expect': {'x': 1}}]\n",
            "expect may only",
        ),
        ("RECIPE = {'format': 1\n", "not valid Python"),
    ],
)
def test_malformed_recipes_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        load(text)


@pytest.mark.parametrize(
    "literal",
    ["plain", "$5 and $$", "${not_a_param}", "a$${b}", "$", "ends with $", "{{secret:X}}"],
)
def test_escaped_literals_read_back_exactly(literal: str) -> None:
    assert fill(escape(literal), {}) == literal
    assert names_in(escape(literal)) == []


def test_a_value_must_fit_where_it_is_used() -> None:
    params = {"f": "it's.csv", "w": "a b", "u": "http://x.test:8080", "bad": "http://u@x.test"}
    with pytest.raises(TemplateError, match="inside SQL"):
        fill("SELECT * FROM '${f}'", params, "sql")
    with pytest.raises(TemplateError, match="one plain word"):
        fill("cat ${w}", params, "shell")
    assert fill("${u}/a", params, "url") == "http://x.test:8080/a"
    with pytest.raises(TemplateError, match="origin"):
        fill("${bad}/a", params, "url")
    with pytest.raises(TemplateError, match="not in PARAMS"):
        fill("${zzz}", params)
    with pytest.raises(TemplateError, match="not a parameter name"):
        names_in("${Bad Name}")
