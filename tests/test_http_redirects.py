"""http_request redirects, followed by the tool itself: RFC method/body rules, hop cap, hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import http_servers
from tests.support.http_servers import LoopbackServer, Reply, allowed, make_ctx, make_tool
from tools.http_request import HttpSettings

# fixtures from the support module, bound here so pytest finds them
net_guard = http_servers.net_guard
http_server = http_servers.http_server


# -- redirects -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "method", "expect_method", "expect_body"),
    [
        (303, "POST", "GET", b""),
        (303, "DELETE", "GET", b""),
        (302, "POST", "GET", b""),
        (301, "POST", "GET", b""),
        (302, "PUT", "PUT", b'{"a":1}'),
        (307, "POST", "POST", b'{"a":1}'),
        (308, "PATCH", "PATCH", b'{"a":1}'),
        (301, "GET", "GET", b""),
    ],
)
def test_redirect_method_and_body_follow_the_rfc(
    status: int,
    method: str,
    expect_method: str,
    expect_body: bytes,
    workspace_dir: Path,
    http_server: LoopbackServer,
) -> None:
    http_server.routes["/from"] = lambda seen: Reply(status, [("Location", "/to")])
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    args: dict = {"method": method, "url": http_server.url("/from")}
    if method != "GET":
        args["json"] = {"a": 1}
    result = tool.run(tool.plan(args, ctx), ctx)
    assert result.ok
    first, second = http_server.seen
    assert (second.method, second.path, second.body) == (expect_method, "/to", expect_body)
    assert result.data["redirects"] == [
        {"method": method, "url": http_server.url("/from"), "status": status}
    ]
    assert f"Redirect: {status} from {method} {http_server.url('/from')}" in result.output


def test_redirect_hops_are_capped(workspace_dir: Path, http_server: LoopbackServer) -> None:
    http_server.routes["/loop"] = lambda seen: Reply(302, [("Location", "/loop")])
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server, settings=HttpSettings(max_redirects=3))
    result = tool.run(tool.plan({"url": http_server.url("/loop")}, ctx), ctx)
    assert not result.ok and "stopped after 3 redirects" in result.output
    assert len(http_server.seen) == 4


def test_a_write_is_never_resent_to_another_host(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    with LoopbackServer() as other:
        http_server.routes["/w"] = lambda seen: Reply(307, [("Location", other.url("/x"))])
        tool, _ = make_tool()
        ctx = make_ctx(
            workspace_dir,
            allow_hosts={http_server.key, other.key},
            unlocked_hosts={http_server.key, other.key},
        )
        result = tool.run(
            tool.plan({"method": "POST", "url": http_server.url("/w"), "body": "b"}, ctx), ctx
        )
        assert not result.ok and "never re-sent to another host" in result.output
        assert other.seen == []
        # a GET to an allowed other host is followed
        http_server.routes["/g"] = lambda seen: Reply(302, [("Location", other.url("/y"))])
        result = tool.run(tool.plan({"url": http_server.url("/g")}, ctx), ctx)
        assert result.ok and [s.path for s in other.seen] == ["/y"]


def test_a_redirect_to_a_non_http_scheme_is_refused(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    http_server.routes["/f"] = lambda seen: Reply(302, [("Location", "file:///etc/passwd")])
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    result = tool.run(tool.plan({"url": http_server.url("/f")}, ctx), ctx)
    assert not result.ok and "only http and https" in result.output
