"""The source session the export, import and recipe tests share, made the way a person makes one:
the fake model (through litellm) calls the real tools via the real gate, a person's scripted
answers approve or deny, and everything lands in the real journal.

The session: GET rates.json from a loopback server (with a secret handle), a CSV query, a
csv_write the person denies, a csv_write create they approve, and an answer full of terminal
control sequences and backticks.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant import config
from assistant.agent.approval import Decision
from assistant.journal import Journal
from assistant.secrets import SecretStore, reset_redactor
from tests.support import fake_llm as llm
from tests.support.approvers import ScriptedApprover
from tests.support.cli import subprocess_env
from tests.support.http_servers import LoopbackServer, Reply, Seen

ROOT = Path(__file__).resolve().parents[2]


CANARY = "canary-5f1e0c2a-never-export-me"


ORDERS = "region,amount\nnorth,10\nsouth,20\nnorth,5\n"


QUERY = "SELECT region, sum(amount) AS total FROM 'orders.csv' GROUP BY region ORDER BY region"


NASTY = "Done \x1b[2J\x1b]0;pwned\x07 \u202egnp.exe ```` </pre><script>alert(1)</script>"


PROMPT = "Summarise orders.csv by region \x1b[31mplease\x1b[0m and fetch today's rates"


@dataclass
class Source:
    """A recorded session and the world it ran in."""

    session_id: str
    journal_path: Path
    workspace: Path
    server: LoopbackServer

    def journal(self) -> Journal:
        return Journal(self.journal_path)

    def fresh_workspace(self, root: Path, name: str = "ws2") -> Path:
        """A new folder holding the same inputs the session started from."""
        ws = root / name
        ws.mkdir()
        (ws / "orders.csv").write_text(ORDERS)
        return ws


def rates(seen: Seen) -> Reply:
    return Reply(200, [("Content-Type", "application/json")], b'{"eur": 1.1, "usd": 1.0}')


def store_secret(home: Path, api: LoopbackServer) -> None:
    """SHOP, bound to the loopback API (a binding names scheme, host and port), in the keyring
    the test process uses."""
    config.set_secret_hosts("SHOP", [f"http://{api.key}"])
    SecretStore().set("SHOP", CANARY)
    reset_redactor()


def decide(action: object) -> Decision:
    path = getattr(action, "args", {}).get("path")
    if path == "orders.csv":
        return Decision("deny", reason="leave the input alone")
    return Decision("approve")


async def record_session(
    server: llm.FakeLLM, api: LoopbackServer, workspace: Path, home: Path
) -> str:
    """Run one turn of the scripted model; returns the session id."""
    from assistant.agent.loop import Agent
    from assistant.agent.model import Model
    from assistant.runtime import start_session
    from tools import builtin_tools

    (workspace / "orders.csv").write_text(ORDERS)
    store_secret(home, api)
    get = {"url": api.url("/rates.json"), "headers": {"Authorization": "Bearer {{secret:SHOP}}"}}
    clobber = {"path": "orders.csv", "mode": "overwrite", "rows": [["region", "amount"]]}
    create = {"path": "summary.csv", "mode": "create", "sql": QUERY}
    server.queue(
        llm.tool_calls(
            [("http_request", json.dumps(get)), ("csv_query", json.dumps({"sql": QUERY}))]
        ),
        llm.tool_call("csv_write", json.dumps(clobber), text="Clearing the input first."),
        llm.tool_call("csv_write", json.dumps(create)),
        llm.text(NASTY, chunks=3),
    )
    rt = start_session(
        config.load(),
        approver=ScriptedApprover(decide),
        tools=builtin_tools(),
        workspace=workspace,
        allow_hosts=[api.key],
        model=server.model(),
    )
    model = Model(server.model(), api_base=server.base_url, api_key="sk-test")
    try:
        outcome = await Agent(model, rt.gate, rt.log).turn(PROMPT)
    finally:
        rt.journal.close()
    assert outcome.reason == "done", outcome
    return rt.session_id


@pytest.fixture(name="source")
async def source_fixture(
    fake_llm: llm.FakeLLM, workspace_dir: Path, assistant_home: Path
) -> AsyncIterator[Source]:
    """A recorded session; its loopback API keeps serving for the test's recipe runs."""
    reset_redactor()
    with LoopbackServer() as api:
        api.routes["/rates.json"] = rates
        sid = await record_session(fake_llm, api, workspace_dir, assistant_home)
        yield Source(sid, assistant_home / "data" / "journal.sqlite3", workspace_dir, api)
    reset_redactor()


def cli_env(home: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of an `assistant` subprocess: the test's home, no model, and a keyring
    file (shared between processes) that holds the same secret."""
    import keyring

    keyring_file = tmp_path / "keyring.json"
    entries = {"live-assistant\x00SHOP": CANARY}
    # One person's keyring serves all their processes: the journal keys this test's process
    # made (in its in-memory keyring) are in the subprocess's keyring too.
    for (service, user), value in getattr(keyring.get_keyring(), "store", {}).items():
        entries.setdefault(f"{service}\x00{user}", value)
    keyring_file.write_text(json.dumps(entries))
    return subprocess_env(home, keyring_file)
