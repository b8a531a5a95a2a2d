"""Secret handles: bound to hosts, filled in only at send time, never shown, stripped on a redirect
to another host, and scrubbed from everything a response brings back."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.support import http_servers
from tests.support.http_servers import (
    LoopbackServer,
    Reply,
    Secrets,
    Seen,
    make_ctx,
    make_tool,
    set_allow_hosts,
)
from tools.base import ToolContext, ToolError
from tools.http_request.handles import SecretValues, bound_to, parse_binding
from tools.http_request.urls import parse_url

# fixtures from the support module, bound here so pytest finds them
net_guard = http_servers.net_guard
http_server = http_servers.http_server

VALUE = "s3cr3t/+=&v@l ue"
"""A value with characters that get percent-encoded, to catch every spelling."""
WIDE = 'pä"ss\\wörd'
"""Non-ASCII, a quote and a backslash: JSON- and percent-escaped differently."""
HANDLE = "{{secret:TOKEN}}"
MARK = "[raw value of secret TOKEN]"
"""What a raw value that came back reads as: never a handle, which nobody wrote there."""


def origin(srv: LoopbackServer) -> str:
    """The binding for a plain-HTTP loopback server: scheme, host and port, all named."""
    return f"http://{srv.key}"


def ctx_for(
    workspace_dir: Path, srv: LoopbackServer, hosts: tuple[str, ...], **kw: object
) -> ToolContext:
    return make_ctx(
        workspace_dir,
        allow_hosts={srv.key},
        secrets=Secrets({"TOKEN": (VALUE, hosts)}),
        **kw,
    )


def _everything(result: object) -> str:
    return json.dumps(
        {"output": result.output, "display": result.display, "data": result.data},  # type: ignore[attr-defined]
        ensure_ascii=False,
    )


def reveals(text: str) -> bool:
    return any(
        form in text for form in (VALUE, quote(VALUE, safe=""), quote_plus(VALUE), quote(VALUE))
    )


WHERE = [
    ("header", {"headers": {"Authorization": f"Bearer {HANDLE}"}}),
    ("query", {"query": {"key": HANDLE}}),
    ("json", {"method": "POST", "json": {"auth": {"token": HANDLE}}}),
    ("body", {"method": "POST", "body": f"token={HANDLE}"}),
]


@pytest.mark.parametrize(("where", "extra"), WHERE, ids=[w[0] for w in WHERE])
def test_a_bound_secret_is_sent_but_never_shown_or_returned(
    where: str, extra: dict, workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    ctx = ctx_for(workspace_dir, http_server, (origin(http_server),))
    action = tool.plan({"url": http_server.url("/echo"), **extra}, ctx)
    assert HANDLE in action.preview.text and not reveals(action.preview.text)
    assert not reveals(json.dumps(action.preview.data, ensure_ascii=False))
    assert not reveals(action.summary) and not reveals(json.dumps(dict(action.args)))

    result = tool.run(action, ctx)
    assert result.ok
    seen = http_server.seen[0]
    sent = json.dumps(seen.headers, ensure_ascii=False) + seen.path + seen.body.decode()
    assert reveals(sent)  # the server did get the value
    if where == "json":
        assert json.loads(seen.body) == {"auth": {"token": VALUE}}
    assert not reveals(_everything(result))  # the echo came back scrubbed
    assert MARK in result.output  # what the server echoed is marked raw, not shown as a handle


UNBOUND = [
    (),
    ("api.example.com",),
    ("127.0.0.2",),
    ("127.0.0.1:1",),
    ("127.0.0.1",),  # means https://127.0.0.1:443
    ("127.0.0.1:{port}",),  # https on that port: the server speaks plain http
    ("https://127.0.0.1:{port}",),
    ("http://127.0.0.1",),  # port 80
    ("http://localhost:{port}",),  # another spelling is another host
]


@pytest.mark.parametrize(("where", "extra"), WHERE, ids=[w[0] for w in WHERE])
@pytest.mark.parametrize("hosts", UNBOUND, ids=[",".join(h) or "none" for h in UNBOUND])
def test_a_secret_never_reaches_a_host_it_is_not_bound_to(
    where: str,
    extra: dict,
    hosts: tuple[str, ...],
    workspace_dir: Path,
    http_server: LoopbackServer,
) -> None:
    tool, _ = make_tool()
    bound = tuple(h.format(port=http_server.port) for h in hosts)
    ctx = ctx_for(workspace_dir, http_server, bound)
    with pytest.raises(ToolError, match=r"\{\{secret:TOKEN\}\} (is not bound|may only be sent to)"):
        tool.plan({"url": http_server.url("/"), **extra}, ctx)
    assert http_server.seen == []


@pytest.mark.parametrize(("where", "extra"), WHERE[1:], ids=[w[0] for w in WHERE[1:]])
def test_non_ascii_secrets_in_query_and_body_are_sent_and_scrubbed(
    where: str, extra: dict, workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    ctx = ctx_for(workspace_dir, http_server, (origin(http_server),))
    ctx.secrets = Secrets({"TOKEN": (WIDE, (origin(http_server),))})
    result = tool.run(tool.plan({"url": http_server.url("/echo"), **extra}, ctx), ctx)
    assert result.ok
    seen = http_server.seen[0]
    if where == "json":
        assert json.loads(seen.body) == {"auth": {"token": WIDE}}
    elif where == "body":
        assert seen.body.decode() == f"token={WIDE}"
    else:
        assert seen.path == "/echo?key=" + quote_plus(WIDE)
    everything = _everything(result)
    for form in (WIDE, quote(WIDE, safe=""), quote_plus(WIDE), json.dumps(WIDE)[1:-1]):
        assert form not in everything


@pytest.mark.parametrize("bad", ["line\r\nX-Injected: 1", "caf\u00e9", "nul\x00"])
def test_a_secret_that_would_break_a_header_is_refused(
    bad: str, workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    ctx = ctx_for(workspace_dir, http_server, (origin(http_server),))
    ctx.secrets = Secrets({"TOKEN": (bad, (origin(http_server),))})
    with pytest.raises(ToolError, match="cannot be sent in a header"):
        tool.plan({"url": http_server.url("/"), "headers": {"X-Key": HANDLE}}, ctx)
    assert http_server.seen == []


def test_binding_removed_after_plan_is_checked_again_at_run(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    secrets = Secrets({"TOKEN": (VALUE, (origin(http_server),))})
    ctx = make_ctx(workspace_dir, allow_hosts={http_server.key}, secrets=secrets)
    action = tool.plan({"url": http_server.url("/"), "headers": {"X-Key": HANDLE}}, ctx)
    secrets.entries["TOKEN"] = (VALUE, ("elsewhere.test",))
    with pytest.raises(ToolError, match="may only be sent to https://elsewhere.test:443"):
        tool.run(action, ctx)
    assert http_server.seen == []


BINDINGS = [
    ("api.test", "https://api.test:443"),
    ("API.test.", "https://api.test:443"),
    ("api.test:8443", "https://api.test:8443"),
    ("https://api.test", "https://api.test:443"),
    ("http://api.test", "http://api.test:80"),
    ("HTTP://API.test.:8080/", "http://api.test:8080"),
    ("[::1]:80", "https://[::1]:80"),
    ("::1", "https://[::1]:443"),
    ("http://[0:0::1]", "http://[::1]:80"),
    ("10.0.0.1", "https://10.0.0.1:443"),
]


@pytest.mark.parametrize(("entry", "means"), BINDINGS, ids=[b[0] for b in BINDINGS])
def test_a_binding_means_scheme_host_and_port(entry: str, means: str) -> None:
    assert str(parse_binding(entry)) == means
    scheme, rest = means.split("://")
    assert bound_to((entry,), parse_url(means))
    other_scheme = "http" if scheme == "https" else "https"
    assert not bound_to((entry,), parse_url(f"{other_scheme}://{rest}"))
    host, _, port = rest.rpartition(":")
    assert not bound_to((entry,), parse_url(f"{scheme}://{host}:{int(port) + 1}"))


@pytest.mark.parametrize(
    "entry",
    [
        "ftp://api.test",
        "api.test/path",
        "user@api.test",
        "api.test:0",
        "api.test:99999",
        "a b",
        "{{secret:X}}",
        "",
        "[::1",
        "*.test",
        "http://",
        "api.test:port",
    ],
)
def test_an_unreadable_binding_is_refused_and_binds_nothing(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_binding(entry)
    assert not bound_to((entry,), parse_url("https://api.test/"))


def test_binding_with_a_port_is_exact(workspace_dir: Path, http_server: LoopbackServer) -> None:
    tool, _ = make_tool()
    ctx = ctx_for(workspace_dir, http_server, (origin(http_server),))
    assert tool.run(
        tool.plan({"url": http_server.url("/"), "headers": {"X-Key": HANDLE}}, ctx), ctx
    ).ok
    assert http_server.seen[0].headers["x-key"] == VALUE


def test_missing_secrets_and_malformed_handles_are_clear_errors(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    tool, _ = make_tool()
    ctx = make_ctx(
        workspace_dir,
        allow_hosts={http_server.key},
        secrets=Secrets({"EMPTY": ("", (origin(http_server),))}),
    )
    url = http_server.url("/")
    with pytest.raises(ToolError, match=r"\{\{secret:EMPTY\}\} has no value"):
        tool.plan({"url": url, "headers": {"X-Key": "{{secret:EMPTY}}"}}, ctx)
    with pytest.raises(ToolError, match="is not bound to any host"):
        tool.plan({"url": url, "headers": {"X-Key": "{{secret:NOPE}}"}}, ctx)
    for bad in ("{{ secret:TOKEN }}", "{{secret:TO KEN}}", "{{SECRET:TOKEN}}", "{{secret:}}"):
        with pytest.raises(ToolError, match="malformed secret handle"):
            tool.plan({"url": url, "body": bad, "method": "POST"}, ctx)
    with pytest.raises(ToolError, match="not a valid header name"):
        tool.plan({"url": url, "headers": {"{{secret:TOKEN}}": "x"}}, ctx)
    no_source = make_ctx(workspace_dir, allow_hosts={http_server.key})
    with pytest.raises(ToolError, match="no secrets are available"):
        tool.plan({"url": url, "headers": {"X-Key": HANDLE}}, no_source)
    assert http_server.seen == []


def test_secret_headers_are_stripped_on_a_redirect_to_another_host(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    with LoopbackServer() as other:
        http_server.routes["/go"] = lambda seen: Reply(302, [("Location", other.url("/landed"))])
        tool, _ = make_tool()
        ctx = ctx_for(
            workspace_dir,
            http_server,
            (origin(http_server),),
            unlocked_hosts={http_server.key, other.key},
        )
        set_allow_hosts(ctx, {http_server.key, other.key})
        args = {
            "url": http_server.url("/go"),
            "headers": {"X-Api-Key": HANDLE, "Authorization": "Basic abc", "X-Plain": "kept"},
        }
        result = tool.run(tool.plan(args, ctx), ctx)
        assert result.ok
        assert http_server.seen[0].headers["x-api-key"] == VALUE
        landed = other.seen[0].headers
        assert "x-api-key" not in landed and "authorization" not in landed
        assert landed["x-plain"] == "kept"


def test_secret_headers_stay_on_a_same_host_redirect(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    http_server.routes["/a"] = lambda seen: Reply(307, [("Location", "/b")])
    tool, _ = make_tool()
    ctx = ctx_for(workspace_dir, http_server, (origin(http_server),))
    result = tool.run(
        tool.plan({"url": http_server.url("/a"), "headers": {"X-Api-Key": HANDLE}}, ctx), ctx
    )
    assert result.ok and [s.headers.get("x-api-key") for s in http_server.seen] == [VALUE, VALUE]


def test_a_redirect_carrying_the_secret_to_an_unbound_host_is_refused(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    with LoopbackServer() as other:

        def bounce(seen: Seen) -> Reply:  # a server that puts the key it got into the next URL
            return Reply(302, [("Location", other.url("/steal?k=" + quote(VALUE, safe="")))])

        http_server.routes["/r"] = bounce
        tool, _ = make_tool()
        ctx = make_ctx(
            workspace_dir,
            allow_hosts={http_server.key, other.key},
            unlocked_hosts={other.key},
            secrets=Secrets({"TOKEN": (VALUE, (origin(http_server),))}),
        )
        result = tool.run(
            tool.plan({"url": http_server.url("/r"), "headers": {"X-K": HANDLE}}, ctx), ctx
        )
        assert not result.ok and "carries the value of {{secret:TOKEN}}" in result.output
        assert other.seen == []
        assert not reveals(_everything(result))


def test_response_headers_and_saved_files_are_scrubbed(
    workspace_dir: Path, http_server: LoopbackServer
) -> None:
    def leak(seen: Seen) -> Reply:
        body = json.dumps({"you_sent": seen.headers.get("x-key", "")}, ensure_ascii=False).encode()
        return Reply(
            200, [("Content-Type", "application/json"), ("X-Echo", quote_plus(VALUE))], body
        )

    http_server.routes["/leak"] = leak
    tool, _ = make_tool()
    ctx = ctx_for(workspace_dir, http_server, (origin(http_server),))
    ascii_value = "tok_ABC123xyz"
    ctx.secrets = Secrets({"TOKEN": (ascii_value, (origin(http_server),))})
    result = tool.run(
        tool.plan(
            {"url": http_server.url("/leak"), "headers": {"X-Key": HANDLE}, "save_to": "resp.json"},
            ctx,
        ),
        ctx,
    )
    assert result.ok
    assert http_server.seen[0].headers["x-key"] == ascii_value
    assert ascii_value not in _everything(result)
    saved = (workspace_dir / "resp.json").read_text()
    assert ascii_value not in saved and json.loads(saved) == {"you_sent": MARK}


def test_scrubber_covers_every_spelling() -> None:
    values = SecretValues({"TOKEN": VALUE})
    for form in (VALUE, quote(VALUE, safe=""), quote_plus(VALUE), json.dumps(VALUE)[1:-1]):
        assert values.scrub(f"a {form} b") == f"a {MARK} b"
        assert values.scrub_bytes(f"a {form} b".encode()) == f"a {MARK} b".encode()
    assert json.loads(values.fill_json('{"t":"' + HANDLE + '"}')) == {"t": VALUE}
    assert SecretValues({}).scrub("unchanged") == "unchanged"


def test_errors_never_carry_the_secret(
    workspace_dir: Path, http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever text a failure carries (httpx puts URLs in some messages) is scrubbed first;
    it may quote what a server sent, so a value there is marked raw, not shown as a handle."""
    from tools.http_request import fetch

    def fail(self: object, addrs: object) -> None:
        raise ToolError(f"failed for http://x/?k={quote_plus(VALUE)} and {VALUE}")

    monkeypatch.setattr(fetch.Fetcher, "fetch", fail)
    tool, _ = make_tool()
    ctx = ctx_for(workspace_dir, http_server, (origin(http_server),))
    with pytest.raises(ToolError) as info:
        tool.run(tool.plan({"url": http_server.url("/"), "query": {"k": HANDLE}}, ctx), ctx)
    assert not reveals(str(info.value)) and str(info.value).count(MARK) == 2
