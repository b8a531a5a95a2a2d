"""HTTPS through the pinned transport: the connection goes to the checked address while SNI and
certificate verification use the URL's host name. A local CA from trustme; loopback only."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme  # a declared test dependency: missing, the suite fails rather than skips

from tests.support import http_servers
from tests.support.http_servers import LoopbackServer, NetworkGuard, make_ctx
from tools.base import ToolError
from tools.http_request import HttpRequestTool

net_guard = http_servers.net_guard


@pytest.fixture(scope="module")
def ca() -> object:
    return trustme.CA()


def _server_context(ca: object, *names: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(ctx)  # type: ignore[attr-defined]
    return ctx


def _client_context(ca: object) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)  # type: ignore[attr-defined]
    return ctx


@pytest.fixture
def tls_server(ca: object, net_guard: NetworkGuard) -> Iterator[LoopbackServer]:
    with LoopbackServer(tls=_server_context(ca, "secure.test")) as s:
        yield s


def _tool(ca: object, **names: list[str]) -> HttpRequestTool:
    dns = http_servers.FakeDNS({"secure.test": ["127.0.0.1"], "other.test": ["127.0.0.1"], **names})
    return HttpRequestTool(resolver=dns, ssl_context=_client_context(ca))


def test_https_connects_to_the_checked_address_and_verifies_the_name(
    ca: object, tls_server: LoopbackServer, net_guard: NetworkGuard, workspace_dir: Path
) -> None:
    tool = _tool(ca)
    key = f"secure.test:{tls_server.port}"
    ctx = make_ctx(workspace_dir, allow_hosts={key})
    url = f"https://secure.test:{tls_server.port}/hello"
    result = tool.run(tool.plan({"url": url}, ctx), ctx)
    assert result.ok, result.output
    assert tls_server.sni == ["secure.test"]  # SNI carries the name, not the IP
    assert tls_server.seen[0].headers["host"] == key
    assert net_guard.attempts == [("127.0.0.1", tls_server.port)]  # the pinned address


def test_a_certificate_for_another_name_is_refused(
    ca: object, net_guard: NetworkGuard, workspace_dir: Path
) -> None:
    with LoopbackServer(tls=_server_context(ca, "other.test")) as srv:
        tool = _tool(ca)
        ctx = make_ctx(workspace_dir, allow_hosts={f"secure.test:{srv.port}"})
        action = tool.plan({"url": f"https://secure.test:{srv.port}/"}, ctx)
        with pytest.raises(ToolError, match="could not connect.*(certificate|hostname|Hostname)"):
            tool.run(action, ctx)
        assert srv.seen == []


def test_an_ip_url_is_verified_against_the_ip_not_a_name(
    ca: object, tls_server: LoopbackServer, workspace_dir: Path
) -> None:
    tool = _tool(ca)
    ctx = make_ctx(workspace_dir, allow_hosts={tls_server.key})
    with pytest.raises(ToolError, match="could not connect"):
        tool.run(tool.plan({"url": tls_server.url("/", scheme="https")}, ctx), ctx)
    assert tls_server.seen == []


def test_an_unknown_ca_is_refused_by_default(
    tls_server: LoopbackServer, net_guard: NetworkGuard, workspace_dir: Path
) -> None:
    tool = HttpRequestTool(resolver=http_servers.FakeDNS({"secure.test": ["127.0.0.1"]}))
    ctx = make_ctx(workspace_dir, allow_hosts={f"secure.test:{tls_server.port}"})
    with pytest.raises(ToolError, match="certificate verify failed"):
        tool.run(tool.plan({"url": f"https://secure.test:{tls_server.port}/"}, ctx), ctx)
    assert tls_server.seen == []
