"""http_request limits against loopback servers: decoded size (compression bombs), total time,
encodings, connection errors, and proxy variables (ignored unless configured)."""

from __future__ import annotations

import gzip
import json
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import http_servers
from tests.support.http_servers import LoopbackServer, Reply, Seen, allowed, make_ctx, make_tool
from tools.base import ToolError
from tools.http_request import HttpSettings

# fixtures from the support module, bound here so pytest finds them
net_guard = http_servers.net_guard
http_server = http_servers.http_server


# -- caps: size, time --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """20 MB of zeros, gzipped and deflated to about 20 KB each."""
    zeros = b"\0" * 20_000_000
    return {"gzip": gzip.compress(zeros, compresslevel=1), "deflate": zlib.compress(zeros, 1)}


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_stops_at_the_decoded_cap(
    encoding: str, bombs: dict[str, bytes], workspace_dir: Path, http_server: LoopbackServer
) -> None:
    payload = bombs[encoding]
    assert len(payload) < 100_000
    http_server.routes["/bomb"] = lambda seen: Reply(
        200, [("Content-Type", "application/octet-stream"), ("Content-Encoding", encoding)], payload
    )
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server, settings=HttpSettings(max_body_bytes=1_000_000))
    action = tool.plan({"url": http_server.url("/bomb")}, ctx)
    tracemalloc.start()
    try:
        result = tool.run(action, ctx)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.data["size"] == 1_000_000 and result.data["truncated"] is True
    assert "(cut at the 1,000,000-byte limit)" in result.output
    assert peak < 8_000_000, f"peak {peak:,} bytes while decoding a bomb"


def test_gzip_body_is_decoded(workspace_dir: Path, http_server: LoopbackServer) -> None:
    data = json.dumps({"items": list(range(5))}).encode()
    http_server.routes["/gz"] = lambda seen: Reply(
        200,
        [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        gzip.compress(data),
    )
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    result = tool.run(tool.plan({"url": http_server.url("/gz")}, ctx), ctx)
    assert result.ok and '"items": [' in result.output
    assert http_server.seen[0].headers["accept-encoding"] == "gzip, deflate"


def test_unsupported_or_corrupt_encodings_are_reported(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    http_server.routes["/br"] = lambda seen: Reply(
        200, [("Content-Encoding", "br")], b"\x0b\x02\x80"
    )
    http_server.routes["/bad"] = lambda seen: Reply(
        200, [("Content-Encoding", "gzip")], b"not gzip at all"
    )
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    with pytest.raises(ToolError, match="content-encoding 'br'.*does not decode"):
        tool.run(tool.plan({"url": http_server.url("/br")}, ctx), ctx)
    with pytest.raises(ToolError, match="compressed body is corrupt"):
        tool.run(tool.plan({"url": http_server.url("/bad")}, ctx), ctx)


def _drip(seen: Seen, release: threading.Event) -> Reply:
    def chunks() -> Iterator[bytes]:
        while not release.wait(0.02):  # one byte every 20 ms, forever: no read ever times out
            yield b"x"

    return Reply(200, [("Content-Type", "text/plain")], chunks())


def test_total_deadline_stops_a_server_that_drips(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    http_server.routes["/drip"] = lambda seen: _drip(seen, http_server.release)
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    action = tool.plan({"url": http_server.url("/drip"), "timeout": 0.4}, ctx)
    started = time.monotonic()
    with pytest.raises(ToolError, match="timed out after 0.4 s.*may have received"):
        tool.run(action, ctx)
    assert time.monotonic() - started < 1.5


def test_total_deadline_covers_a_server_that_never_answers(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    def stall(seen: Seen) -> Reply:
        http_server.release.wait(10)
        return Reply(200)

    http_server.routes["/stall"] = stall
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server, settings=HttpSettings(timeout=0.3))
    action = tool.plan(
        {"url": http_server.url("/stall"), "timeout": 60}, ctx
    )  # cannot raise the cap
    started = time.monotonic()
    with pytest.raises(ToolError, match="timed out after 0.3 s"):
        tool.run(action, ctx)
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_a_clear_error(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    with LoopbackServer() as gone:
        port = gone.port
    tool, _ = make_tool()
    ctx = make_ctx(workspace_dir, allow_hosts={f"127.0.0.1:{port}"})
    with pytest.raises(ToolError, match=f"could not connect to 127.0.0.1:{port}"):
        tool.run(tool.plan({"url": f"http://127.0.0.1:{port}/"}, ctx), ctx)


# -- proxies ---------------------------------------------------------------------------------------


def test_proxy_variables_are_ignored_unless_configured(
    workspace_dir: Path,
    http_server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LoopbackServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url("/"))
        monkeypatch.setenv("http_proxy", proxy.url("/"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        tool, _ = make_tool()
        ctx = allowed(workspace_dir, http_server)
        assert tool.run(tool.plan({"url": http_server.url("/direct")}, ctx), ctx).ok
        assert proxy.seen == [] and [s.path for s in http_server.seen] == ["/direct"]
        ctx.tool_settings = (HttpSettings(use_proxy_env=True),)
        assert tool.run(tool.plan({"url": http_server.url("/via")}, ctx), ctx).ok
        assert [s.path for s in proxy.seen] == [
            http_server.url("/via")
        ]  # absolute form: a proxy request
