"""Hosts a person unlocks are session permissions like any grant: said when asked, listed by
/grants and in --json events, revocable (the next request asks again)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from assistant.agent.approval import Decision
from assistant.agent.event_log import EventLog
from assistant.agent.gate import Gate, unlock_notice
from assistant.agent.policy import Policy
from tests.support.approvers import ScriptedApprover
from tests.support.gate_store import ListStore
from tests.support.http_servers import LoopbackServer, NetworkGuard, make_tool
from tests.support.pilot import AppOpener, events, pending, send, wait_for
from tests.support.pty import run_in_pty
from tests.support.textdump import screen_text
from tools.base import Action, Effect, Preview, Result, ToolContext, Unlock
from tools.workspace import Workspace


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    import socket

    monkeypatch.setattr(socket, "create_connection", NetworkGuard())
    with LoopbackServer() as server:
        yield server


def http_gate(ws: Path, approver: ScriptedApprover, dns: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    tool, _ = make_tool(dns)
    store = ListStore()
    ctx = ToolContext(workspace=Workspace(ws))
    return Gate({tool.name: tool}, ctx, Policy(), approver, EventLog(store, "s1")), store


def get(url: str) -> str:
    return json.dumps({"method": "GET", "url": url})


async def test_a_loopback_unlock_is_said_listed_and_revocable(
    api: LoopbackServer, workspace_dir: Path
) -> None:
    approver = ScriptedApprover(lambda a: Decision("approve"))
    gate, store = http_gate(workspace_dir, approver)
    first = await gate.execute("http_request", get(api.url("/a")), "c1")
    assert first.status == "done"
    asked = unlock_notice(gate.tools["http_request"], approver.seen[0]) or ""
    assert "Approving also unlocks it" in asked
    assert f"{api.key}, a loopback/private address" in asked
    (proposed,) = [p for k, p in store.events if k == "action.proposed"]
    assert proposed["unlocks"] == asked
    (unlocked,) = [p for k, p in store.events if k == "host.unlocked"]
    assert unlocked["host"] == api.key and unlocked["private"] is True
    assert unlocked["unlock_id"] == "h1" and "GET, HEAD and OPTIONS" in unlocked["label"]
    assert "requests that write still ask" in unlocked["label"]
    # what the label says: a GET runs without asking now
    second = await gate.execute("http_request", get(api.url("/b")), "c2")
    assert second.status == "done" and len(approver.seen) == 1
    # ...and a POST still asks
    post = json.dumps({"method": "POST", "url": api.url("/c"), "json": {}})
    approver.answers = lambda a: Decision("deny", reason="not now")
    assert (await gate.execute("http_request", post, "c3")).status == "denied"
    assert len(approver.seen) == 2
    assert [u.id for u in gate.policy.unlocks.values()] == ["h1"]
    gate.revoke("h1")
    assert ("grant.revoked", {"grant_id": "h1"}) in store.events
    assert gate.policy.unlocks == {} and gate.ctx.unlocked(f"host:{api.key}") is None
    third = await gate.execute("http_request", get(api.url("/d")), "c4")
    assert third.status == "denied" and approver.seen[-1].needs_person  # asked by name again
    assert [s.path for s in api.seen] == ["/a", "/b"]
    with pytest.raises(KeyError, match="no session rule 'h1'"):
        gate.revoke("h1")


class EgressTool:
    """Reads from a named public host: an egress until an approval unlocks it, as http_request
    is; the gate records what ``unlocks`` says and knows nothing of hosts."""

    name = "fetch"
    description = "fetch"
    parameters: Mapping[str, Any] = {"type": "object"}

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        key = "api.example.test:443"
        effect = Effect.READ if ctx.unlocked(f"host:{key}") else Effect.EGRESS
        return Action(
            self.name, dict(args), effect, f"GET {key}", Preview("text", ""), (f"host:{key}",)
        )

    def run(self, action: Action, ctx: ToolContext) -> Result:
        return Result(True, "ok")

    def unlocks(self, action: Action, by: str) -> tuple[Unlock, ...]:
        key = action.targets[0].removeprefix("host:")
        return (Unlock(action.targets[0], key, f"reads from {key}"),)


async def test_an_approved_egress_unlocks_reads_and_says_so(workspace_dir: Path) -> None:
    approver = ScriptedApprover(lambda a: Decision("approve"))
    store = ListStore()
    gate = Gate(
        {"fetch": EgressTool()},
        ToolContext(workspace=Workspace(workspace_dir)),
        Policy(),
        approver,
        EventLog(store, "s1"),
    )
    await gate.execute("fetch", "{}")
    await gate.execute("fetch", "{}")
    assert len(approver.seen) == 1
    (unlocked,) = [p for k, p in store.events if k == "host.unlocked"]
    assert unlocked["private"] is False and unlocked["host"] == "api.example.test:443"
    gate.revoke(unlocked["unlock_id"])
    await gate.execute("fetch", "{}")
    assert len(approver.seen) == 2  # asked again after the revocation


async def test_a_get_grant_label_names_method_host_and_port(workspace_dir: Path) -> None:
    seen: list[str] = []

    def look(action: Action) -> Decision:
        assert action.scope is not None
        seen.append(action.scope.label)
        return Decision("deny")

    gate, _ = http_gate(
        workspace_dir, ScriptedApprover(look), {"api.example.test": ["93.184.216.34"]}
    )
    await gate.execute("http_request", get("https://api.example.test/v1/items?x=1"))
    await gate.execute("http_request", get("http://api.example.test:8080/"))
    assert "GET" in seen[0] and "api.example.test:443" in seen[0]
    assert "GET" in seen[1] and "api.example.test:8080" in seen[1]


def test_the_unlock_is_a_json_event_and_the_console_says_what_it_covers(
    api: LoopbackServer, assistant_home: Path, workspace_dir: Path
) -> None:
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(assistant_home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    args = ["tool", "http_request", get(api.url("/x")), "--workspace", str(workspace_dir)]
    rc, screen = run_in_pty([*args, "--json"], ["y"], env)
    assert rc == 0, screen
    assert "Approving also unlocks it" in screen
    lines = [json.loads(line) for line in screen.splitlines() if line.startswith('{"kind"')]
    unlocked = [e for e in lines if e["kind"] == "host.unlocked"]
    assert unlocked and unlocked[0]["host"] == api.key and unlocked[0]["private"] is True


async def test_grants_in_the_app_lists_and_revokes_an_unlocked_host(
    api: LoopbackServer, open_app: AppOpener
) -> None:
    async with open_app() as pilot:
        app = pilot.app
        await send(pilot, f"/http GET {api.url('/one')}")
        await pending(pilot)
        assert "Approving also unlocks it" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: [s.path for s in api.seen] == ["/one"], "the request")
        await send(pilot, "/grants")
        await wait_for(pilot, lambda: "h1  GET, HEAD and OPTIONS" in screen_text(app), "listing")
        assert api.key in screen_text(app)
        await send(pilot, "/grants revoke h1")
        await wait_for(pilot, lambda: "unlock h1 revoked" in screen_text(app), "revocation")
        assert ("grant.revoked", {"grant_id": "h1"}) in events(app)
        assert any(k == "host.unlocked" for k, _ in events(app))
        await send(pilot, f"/http GET {api.url('/two')}")
        await pending(pilot)  # asks again, by name
        await send(pilot, "/grants")
        await wait_for(pilot, lambda: "no session rules or unlocked hosts" in screen_text(app), "")
    assert [s.path for s in api.seen] == ["/one"]
