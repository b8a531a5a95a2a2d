"""Inbound: whatever a server sends back (body, headers, reason phrase, a body cut at its limit,
an excerpt cut for the model) reaches nobody with a secret's value in it, in any spelling."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from assistant.secrets import SERVICE, ConfiguredSecrets, Redactor, SecretStore
from tests.support import http_servers
from tests.support.http_servers import LoopbackServer, Reply, Secrets, Seen, make_ctx, make_tool
from tests.support.keyrings import MemoryKeyring
from tools.base import Result
from tools.http_request import HttpSettings
from tools.secret_match import base64_cores

net_guard = http_servers.net_guard
http_server = http_servers.http_server

VALUE = "tok_Live-4f9a1c7e2b8d0e6f3a5c"
OTHER = "pk_other-9e8d7c6b5a4f3e2d1c0b"
"""A secret this request does not use, which the server happens to know."""


def everything(result: Result) -> str:
    return json.dumps(
        {"output": result.output, "display": result.display, "data": result.data},
        ensure_ascii=False,
    )


def leaks(text: str, value: str, keep: int = 8) -> list[str]:
    """The spellings of ``value`` (and of its first ``keep`` characters) found in ``text``."""
    data = value.encode()
    forms = {
        "raw": value.lower(),
        "start": value[:keep].lower(),
        "hex": data.hex(),
        "percent": quote(value, safe="").lower(),
    }
    found = [name for name, form in forms.items() if form in text.lower()]
    found += [f"b64:{c}" for c in base64_cores(data) if c in text]
    return found


ECHOES = {
    "raw": lambda v: v,
    "upper": str.upper,
    "spaced": lambda v: " ".join(v),
    "html": lambda v: "".join(f"&#x{ord(c):x};" for c in v),
    "json-escaped": lambda v: "".join(f"\\u{ord(c):04x}" for c in v),
    "base64": lambda v: base64.b64encode(b"id:" + v.encode()).decode(),
    "base64url": lambda v: base64.urlsafe_b64encode(b"x" + v.encode()).decode(),
    "hex": lambda v: v.encode().hex().upper(),
    "percent": lambda v: "".join(f"%{b:02x}" for b in v.encode()),
}


@pytest.mark.parametrize("kind", ["text/plain", "application/json", "application/octet-stream"])
@pytest.mark.parametrize("echo", list(ECHOES))
def test_an_echo_in_any_spelling_comes_back_marked(
    echo: str, kind: str, workspace_dir: Path, http_server: LoopbackServer
) -> None:
    spelled = ECHOES[echo](VALUE)

    def reply(seen: Seen) -> Reply:
        assert seen.headers["x-k"] == VALUE
        body = json.dumps({"got": spelled}) if "json" in kind else f"got: {spelled}\n"
        headers = [("Content-Type", kind), ("X-Echo", spelled[:200])]
        return Reply(200, headers, body.encode())

    http_server.routes["/e"] = reply
    tool, _ = make_tool()
    ctx = make_ctx(
        workspace_dir,
        allow_hosts={http_server.key},
        secrets=Secrets({"T": (VALUE, (f"http://{http_server.key}",))}),
    )
    args = {"url": http_server.url("/e"), "headers": {"X-K": "{{secret:T}}"}, "save_to": "r.txt"}
    result = tool.run(tool.plan(args, ctx), ctx)
    assert result.ok, result.output
    shown = everything(result)
    assert leaks(shown, VALUE) == [] and "[raw value of secret T]" in shown
    assert leaks((workspace_dir / "r.txt").read_text(), VALUE) == []


@pytest.mark.parametrize("keep", [8, 13, 21, len(VALUE) - 1])
def test_a_value_cut_at_the_body_limit_leaves_no_part_behind(
    keep: int, workspace_dir: Path, http_server: LoopbackServer
) -> None:
    limit = 2000

    def reply(seen: Seen) -> Reply:
        body = "a" * (limit - keep) + seen.headers["x-k"] + " the rest"
        return Reply(200, [("Content-Type", "text/plain")], body.encode())

    http_server.routes["/c"] = reply
    tool, _ = make_tool()
    ctx = make_ctx(
        workspace_dir,
        allow_hosts={http_server.key},
        secrets=Secrets({"T": (VALUE, (f"http://{http_server.key}",))}),
        settings=HttpSettings(max_body_bytes=limit, model_excerpt_chars=100_000),
    )
    args = {"url": http_server.url("/c"), "headers": {"X-K": "{{secret:T}}"}}
    result = tool.run(tool.plan(args, ctx), ctx)
    assert result.data["truncated"] is True
    assert leaks(everything(result), VALUE, keep=8) == []
    assert "[part of the raw value of secret T]" in result.output


def test_another_secret_cut_by_the_excerpt_is_scrubbed_before_the_cut(
    workspace_dir: Path, http_server: LoopbackServer, memory_keyring: MemoryKeyring
) -> None:
    """The server knows a secret this request does not use; the excerpt limit would cut it in
    half where the session's Redactor could no longer recognise it. The tool scrubs every known
    secret first."""
    excerpt = 500
    http_server.routes["/o"] = lambda seen: Reply(
        200, [("Content-Type", "text/plain")], ("b" * (excerpt - 12) + OTHER + "\n").encode()
    )
    memory_keyring.store[(SERVICE, "OTHER")] = OTHER
    red = Redactor(lambda: [("OTHER", OTHER)])
    secrets = ConfiguredSecrets(SecretStore(), {"OTHER": ("https://other.example",)}, red)
    tool, _ = make_tool()
    ctx = make_ctx(
        workspace_dir,
        allow_hosts={http_server.key},
        secrets=secrets,
        settings=HttpSettings(model_excerpt_chars=excerpt),
    )
    result = tool.run(tool.plan({"url": http_server.url("/o")}, ctx), ctx)
    assert leaks(everything(result), OTHER, keep=8) == []
    assert leaks(red.redact_text(result.output), OTHER, keep=8) == []
