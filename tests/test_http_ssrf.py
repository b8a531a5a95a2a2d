"""SSRF: every local, private or tricky target is refused unless explicitly allowed, against real
loopback servers that would answer if a check failed; nothing but loopback is ever contacted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import http_servers
from tests.support.http_servers import (
    FakeDNS,
    LoopbackServer,
    NetworkGuard,
    Reply,
    Route,
    approve_host,
    make_ctx,
    make_tool,
    set_allow_hosts,
)
from tools.base import Effect, StaleActionError, ToolError
from tools.http_request import HttpRequestTool

# fixtures from the support module, bound here so pytest finds them
net_guard = http_servers.net_guard
http_server = http_servers.http_server

PUBLIC = "93.184.216.34"
"""A public address; the network guard refuses to connect to it, so tests never send it a packet."""

DNS = {
    "metadata.google.internal": ["169.254.169.254"],
    "internal.test": ["127.0.0.1"],
    "mixed.test": [PUBLIC, "127.0.0.1"],
    "v6local.test": ["::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "tenten.test": ["10.10.10.10"],
}

# (URL host as written, the host:port key's host, which server it would reach: "v4", "v6" or None)
PRIVATE_FORMS = [
    ("localhost", "localhost", "v4"),
    ("LOCALHOST", "localhost", "v4"),
    ("localhost.", "localhost", "v4"),
    ("127.0.0.1", "127.0.0.1", "v4"),
    ("127.0.0.1.", "127.0.0.1", "v4"),
    ("127.1", "127.1", "v4"),
    ("2130706433", "2130706433", "v4"),
    ("0x7f000001", "0x7f000001", "v4"),
    ("0x7f.1", "0x7f.1", "v4"),
    ("0x7f.0.0.1", "0x7f.0.0.1", "v4"),
    ("017700000001", "017700000001", "v4"),
    ("0", "0", "v4"),
    ("0.0.0.0", "0.0.0.0", "v4"),
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "v4"),
    ("[::ffff:7f00:1]", "::ffff:7f00:1", "v4"),
    ("[0:0:0:0:0:ffff:127.0.0.1]", "0:0:0:0:0:ffff:127.0.0.1", "v4"),
    ("[::FFFF:127.0.0.1]", "::ffff:127.0.0.1", "v4"),
    ("internal.test", "internal.test", "v4"),
    ("mapped.test", "mapped.test", "v4"),
    ("mixed.test", "mixed.test", "v4"),
    ("[::1]", "::1", "v6"),
    ("[0:0:0:0:0:0:0:1]", "0:0:0:0:0:0:0:1", "v6"),
    ("v6local.test", "v6local.test", "v6"),
    ("127.255.255.254", "127.255.255.254", None),
    ("[::ffff:0:7f00:1]", "::ffff:0:7f00:1", None),
    ("[64:ff9b::7f00:1]", "64:ff9b::7f00:1", None),
    ("[64:ff9b::a00:1]", "64:ff9b::a00:1", None),
    ("[2002:7f00:1::]", "2002:7f00:1::", None),
    ("[::127.0.0.1]", "::127.0.0.1", None),
    ("[::]", "::", None),
    ("10.0.0.1", "10.0.0.1", None),
    ("172.16.0.1", "172.16.0.1", None),
    ("192.168.1.1", "192.168.1.1", None),
    ("100.64.0.1", "100.64.0.1", None),
    ("169.254.169.254", "169.254.169.254", None),
    ("metadata.google.internal", "metadata.google.internal", None),
    ("168.63.129.16", "168.63.129.16", None),
    ("100.100.100.200", "100.100.100.200", None),
    ("[fd00:ec2::254]", "fd00:ec2::254", None),
    ("[fe80::1]", "fe80::1", None),
    ("[fc00::1]", "fc00::1", None),
    ("224.0.0.1", "224.0.0.1", None),
    ("[ff02::1]", "ff02::1", None),
    ("255.255.255.255", "255.255.255.255", None),
    ("198.18.0.1", "198.18.0.1", None),
    ("tenten.test", "tenten.test", None),
]


def redirect_to(location: str) -> Route:
    return lambda seen: Reply(302, [("Location", location)])


@pytest.fixture
def v6server(net_guard: NetworkGuard) -> Iterator[LoopbackServer]:
    try:
        srv = LoopbackServer("::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with srv:
        yield srv


def _server_for(kind: str | None, request: pytest.FixtureRequest) -> LoopbackServer:
    """The server a form would reach once allowed: the IPv6 one for IPv6 forms (skipped where
    the machine has no IPv6 loopback). Refusals need no server of their family: nothing is
    sent, which the network guard checks, so they use the IPv4 one and never skip."""
    name = "v6server" if kind == "v6" else "http_server"
    srv = request.getfixturevalue(name)
    assert isinstance(srv, LoopbackServer)
    return srv


NAMES = {"internal.test", "mapped.test", "mixed.test", "v6local.test", "metadata.google.internal"}
NAMES |= {"tenten.test"}
"""Forms that are names: only a lookup says where they point, and none happens while planning."""
KNOWN_FORMS = [f for f in PRIVATE_FORMS if f[0] not in NAMES]
NAME_FORMS = [f for f in PRIVATE_FORMS if f[0] in NAMES]


@pytest.mark.parametrize(
    ("host", "key_host", "reaches"), KNOWN_FORMS, ids=[f[0] for f in KNOWN_FORMS]
)
def test_private_form_needs_a_person_and_is_refused_without_one(
    host: str,
    key_host: str,
    reaches: str | None,
    workspace_dir: Path,
    http_server: LoopbackServer,
    net_guard: NetworkGuard,
) -> None:
    """IP literals in every spelling and localhost are known without a lookup."""
    srv = http_server  # refused before sending: no server of its family needed
    port = srv.port
    key = f"{key_host}:{port}"
    tool, dns = make_tool(DNS)
    # a blanket approval earlier in the session unlocked the host: that must not help
    ctx = make_ctx(workspace_dir, unlocked_hosts={key})
    action = tool.plan({"url": f"http://{host}:{port}/secret"}, ctx)

    assert action.needs_person is not None
    assert action.needs_person.startswith(f"{key} resolves to private address ")
    assert action.effect is Effect.EGRESS  # never a read, whatever was unlocked
    assert action.scope is None  # no session rule can cover it
    assert action.targets == (f"host:{key}",)
    assert "PRIVATE ADDRESS" in action.preview.text

    with pytest.raises(ToolError, match="refused: .*private address.*nothing was sent"):
        tool.run(action, ctx)
    assert srv.seen == [] and net_guard.attempts == []
    assert dns.calls == []  # numeric spellings are read as numbers, localhost is loopback


@pytest.mark.parametrize(
    ("host", "key_host", "reaches"), NAME_FORMS, ids=[f[0] for f in NAME_FORMS]
)
def test_a_name_is_resolved_only_when_it_runs_and_a_private_answer_is_refused(
    host: str,
    key_host: str,
    reaches: str | None,
    workspace_dir: Path,
    http_server: LoopbackServer,
    net_guard: NetworkGuard,
) -> None:
    """Planning looks nothing up; the approved request resolves the name, finds a private
    address and refuses with the reason; the next preview names that address for a person."""
    srv = http_server  # refused before sending: no server of its family needed
    port = srv.port
    key = f"{key_host}:{port}"
    tool, dns = make_tool(DNS)
    ctx = make_ctx(workspace_dir)
    action = tool.plan({"url": f"http://{host}:{port}/secret"}, ctx)
    assert dns.calls == []
    assert action.needs_person is None and action.effect is Effect.EGRESS
    assert "looked up only after approval" in action.preview.text

    approve_host(ctx, key)  # approved, say by --approve all: still no private address
    with pytest.raises(ToolError, match="refused: .*private address.*nothing was sent"):
        tool.run(action, ctx)
    assert dns.calls == [host]
    assert srv.seen == [] and net_guard.attempts == []

    again = tool.plan({"url": f"http://{host}:{port}/secret"}, ctx)
    assert dns.calls == [host]  # still no lookup while planning
    assert again.needs_person is not None
    assert again.needs_person.startswith(f"{key} resolves to private address ")
    assert again.needs_person.endswith("found when it was last requested")
    assert again.scope is None and again.effect is Effect.EGRESS


@pytest.mark.parametrize(
    ("host", "key_host", "reaches"),
    [f for f in PRIVATE_FORMS if f[2]],
    ids=[f[0] for f in PRIVATE_FORMS if f[2]],
)
@pytest.mark.parametrize("how", ["allow_hosts", "approved_private"])
def test_the_same_forms_reach_the_server_once_that_exact_host_port_is_allowed(
    host: str,
    key_host: str,
    reaches: str,
    how: str,
    workspace_dir: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Proves the refusals above are real: the very same request succeeds once allowed."""
    target = _server_for(reaches, request)
    key = f"{key_host}:{target.port}"
    tool, _ = make_tool(DNS)
    ctx = make_ctx(workspace_dir)
    if how == "allow_hosts":
        set_allow_hosts(ctx, {key})
    else:
        approve_host(ctx, key, private=True)
    action = tool.plan({"url": f"http://{host}:{target.port}/ok"}, ctx)
    assert action.needs_person is None
    assert action.effect is Effect.READ

    result = tool.run(action, ctx)
    assert result.ok, result.output
    assert [s.path for s in target.seen] == ["/ok"]


def test_allowing_one_spelling_does_not_allow_another(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool(DNS)
    ctx = make_ctx(workspace_dir, allow_hosts={f"127.0.0.1:{http_server.port}"})
    for other in (
        f"localhost:{http_server.port}",
        f"2130706433:{http_server.port}",
        f"127.0.0.1:{http_server.port + 1}",
    ):
        action = tool.plan({"url": f"http://{other}/"}, ctx)
        assert action.needs_person is not None, other
        with pytest.raises(ToolError, match="refused"):
            tool.run(action, ctx)
    assert http_server.seen == []


def test_allow_revoked_between_plan_and_run_is_rechecked(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    ctx = make_ctx(workspace_dir, allow_hosts={http_server.key})
    action = tool.plan({"url": http_server.url("/")}, ctx)
    assert action.needs_person is None
    set_allow_hosts(ctx, ())
    with pytest.raises(ToolError, match="refused"):
        tool.run(action, ctx)
    assert http_server.seen == []


BAD_URLS = [
    ("http://public@127.0.0.1:{port}/", "credentials in the URL"),
    ("http://user:pass@internal.test:{port}/", "credentials in the URL"),
    ("http://:@127.0.0.1:{port}/", "credentials in the URL"),
    ("http://127.0.0.1:{port}\\@example.com/", "backslash"),
    ("http://example.com\\@127.0.0.1:{port}/", "backslash"),
    ("http://127%2E0%2E0%2E1:{port}/", "percent-encoded"),
    ("http://%6c%6fcalhost:{port}/", "percent-encoded"),
    ("http://[fe80::1%25lo]:{port}/", "percent-encoded or zone"),
    ("file:///etc/passwd", "only http and https"),
    ("ftp://127.0.0.1:{port}/", "only http and https"),
    ("gopher://127.0.0.1:{port}/_GET", "only http and https"),
    ("dict://127.0.0.1:{port}/", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("data:text/plain,hi", "only http and https"),
    ("//127.0.0.1:{port}/", "only http and https"),
    ("http:///etc/passwd", "no host"),
    ("http://127.0.0.1:0/", "port 0"),
    ("http://127.0.0.1:99999/", "port 99999"),
    ("http://127.0.0.1 :{port}/", "whitespace"),
    ("http://127.0.0.1:{port}/\r\nX-Injected: 1", "whitespace or control"),
    ("http://127.0.0.1:{port}/\u202e", "control"),
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{port}/", "not a valid"),
    ("http://127.0.0.1..:{port}/", "not a valid host"),
    (
        "http://0177.0.0.1:{port}/",
        "Invalid IPv4",
    ),  # octal with a leading zero: refused by the parser
    ("http://127.000.000.001:{port}/", "Invalid IPv4"),
    ("http://*.test:{port}/", "not a valid host"),
    ("http://{{{{secret:TOKEN}}}}@127.0.0.1:{port}/", "secret handles may not appear in the URL"),
]


@pytest.mark.parametrize(("url", "why"), BAD_URLS, ids=[u[0] for u in BAD_URLS])
def test_bad_urls_are_refused_at_plan(
    url: str,
    why: str,
    workspace_dir: Path,
    http_server: LoopbackServer,
    net_guard: NetworkGuard,
) -> None:
    tool, _ = make_tool(DNS)
    key = f"127.0.0.1:{http_server.port}"
    # even with every allowance a session can hold, these never run
    ctx = make_ctx(
        workspace_dir,
        unlocked_hosts={key, f"localhost:{http_server.port}"},
        allow_hosts=({key, f"internal.test:{http_server.port}", f"localhost:{http_server.port}"}),
    )
    with pytest.raises(ToolError, match=why):
        tool.plan({"url": url.format(port=http_server.port)}, ctx)
    assert http_server.seen == [] and net_guard.attempts == []


def test_public_and_private_mix_is_refused_and_never_contacts_either(
    workspace_dir: Path,
    http_server: LoopbackServer,
    net_guard: NetworkGuard,
) -> None:
    tool, _ = make_tool(DNS)
    key = f"mixed.test:{http_server.port}"
    ctx = make_ctx(workspace_dir, unlocked_hosts={key})
    action = tool.plan({"url": f"http://mixed.test:{http_server.port}/"}, ctx)
    with pytest.raises(ToolError) as info:
        tool.run(action, ctx)
    assert str(info.value).startswith(
        f"refused: {key} resolves to private address 127.0.0.1 (loopback) "
        "(of 2 addresses it resolves to). Only a person approving a request whose preview names "
        "that address"
    )
    assert net_guard.attempts == [] and http_server.seen == []


def test_an_unknown_name_fails_when_it_runs_and_nothing_is_sent(
    workspace_dir: Path, net_guard: NetworkGuard
) -> None:
    tool, dns = make_tool(DNS)
    ctx = make_ctx(workspace_dir, unlocked_hosts={"nowhere.test:80"})
    action = tool.plan({"url": "http://nowhere.test/"}, ctx)
    assert dns.calls == []
    with pytest.raises(ToolError, match="cannot resolve nowhere.test: .*nothing was sent"):
        tool.run(action, ctx)
    assert net_guard.attempts == []


def test_dns_rebinding_connects_only_to_the_checked_address(
    workspace_dir: Path,
    http_server: LoopbackServer,
    net_guard: NetworkGuard,
) -> None:
    """The name answers public at the check and loopback afterwards: the tool resolves once and
    connects to the address it checked, so the loopback server never sees the request."""
    answers = iter([[PUBLIC]])
    dns = FakeDNS({"rebind.test": lambda: next(answers, ["127.0.0.1"])})
    tool = HttpRequestTool(resolver=dns)
    key = f"rebind.test:{http_server.port}"
    ctx = make_ctx(workspace_dir)
    action = tool.plan({"url": f"http://rebind.test:{http_server.port}/"}, ctx)
    assert action.needs_person is None and action.effect is Effect.EGRESS
    approve_host(ctx, key)  # the person approved the egress
    with pytest.raises(ToolError, match="could not connect"):
        tool.run(action, ctx)
    assert dns.calls == ["rebind.test"]  # resolved once; the second answer was never asked for
    assert (
        net_guard.attempts == [(PUBLIC, http_server.port)]
        and net_guard.blocked == net_guard.attempts
    )
    assert http_server.seen == []


def test_redirect_from_allowed_host_to_a_private_one_is_refused(
    workspace_dir: Path,
    http_server: LoopbackServer,
) -> None:
    port = http_server.port
    targets = {
        "/to-name": f"http://internal.test:{port}/inside",
        "/to-localhost": f"http://localhost:{port}/inside",
        "/to-metadata": "http://169.254.169.254/latest/meta-data/",
        "/to-numeric": f"http://2130706433:{port}/inside",
        "/to-mapped": f"http://[::ffff:127.0.0.1]:{port}/inside",
    }
    for path, location in targets.items():
        http_server.routes[path] = redirect_to(location)
    tool, _ = make_tool(DNS)
    key = f"127.0.0.1:{port}"
    others = {
        f"internal.test:{port}",
        f"localhost:{port}",
        "169.254.169.254:80",
        f"2130706433:{port}",
        f"::ffff:127.0.0.1:{port}",
    }
    # the redirect targets are even "allowed in the session" (say, by --approve all): still refused
    ctx = make_ctx(workspace_dir, allow_hosts={key}, unlocked_hosts={key, *others})
    for path in targets:
        result = tool.run(tool.plan({"url": http_server.url(path)}, ctx), ctx)
        assert not result.ok
        assert "private address" in result.output and "never unlocks" in result.output
        assert result.data["redirect_stopped"]
    assert [s.path for s in http_server.seen] == list(targets)  # only the first hops arrived


def test_redirect_to_a_host_not_allowed_in_the_session_is_not_followed(
    workspace_dir: Path,
    http_server: LoopbackServer,
    net_guard: NetworkGuard,
) -> None:
    http_server.routes["/away"] = lambda seen: Reply(
        301, [("Location", "https://elsewhere.test/x")]
    )
    tool, dns = make_tool({**DNS, "elsewhere.test": [PUBLIC]})
    ctx = make_ctx(workspace_dir, allow_hosts={http_server.key})
    result = tool.run(tool.plan({"url": http_server.url("/away")}, ctx), ctx)
    assert not result.ok
    assert "elsewhere.test:443 is not allowed in this session" in result.output
    assert "elsewhere.test" not in dns.calls  # not even resolved
    assert net_guard.blocked == []


def test_each_redirect_hop_is_resolved_again_and_pinned(
    workspace_dir: Path,
    http_server: LoopbackServer,
    net_guard: NetworkGuard,
) -> None:
    """A same-host redirect re-resolves the name and connects only to the newly checked address."""
    answers = iter([["127.0.0.1"]])
    dns = FakeDNS({"flip.test": lambda: next(answers, ["10.0.0.7"])})
    tool = HttpRequestTool(resolver=dns)
    key = f"flip.test:{http_server.port}"
    ctx = make_ctx(workspace_dir, allow_hosts={key})
    http_server.routes["/"] = lambda seen: Reply(302, [("Location", "/again")])
    action = tool.plan({"url": f"http://flip.test:{http_server.port}/"}, ctx)
    with pytest.raises(ToolError, match="could not connect"):
        tool.run(action, ctx)
    assert dns.calls == ["flip.test", "flip.test"]
    assert net_guard.blocked == [("10.0.0.7", http_server.port)]
    assert [s.path for s in http_server.seen] == ["/"]


def test_run_refuses_a_tampered_action(workspace_dir: Path, http_server: LoopbackServer) -> None:
    tool, _ = make_tool(DNS)
    ctx = make_ctx(workspace_dir, unlocked_hosts={"10.10.10.10:80"})
    action = tool.plan({"url": "http://10.10.10.10/"}, ctx)
    assert action.needs_person
    forged = type(action)(**{**action.__dict__, "state": {"addresses": [PUBLIC], "save": None}})
    with pytest.raises(StaleActionError):
        tool.run(forged, ctx)


@pytest.mark.parametrize(
    "host", ["localhost", "127.1", "2130706433", "0x7f000001", "0", "[::ffff:7f00:1]"]
)
def test_the_default_resolver_judges_numeric_spellings_by_their_address(
    host: str, workspace_dir: Path, net_guard: NetworkGuard
) -> None:
    """The production resolver (the OS, no fake) reads these spellings as loopback/unspecified."""
    action = HttpRequestTool().plan({"url": f"http://{host}:8/"}, make_ctx(workspace_dir))
    assert action.needs_person is not None and "private address" in action.needs_person
    assert net_guard.attempts == []
