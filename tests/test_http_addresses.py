"""Which addresses count as private (and why), that public ones pass, and that a hung DNS lookup
is abandoned in time. Nothing outside loopback is contacted (the guard refuses it)."""

from __future__ import annotations

import ipaddress
import threading
import time
from pathlib import Path

import pytest

from tests.support import http_servers
from tests.support.http_servers import NetworkGuard, approve_host, make_ctx, make_tool
from tools.base import Effect, ToolError
from tools.http_request.addresses import problem

net_guard = http_servers.net_guard

PUBLIC = "93.184.216.34"


REASONS = [
    ("127.0.0.1", "loopback"),
    ("127.9.9.9", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.31.255.255", "private"),
    ("192.168.0.1", "private"),
    ("100.64.0.1", "CGNAT shared address space"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("168.63.129.16", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("fe80::1", "link-local"),
    ("fc00::1", "unique local"),
    ("fec0::1", "site-local"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("::ffff:10.0.0.1", "private, IPv4-mapped form of 10.0.0.1"),
    ("::ffff:0:7f00:1", "loopback, IPv4-translated form of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "cloud metadata, NAT64 form of 169.254.169.254"),
    ("2002:a00:1::", "private, 6to4 form of 10.0.0.1"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("::7f00:1", "reserved (IPv4-compatible)"),
    ("2001::1", "private"),  # Teredo
]


@pytest.mark.parametrize(("addr", "why"), REASONS, ids=[r[0] for r in REASONS])
def test_each_non_public_address_is_named_with_its_reason(addr: str, why: str) -> None:
    assert problem(ipaddress.ip_address(addr)) == why


PUBLIC_ADDRS = [
    PUBLIC,
    "8.8.8.8",
    "2606:2800:220:1:248:1893:25c8:1946",
    "::ffff:93.184.216.34",
    "64:ff9b::5db8:d822",
    "2002:5db8:d822::1",
]


@pytest.mark.parametrize("addr", PUBLIC_ADDRS)
def test_public_addresses_are_not_refused(
    addr: str, workspace_dir: Path, net_guard: NetworkGuard
) -> None:
    tool, dns = make_tool({"public.test": [addr]})
    ctx = make_ctx(workspace_dir)
    action = tool.plan({"url": "https://public.test/"}, ctx)
    assert action.needs_person is None and action.effect is Effect.EGRESS
    assert dns.calls == []  # planning never looks a name up
    approve_host(ctx, "public.test:443")  # the person approved the egress
    with pytest.raises(ToolError, match="could not connect"):  # the guard, not a refusal
        tool.run(action, ctx)
    assert dns.calls == ["public.test"]
    assert net_guard.attempts == [(str(ipaddress.ip_address(addr)), 443)]


def test_a_hung_resolver_is_abandoned_within_the_time_limit(
    workspace_dir: Path, net_guard: NetworkGuard
) -> None:
    gate = threading.Event()

    def hang() -> list[str]:
        gate.wait(5)
        return [PUBLIC]

    tool, _ = make_tool({"slow.test": hang})
    ctx = make_ctx(workspace_dir)
    action = tool.plan({"url": "https://slow.test/", "timeout": 0.2}, ctx)
    started = time.monotonic()
    try:
        with pytest.raises(ToolError, match="resolving slow.test took longer than 0.2 s"):
            tool.run(action, ctx)
    finally:
        gate.set()
    assert time.monotonic() - started < 1.0
    assert net_guard.attempts == []
