"""The world the recipe tests share: a loopback shop API whose answers carry volatile fields
(timestamps, request ids), an orders CSV, and a source session recorded the way a person makes
one: `assistant run` with the scripted fake model, through the real gate, tools and journal.

The session: GET a customer (volatile fields), a CSV query, a POST of a JSON body whose keys
are not in sorted order, and a csv_write of a summary. Every request the API gets is kept in
``Api.seen`` so a test can compare bytes on the wire.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import fake_llm as llm
from tests.support.cli import assistant, subprocess_env
from tests.support.http_servers import LoopbackServer, Reply, Seen

ROOT = Path(__file__).resolve().parents[2]
ORDERS = "id,customer_id,amount\n1,42,10\n2,7,20\n3,42,5\n"
CHANGED_ORDERS = "id,customer_id,amount\n1,42,10\n2,7,20\n3,42,5\n4,43,8\n5,43,30\n"
QUERY = "SELECT customer_id, sum(amount) AS total FROM 'orders.csv' GROUP BY customer_id ORDER BY customer_id"
POST_BODY = '{"id":6,"customer_id":42,"total":15,"note":"ünïcode & <tags>"}'
"""The JSON body as the model wrote it: keys deliberately not in sorted order."""
SUMMARY = b"customer_id,total\n7,20\n42,15\n"
CANARY = "canary-7d1e5a90-recipe-never-writes-me"
"""The value of secret SHOP: sent to the API as a header, never written anywhere."""

_counter = itertools.count(1)


def _customer(seen: Seen) -> Reply:
    n = next(_counter)
    cid = int(seen.path.split("?")[0].rstrip("/").rsplit("/", 1)[1])
    body = {
        "id": cid,
        "name": {42: "Zed", 43: "Amy"}.get(cid, "?"),
        "tier": "gold",
        "updated_at": f"2025-01-0{1 + n % 9}T10:{n % 60:02d}:00Z",
        "request_id": f"req-{n:06d}",
    }
    return Reply(200, [("Content-Type", "application/json")], json.dumps(body).encode())


def _orders(seen: Seen) -> Reply:
    n = next(_counter)
    sent = json.loads(seen.body or b"{}")
    body = {
        "id": sent.get("id"),
        "status": "created",
        "created_at": f"2025-02-01T00:00:{n % 60:02d}Z",
    }
    return Reply(201, [("Content-Type", "application/json")], json.dumps(body).encode())


class Api(LoopbackServer):
    """The shop: /customers/<id> (GET) and /orders (POST); anything else echoes."""

    def __init__(self) -> None:
        super().__init__()
        self.routes["/orders"] = _orders

    def __enter__(self) -> Api:
        super().__enter__()
        return self

    def route_customers(self) -> None:
        for cid in (42, 43, 7):
            self.routes[f"/customers/{cid}"] = _customer


def script(server: llm.FakeLLM, api: Api) -> None:
    """Queue the model's side of the source session."""
    api.route_customers()
    get = (
        '{"url": "' + api.url("/customers/42") + '", '
        '"headers": {"X-Trace": "t-1", "Authorization": "Bearer {{secret:SHOP}}"}}'
    )
    post = '{"method": "POST", "url": "' + api.url("/orders") + '", "json": ' + POST_BODY + "}"
    write = json.dumps({"path": "summary.csv", "mode": "create", "sql": QUERY})
    server.queue(
        llm.tool_calls([("http_request", get), ("csv_query", json.dumps({"sql": QUERY}))]),
        llm.tool_call("http_request", post, text="Recording the order."),
        llm.tool_call("csv_write", write),
        llm.text("Done: customer 42 has 15 in orders; the summary is in summary.csv."),
    )


def cli_env(home: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an `assistant` subprocess: this test's home, no provider keys."""
    return subprocess_env(home, tmp_path / "keyring.json", **extra)


@dataclass
class World:
    """A recorded source session and what it ran against."""

    home: Path
    root: Path
    workspace: Path
    api: Api
    env: dict[str, str]
    session_id: str

    def fresh_workspace(self, name: str, orders: str = ORDERS) -> Path:
        ws = self.root / name
        ws.mkdir()
        (ws / "orders.csv").write_text(orders)
        return ws

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return assistant(self.env, *args, stdin=stdin)

    def posts(self) -> list[bytes]:
        return [s.body for s in self.api.seen if s.method == "POST"]

    def export(self, name: str, *extra: str) -> Path:
        """`assistant export SESSION --format recipe -o ROOT/NAME.recipe.toml EXTRA...`."""
        target = self.root / f"{name}.recipe.toml"
        proc = self.run("export", self.session_id, "--format", "recipe", "-o", str(target), *extra)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return target

    def journal(self) -> Any:
        from assistant.journal import Journal

        return Journal(self.home / "data" / "journal.sqlite3")

    def sessions(self) -> list[Any]:
        with self.journal() as j:
            return j.sessions()


def record(home: Path, root: Path, api: Api, model: llm.FakeLLM) -> World:
    """Record the source session through `assistant run`, the way a person would."""
    ws = root / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "orders.csv").write_text(ORDERS)
    env = cli_env(home, root)
    keys = assistant(env, "keys", "set", "SHOP", "--host", f"http://{api.key}", stdin=CANARY)
    assert keys.returncode == 0, keys.stderr
    script(model, api)
    proc = assistant(
        env, "run", "Summarise orders for customer 42, record the order, write a summary",
        "--model", model.model(), "--api-base", model.base_url, "--approve", "all",
        "--allow-host", api.key, "--workspace", str(ws),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    world = World(home, root, ws, api, env, "")
    (session,) = world.sessions()
    world.session_id = session.id
    return world
