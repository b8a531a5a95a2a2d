"""http_request end to end against loopback servers: effects, previews, bodies, save_to, arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import http_servers
from tests.support.http_servers import (
    LoopbackServer,
    NetworkGuard,
    Reply,
    allowed,
    make_ctx,
    make_tool,
)
from tools.base import Effect, StaleActionError, ToolError, validate_args
from tools.http_request import HttpSettings

# fixtures from the support module, bound here so pytest finds them
net_guard = http_servers.net_guard
http_server = http_servers.http_server

PUBLIC = "93.184.216.34"
DNS = {"api.test": [PUBLIC]}


# -- effects (plan only: api.test is "public" and is never contacted) ----------------------------

EFFECTS = [
    ({"url": "https://api.test/x"}, set(), Effect.EGRESS),
    ({"url": "https://api.test/x"}, {"api.test:443"}, Effect.READ),
    ({"method": "HEAD", "url": "https://api.test/x"}, {"api.test:443"}, Effect.READ),
    ({"method": "OPTIONS", "url": "https://api.test/x"}, {"api.test:443"}, Effect.READ),
    ({"url": "http://api.test/x"}, {"api.test:443"}, Effect.EGRESS),  # another port, another host
    ({"url": "https://API.test./x"}, {"api.test:443"}, Effect.READ),
    ({"method": "POST", "url": "https://api.test/x"}, {"api.test:443"}, Effect.WRITE),
    ({"method": "PUT", "url": "https://api.test/x", "body": "x"}, {"api.test:443"}, Effect.WRITE),
    ({"method": "PATCH", "url": "https://api.test/x", "json": {}}, {"api.test:443"}, Effect.WRITE),
    ({"method": "DELETE", "url": "https://api.test/x"}, {"api.test:443"}, Effect.WRITE),
    ({"method": "DELETE", "url": "https://api.test/x"}, set(), Effect.WRITE),
    (
        {"url": "https://api.test/x", "headers": {"X-HTTP-Method-Override": "DELETE"}},
        {"api.test:443"},
        Effect.WRITE,
    ),
    (
        {"url": "https://api.test/x", "headers": {"x-http-method": "PUT"}},
        {"api.test:443"},
        Effect.WRITE,
    ),
    (
        {"url": "https://api.test/x", "headers": {"X-Method-Override": "GET"}},
        {"api.test:443"},
        Effect.WRITE,
    ),
    ({"url": "https://api.test/x?_method=DELETE"}, {"api.test:443"}, Effect.WRITE),
    ({"url": "https://api.test/x", "query": {"_METHOD": "put"}}, {"api.test:443"}, Effect.WRITE),
    ({"url": "https://api.test/x", "body": "q"}, {"api.test:443"}, Effect.WRITE),
    (
        {"method": "OPTIONS", "url": "https://api.test/x", "json": [1]},
        {"api.test:443"},
        Effect.WRITE,
    ),
    ({"url": "https://api.test/x", "save_to": "out.json"}, {"api.test:443"}, Effect.WRITE),
]


@pytest.mark.parametrize(
    ("args", "hosts", "effect"), EFFECTS, ids=[str(i) for i in range(len(EFFECTS))]
)
def test_effect_is_decided_from_the_arguments(
    args: dict,
    hosts: set[str],
    effect: Effect,
    workspace_dir: Path,
    net_guard: NetworkGuard,
) -> None:
    tool, _ = make_tool(DNS)
    action = tool.plan(args, make_ctx(workspace_dir, unlocked_hosts=set(hosts)))
    assert action.effect is effect
    assert action.needs_person is None
    assert action.targets[0] == f"host:api.test:{443 if args['url'].startswith('https') else 80}"
    assert net_guard.attempts == []


def test_scope_targets_and_summary_are_narrow(workspace_dir: Path) -> None:
    tool, _ = make_tool(DNS)
    ctx = make_ctx(workspace_dir)
    get = tool.plan({"url": "https://api.test/a?b=1"}, ctx)
    assert get.scope is not None
    assert get.scope.key == "http_request:GET:host:api.test:443"
    assert get.scope.label == "http_request GET to api.test:443"
    assert get.summary == "GET https://api.test/a?b=1"
    post = tool.plan({"method": "POST", "url": "https://api.test/a", "save_to": "r.json"}, ctx)
    assert post.scope is not None
    assert post.scope.key == "http_request:POST:host:api.test:443:save:path:r.json"
    assert post.targets == ("host:api.test:443", "path:r.json")
    assert post.state["addresses"] is None  # a name: looked up only when it runs


def test_write_preview_shows_everything_and_says_it_cannot_be_undone(workspace_dir: Path) -> None:
    tool, _ = make_tool(DNS)
    ctx = make_ctx(workspace_dir)
    args = {
        "method": "POST",
        "url": "https://api.test/items",
        "query": {"dry": False},
        "headers": {"X-Trace": "abc"},
        "json": {"name": "widget", "tags": ["a", "b"], "note": "a\u202eb\x1b[2J"},
    }
    action = tool.plan(args, ctx)
    text = action.preview.text
    assert text.splitlines()[0] == "POST https://api.test/items?dry=false"
    assert "  X-Trace: abc" in text
    assert '"note": "a\\u202eb\\u001b[2J"' in text  # bidi and escape shown escaped
    assert "\u202e" not in text and "\x1b" not in text
    assert '    "name": "widget",' in text  # pretty-printed body
    assert "HTTP requests cannot be undone" in text
    assert action.preview.kind == "http"
    data = action.preview.data
    assert data["method"] == "POST" and data["addresses"] == [] and data["undoable"] is False
    assert data["lookup"] == "after approval"
    assert "api.test is looked up only after approval" in text
    assert json.loads(json.dumps(data)) == data  # JSON-able


def test_plan_has_no_side_effects(workspace_dir: Path, http_server: LoopbackServer) -> None:
    tool, _ = make_tool()
    tool.plan(
        {"method": "DELETE", "url": http_server.url("/x"), "save_to": "x.bin"},
        allowed(workspace_dir, http_server),
    )
    assert http_server.seen == [] and list(workspace_dir.iterdir()) == []


# -- end to end ----------------------------------------------------------------------------------


def test_get_to_a_loopback_server_works_once_allowed(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    action = tool.plan({"url": http_server.url("/hello"), "query": {"q": "a b"}}, ctx)
    assert action.effect is Effect.READ
    result = tool.run(action, ctx)
    assert result.ok
    assert [(s.method, s.path) for s in http_server.seen] == [("GET", "/hello?q=a+b")]
    assert http_server.seen[0].headers["host"] == http_server.key
    assert result.output.startswith(f"HTTP 200 OK — GET {http_server.url('/hello?q=a+b')}")
    assert "Content-Type: application/json" in result.output
    assert '  "method": "GET",' in result.output  # pretty JSON
    assert result.data["status"] == 200 and result.data["content_type"] == "application/json"
    assert result.data["size"] > 0 and result.data["address"] == "127.0.0.1"
    assert result.display.startswith("200 OK · application/json · ")
    assert result.before_images == {}


def test_post_sends_exactly_the_previewed_body(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    action = tool.plan(
        {"method": "POST", "url": http_server.url("/items"), "json": {"n": 1, "s": "é"}}, ctx
    )
    assert action.effect is Effect.WRITE
    result = tool.run(action, ctx)
    assert result.ok
    seen = http_server.seen[0]
    assert seen.method == "POST" and json.loads(seen.body) == {"n": 1, "s": "é"}
    assert seen.headers["content-type"] == "application/json"
    text = tool.run(
        tool.plan({"method": "PUT", "url": http_server.url("/t"), "body": "hi"}, ctx), ctx
    )
    assert text.ok and http_server.seen[1].body == b"hi"
    assert http_server.seen[1].headers["content-type"] == "text/plain; charset=utf-8"


def test_head_and_empty_bodies(workspace_dir: Path, http_server: LoopbackServer) -> None:
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    result = tool.run(tool.plan({"method": "HEAD", "url": http_server.url("/")}, ctx), ctx)
    assert result.ok and "Body: none" in result.output and http_server.seen[0].method == "HEAD"
    http_server.routes["/empty"] = lambda seen: Reply(204)
    result = tool.run(tool.plan({"url": http_server.url("/empty")}, ctx), ctx)
    assert result.ok and "Body: empty" in result.output


def test_model_gets_a_bounded_clearly_marked_excerpt(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    body = ("0123456789" * 6000).encode()  # 60,000 characters
    http_server.routes["/big"] = lambda seen: Reply(200, [("Content-Type", "text/plain")], body)
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server, settings=HttpSettings(model_excerpt_chars=1000))
    result = tool.run(tool.plan({"url": http_server.url("/big")}, ctx), ctx)
    assert "[showing 1,000 of 60,000 characters]" in result.output
    assert "59,000 more characters not shown; save_to can keep the full body" in result.output
    assert "0123456789" * 100 in result.output and "0123456789" * 101 not in result.output
    assert "Size: 60,000 bytes" in result.output
    assert len(result.data["body"]) == 60_000 and result.data["size"] == 60_000


def test_body_is_escaped_before_it_reaches_a_terminal(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    nasty = "ok \x1b[2J\x1b]0;pwned\x07 \u202egnp.exe \u200b end".encode()
    http_server.routes["/t"] = lambda seen: Reply(
        200, [("Content-Type", "text/plain; charset=utf-8")], nasty
    )
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    result = tool.run(tool.plan({"url": http_server.url("/t")}, ctx), ctx)
    for raw in ("\x1b", "\x07", "\u202e", "\u200b"):
        assert raw not in result.output and raw not in result.data["body"]
    assert "\\x1b[2J" in result.output and "\\u202egnp.exe" in result.output


def test_binary_bodies_are_described_not_shown(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    http_server.routes["/img"] = lambda seen: Reply(200, [("Content-Type", "image/png")], png)
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    result = tool.run(tool.plan({"url": http_server.url("/img")}, ctx), ctx)
    assert f"Body: binary, {len(png):,} bytes, not shown" in result.output
    assert "Content-Type: image/png" in result.output and result.data["body"] is None


def test_invalid_json_with_a_json_type_is_shown_as_text(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    http_server.routes["/j"] = lambda seen: Reply(
        200, [("Content-Type", "application/json")], b"{nope"
    )
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    result = tool.run(tool.plan({"url": http_server.url("/j")}, ctx), ctx)
    assert "Body (text, 5 characters):\n{nope" in result.output


# -- save_to -------------------------------------------------------------------------------------


def test_save_to_writes_the_full_body_and_keeps_the_before_image(
    workspace_dir: Path,
    http_server: LoopbackServer,
) -> None:
    body = b"a,b\n" + b"1,2\n" * 50_000
    http_server.routes["/csv"] = lambda seen: Reply(200, [("Content-Type", "text/csv")], body)
    (workspace_dir / "data").mkdir()
    (workspace_dir / "data" / "rows.csv").write_bytes(b"old")
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server, settings=HttpSettings(model_excerpt_chars=100))
    action = tool.plan({"url": http_server.url("/csv"), "save_to": "data/rows.csv"}, ctx)
    assert action.effect is Effect.WRITE
    assert "Saves the response body to data/rows.csv (overwrites it)." in action.preview.text
    result = tool.run(action, ctx)
    assert result.ok
    assert (workspace_dir / "data" / "rows.csv").read_bytes() == body
    assert result.before_images == {"data/rows.csv": b"old"}
    assert "Saved the full body (200,004 bytes) to data/rows.csv." in result.output
    new = tool.run(tool.plan({"url": http_server.url("/csv"), "save_to": "new.csv"}, ctx), ctx)
    assert (
        new.before_images == {"new.csv": None} and (workspace_dir / "new.csv").read_bytes() == body
    )


def test_save_to_is_skipped_for_errors_and_cut_bodies(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    http_server.routes["/404"] = lambda seen: Reply(404, [("Content-Type", "text/plain")], b"nope")
    http_server.routes["/big"] = lambda seen: Reply(200, [], b"x" * 5000)
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server, settings=HttpSettings(max_body_bytes=1000))
    result = tool.run(tool.plan({"url": http_server.url("/404"), "save_to": "a.txt"}, ctx), ctx)
    assert not result.ok and "Not saved to a.txt: the status was 404" in result.output
    result = tool.run(tool.plan({"url": http_server.url("/big"), "save_to": "a.txt"}, ctx), ctx)
    assert not result.ok and "the body was cut at the 1,000-byte limit" in result.output
    assert not (workspace_dir / "a.txt").exists() and result.before_images == {}


def test_save_to_refuses_when_the_file_changed_after_the_preview(
    workspace_dir: Path,
    http_server: LoopbackServer,
) -> None:
    target = workspace_dir / "out.json"
    target.write_text("v1")
    tool, _ = make_tool()
    ctx = allowed(workspace_dir, http_server)
    action = tool.plan({"url": http_server.url("/"), "save_to": "out.json"}, ctx)
    target.write_text("v2")
    with pytest.raises(StaleActionError, match="changed after the preview"):
        tool.run(action, ctx)
    assert http_server.seen == [] and target.read_text() == "v2"


# -- argument checks -----------------------------------------------------------------------------

BAD_ARGS = [
    ({"url": "https://api.test/", "headers": {"Host": "evil.test"}}, "Host may not be set"),
    (
        {"url": "https://api.test/", "headers": {"Accept-Encoding": "br"}},
        "Accept-Encoding may not be set",
    ),
    ({"url": "https://api.test/", "headers": {"X-A": "1\r\nX-B: 2"}}, "control characters"),
    ({"url": "https://api.test/", "headers": {"Bad Name": "1"}}, "not a valid header name"),
    ({"url": "https://api.test/", "headers": {"a": "1", "A": "2"}}, "given twice"),
    ({"url": "https://api.test/", "headers": {"X-A": 1}}, "must be a string"),
    ({"url": "https://api.test/", "json": {"a": 1}, "body": "x"}, "either json or body"),
    ({"url": "https://api.test/", "method": "TRACE"}, "method must be one of"),
    (
        {"url": "https://api.test/", "method": "HEAD", "body": "x"},
        "HEAD request cannot carry a body",
    ),
    ({"url": "https://api.test/", "timeout": 0}, "timeout must be"),
    ({"url": "https://api.test/", "timeout": True}, "timeout must be"),
    ({"url": "https://api.test/", "query": {"a": {"b": 1}}}, "values must be strings"),
    ({"url": "https://api.test/", "json": float("nan")}, "not serialisable"),
    ({"url": "https://api.test/", "body": "x" * 1_000_001}, "at most 1,000,000 bytes"),
    ({"url": "https://api.test/", "follow": True}, "unknown argument"),
    ({"url": 5}, "a URL string is required"),
    ({}, "a URL string is required"),
]


@pytest.mark.parametrize(("args", "why"), BAD_ARGS, ids=[b[1] for b in BAD_ARGS])
def test_bad_arguments_are_refused_with_a_specific_message(
    args: dict, why: str, workspace_dir: Path
) -> None:
    tool, _ = make_tool(DNS)
    with pytest.raises(ToolError, match=why):
        tool.plan(args, make_ctx(workspace_dir))


def test_schema_is_strict_and_accepts_a_normal_call() -> None:
    tool, _ = make_tool()
    assert tool.parameters["additionalProperties"] is False
    ok = validate_args(
        tool.parameters, {"method": "POST", "url": "https://a.test", "json": {"x": [1]}}
    )
    assert ok["json"] == {"x": [1]}
    with pytest.raises(ToolError, match="Additional properties"):
        validate_args(tool.parameters, {"url": "https://a.test", "verify": False})
