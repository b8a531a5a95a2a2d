"""Real HTTP(S) servers on loopback that record every request, a fake DNS that never touches the
network, and a guard that refuses (and records) any connection to a non-loopback address."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.agent.policy import Policy
from assistant.runtime import standing_unlocks
from tools.base import ToolContext
from tools.http_request import HttpRequestTool, HttpSettings
from tools.http_request.unlocks import host_unlock
from tools.workspace import Workspace


@dataclass
class Seen:
    """One request a server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""
    """bytes (sent with Content-Length) or an iterable of chunks (sent until the connection closes)."""


Route = Callable[[Seen], Reply]


def echo(seen: Seen) -> Reply:
    """The default route: what the server saw, as JSON."""
    payload = {
        "method": seen.method,
        "path": seen.path,
        "headers": seen.headers,
        "body": seen.body.decode("utf-8", "replace"),
    }
    return Reply(200, [("Content-Type", "application/json")], json.dumps(payload).encode())


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (or ::1); ``seen`` lists every request it got."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.sni: list[str | None] = []
        self.release = threading.Event()
        """Set on stop: handlers that stall on purpose wait on it."""
        server = self
        family = socket.AF_INET6 if ":" in host else socket.AF_INET

        class Server(ThreadingHTTPServer):
            address_family = family
            daemon_threads = True

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                server.seen.append(seen)
                route = server.routes.get(self.path.split("?")[0], echo)
                reply = route(seen)
                self.close_connection = True
                self.send_response(reply.status)
                for name, value in reply.headers:
                    self.send_header(name, value)
                if isinstance(reply.body, bytes):
                    self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command == "HEAD":
                    return
                try:
                    if isinstance(reply.body, bytes):
                        self.wfile.write(reply.body)
                    else:
                        for chunk in reply.body:
                            self.wfile.write(chunk)
                            self.wfile.flush()
                except OSError:
                    pass  # the client stopped reading (a cap or a deadline): expected

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        self._httpd = Server((host, 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def key(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/", host: str | None = None, scheme: str = "http") -> str:
        name = host or self.host
        if ":" in name and not name.startswith("["):
            name = f"[{name}]"
        return f"{scheme}://{name}:{self.port}{path}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def _numeric(host: str, port: int) -> list[str] | None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return None
    return [str(i[4][0]) for i in infos]


class FakeDNS:
    """Maps test names to addresses; numeric spellings and localhost go to the OS (no DNS query
    leaves the machine); any other name fails as unknown. A value may be a callable, so a name
    can answer differently on each lookup (DNS rebinding)."""

    def __init__(self, names: dict[str, list[str] | Callable[[], list[str]]] | None = None) -> None:
        self.names = dict(names or {})
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host in self.names:
            value = self.names[host]
            return list(value() if callable(value) else value)
        numeric = _numeric(host, port)
        if numeric is not None:
            return numeric
        if host == "localhost":
            return [str(i[4][0]) for i in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (test DNS)")


def _is_local(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


class NetworkGuard:
    """Replaces socket.create_connection: loopback connects, anything else is refused and noted."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.blocked: list[tuple[str, int]] = []
        self._real = socket.create_connection

    def __call__(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host, port = address[0], address[1]
        self.attempts.append((host, port))
        if not _is_local(host):
            self.blocked.append((host, port))
            raise OSError(101, f"test guard: no packets to {host}")
        return self._real(address, *args, **kwargs)


@pytest.fixture
def net_guard(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    """No connection leaves loopback during the test; attempts are recorded."""
    g = NetworkGuard()
    monkeypatch.setattr(socket, "create_connection", g)
    return g


@pytest.fixture
def http_server(net_guard: NetworkGuard) -> Iterator[LoopbackServer]:
    """A recording HTTP server on 127.0.0.1, with the network guard on."""
    with LoopbackServer() as s:
        yield s


def make_ctx(
    workspace_dir: Path,
    *,
    allow_hosts: Iterable[str] = (),
    unlocked_hosts: Iterable[str] = (),
    settings: HttpSettings | None = None,
    protected: Iterable[Path] = (),
    **kwargs: Any,
) -> ToolContext:
    """A ToolContext on a workspace whose protected folder is the app's own state, with the
    session's real policy behind ``ctx.unlocked``: ``allow_hosts`` as the config's allow_hosts
    (or --allow-host), ``unlocked_hosts`` as hosts a person approved a request to."""
    ctx = ToolContext(
        workspace=Workspace(workspace_dir, protected=tuple(protected)),
        tool_settings=(settings,) if settings is not None else (),
        **kwargs,
    )
    ctx.unlocked = Policy(standing=standing_unlocks(allow_hosts)).unlocked
    for key in unlocked_hosts:
        approve_host(ctx, key)
    return ctx


def policy_of(ctx: ToolContext) -> Policy:
    """The policy whose unlocks ``ctx`` reads (made by ``make_ctx``)."""
    policy = getattr(ctx.unlocked, "__self__", None)
    assert isinstance(policy, Policy), "make the context with make_ctx"
    return policy


def approve_host(ctx: ToolContext, key: str, *, private: bool = False) -> None:
    """What approving a request to ``key`` leaves behind: the tool's own unlock, recorded by the
    policy (``private``: a person approved a preview naming its private address)."""
    policy_of(ctx).unlock(host_unlock(key, private), "human" if private else "--approve all")


def set_allow_hosts(ctx: ToolContext, keys: Iterable[str]) -> None:
    """Change what the config allows (as a restart with another allow_hosts would)."""
    policy_of(ctx).standing = {u.target: u for u in standing_unlocks(keys)}


def allowed(workspace_dir: Path, srv: LoopbackServer, **kwargs: Any) -> ToolContext:
    """A context where ``srv`` (a loopback server) is allowed by config, like --allow-host."""
    return make_ctx(workspace_dir, allow_hosts={srv.key}, **kwargs)


def make_tool(
    names: dict[str, Any] | None = None, **kwargs: Any
) -> tuple[HttpRequestTool, FakeDNS]:
    dns = FakeDNS(names)
    return HttpRequestTool(resolver=dns, **kwargs), dns


class Secrets:
    """A SecretSource for tests: name -> (value, hosts)."""

    def __init__(self, entries: dict[str, tuple[str, tuple[str, ...]]]) -> None:
        self.entries = entries
        self.reads: list[str] = []

    def value(self, name: str) -> str | None:
        self.reads.append(name)
        entry = self.entries.get(name)
        return entry[0] if entry else None

    def hosts(self, name: str) -> tuple[str, ...]:
        entry = self.entries.get(name)
        return entry[1] if entry else ()
