"""Sending a checked request and following redirects by hand: every hop is parsed, resolved,
checked and pinned again, and secrets never follow a redirect to a host they are not bound to.

Redirect rules (the tool follows redirects itself, never httpx):
- 303 turns any method but HEAD into GET without a body; 301/302 turn POST into GET (as browsers
  and httpx do); 307/308 keep the method and the body.
- A hop to the same host:port (or http→https on the same name) is followed.
- A hop to another host:port is followed only for GET/HEAD/OPTIONS without a body, and only when
  that host:port is already allowed in this session (approved, or listed in the config); a write
  that is redirected elsewhere is never re-sent there. Otherwise the tool stops and says where the
  server pointed, so the model can ask for it as a new, separately approved request.
- Every hop's addresses must pass the private-address rule on their own.
- At most ``max_redirects`` hops.
"""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from tools.base import SecretSource, ToolError, UnlockCheck
from tools.http_request.addresses import (
    RESOLVE_TIMEOUT,
    IPAddress,
    Resolver,
    addresses_for,
    describe_private,
    resolve,
)
from tools.http_request.body import ACCEPT_ENCODING, Body, BodyError, read_body
from tools.http_request.handles import HANDLE, SecretValues, bound_to
from tools.http_request.settings import HttpSettings
from tools.http_request.spec import SAFE_METHODS, RequestSpec
from tools.http_request.transport import Deadline, PinnedBackend, PinnedTransport
from tools.http_request.unlocks import private_allowed, reachable
from tools.http_request.urls import Target, parse_url

REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "live-assistant (http_request tool)"
_CROSS_HOST_DROP = ("authorization", "cookie", "proxy-authorization")


def _upgrade(current: Target, nxt: Target) -> bool:
    """http://host/ to https://host/ on the default ports: the same site, now encrypted."""
    ports = (current.scheme, current.port, nxt.scheme, nxt.port)
    return nxt.host == current.host and ports == ("http", 80, "https", 443)


class RedirectRefused(Exception):
    """A redirect the tool will not follow; the message says why and where it pointed."""


@dataclass(frozen=True)
class Hop:
    method: str
    url: str
    status: int
    address: str | None


@dataclass
class Exchange:
    """What came back: the last response, and every redirect hop before it (URLs scrubbed)."""

    method: str
    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: Body | None
    address: str | None
    hops: list[Hop] = field(default_factory=list)
    stopped: str | None = None
    """Set when a redirect was not followed: why."""
    elapsed: float = 0.0


@dataclass(frozen=True)
class Permissions:
    """What the session allows, asked when each hop is checked (at run time, not plan time)."""

    unlocked: UnlockCheck
    """The unlocks of this session ("host:<host>:<port>"), see ``tools.http_request.unlocks``."""
    secrets: SecretSource | None
    denied: Callable[[str], str | None] = lambda target: None
    """The deny rules, asked per target ("host:<name>:<port>", "host:<ip>:<port>") at run time."""

    def private_ok(self, key: str) -> bool:
        return private_allowed(self.unlocked(f"host:{key}"))

    def reachable(self, key: str) -> bool:
        return reachable(self.unlocked(f"host:{key}"))


def check_private(key: str, addrs: Sequence[IPAddress], perms: Permissions) -> str | None:
    """The refusal text when ``key`` reaches a private address nobody allowed, else None."""
    why = describe_private(key, addrs)
    if why is None or perms.private_ok(key):
        return None
    return why


def check_denied(key: str, addrs: Sequence[IPAddress], port: int, perms: Permissions) -> str | None:
    """The reason of a deny rule covering the host or any address it resolved to, else None.
    A rule for a name also covers the addresses that name resolves to now (the policy resolves
    the rule's own name when asked about an address)."""
    reason = perms.denied(f"host:{key}")
    if reason is not None:
        return reason
    for addr in addrs:
        reason = perms.denied(f"host:{addr}:{port}")
        if reason is not None:
            return f"{reason} (address {addr})"
    return None


class Fetcher:
    def __init__(
        self,
        spec: RequestSpec,
        values: SecretValues,
        perms: Permissions,
        limits: HttpSettings,
        resolver: Resolver,
        ssl_context: Callable[[], ssl.SSLContext],
        shown_url: str | None = None,
    ) -> None:
        self.spec = spec
        self.values = values
        self.perms = perms
        self.limits = limits
        self.resolver = resolver
        self.ssl_context = ssl_context
        self.shown_url = shown_url or self.values.scrub(str(spec.url()))

    def _headers(self, target: Target, cross_host: bool, has_body: bool) -> list[tuple[str, str]]:
        out = []
        for name, value in self.spec.headers:
            if cross_host and name.lower() in _CROSS_HOST_DROP:
                continue
            names = HANDLE.findall(value)
            if any(not self._bound(n, target) for n in names):
                continue  # stripped: that secret may not go to this host
            out.append((name, self.values.fill(value)))
        given = {n.lower() for n, _ in out}
        if "user-agent" not in given:
            out.append(("User-Agent", USER_AGENT))
        if "accept" not in given:
            out.append(("Accept", "*/*"))
        out.append(("Accept-Encoding", ACCEPT_ENCODING))
        if has_body and "content-type" not in given:
            kind = (
                "application/json" if self.spec.body_kind == "json" else "text/plain; charset=utf-8"
            )
            out.append(("Content-Type", kind))
        return out

    def _bound(self, name: str, target: Target) -> bool:
        source = self.perms.secrets
        return source is not None and bound_to(source.hosts(name), target)

    def _proxy(
        self, target: Target, deadline: Deadline
    ) -> tuple[httpx.URL | None, dict[tuple[str, int], list[str]]]:
        """The proxy from the environment, only when the config turned that on."""
        if not self.limits.use_proxy_env:
            return None, {}
        env = urllib.request.getproxies_environment()
        raw = env.get(target.scheme)
        if not raw or urllib.request.proxy_bypass(target.host):
            return None, {}
        try:
            proxy = httpx.URL(raw if "://" in raw else f"http://{raw}")
        except httpx.InvalidURL:
            raise ToolError(f"the {target.scheme} proxy in the environment is not a URL") from None
        if proxy.scheme != "http" or not proxy.host:
            raise ToolError("only http:// proxies are supported (from the environment)")
        port = proxy.port or 80
        addrs = resolve(proxy.host, port, self.resolver, min(RESOLVE_TIMEOUT, deadline.left()))
        return proxy, {(proxy.host, port): [str(a) for a in addrs]}

    def fetch(self, first_addrs: Sequence[IPAddress]) -> Exchange:
        started = time.monotonic()
        deadline = Deadline(self.spec.timeout)
        method = self.spec.method
        target = self.spec.target
        url = self.spec.url(self.values.fill)
        body = self.spec.body_bytes(self.values.fill, self.values.fill_json)
        cross_host = False
        addrs = list(first_addrs)
        hops: list[Hop] = []
        shown = self.shown_url  # the first URL as the model wrote it; later ones came from servers
        while True:
            proxy, pins = self._proxy(target, deadline)
            if proxy is None:
                pins = {(target.host, target.port): [str(a) for a in addrs]}
            backend = PinnedBackend(pins, deadline)
            tls = self.ssl_context() if target.scheme == "https" else None
            transport = PinnedTransport(backend, tls, proxy)
            headers = self._headers(target, cross_host, body is not None)
            request = httpx.Request(
                method,
                url,
                headers=headers,
                content=body,
                extensions={"timeout": httpx.Timeout(max(deadline.left(), 0.001)).as_dict()},
            )
            try:
                response = transport.handle_request(request)
                response.request = request
                address = backend.connected[-1] if backend.connected else None
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location is not None:
                    hops.append(Hop(method, shown, response.status_code, address))
                    response.close()
                    if len(hops) > self.limits.max_redirects:
                        return self._stopped(
                            response,
                            hops,
                            started,
                            f"stopped after {self.limits.max_redirects} redirects",
                        )
                    try:
                        method, body, nxt, addrs = self._next_hop(
                            method, body, response.status_code, target, url, location, deadline
                        )
                    except RedirectRefused as exc:
                        return self._stopped(response, hops, started, self.values.scrub(str(exc)))
                    # as httpx does: credentials stay with the origin (or its https upgrade)
                    cross_host = cross_host or (nxt.key != target.key and not _upgrade(target, nxt))
                    target = nxt
                    url = target.url
                    shown = self.values.scrub(str(url))
                    continue
                try:
                    got = (
                        None
                        if method == "HEAD"
                        else read_body(response, self.limits.max_body_bytes, deadline)
                    )
                finally:
                    response.close()  # a cut body leaves bytes unread: drop the connection
                return Exchange(
                    method=method,
                    url=shown,
                    status=response.status_code,
                    reason=self.values.scrub(response.reason_phrase),
                    headers=[(k, self.values.scrub(v)) for k, v in response.headers.multi_items()],
                    body=got,
                    address=address,
                    hops=hops,
                    elapsed=time.monotonic() - started,
                )
            except BodyError as exc:
                raise ToolError(f"{exc}; the server did receive the request") from None
            except httpx.TimeoutException as exc:
                sent = "" if not backend.connected else "; the server may have received the request"
                raise ToolError(f"timed out after {self.spec.timeout:g} s ({exc}){sent}") from None
            except httpx.ConnectError as exc:
                raise ToolError(f"could not connect to {target.key}: {exc}") from None
            except httpx.HTTPError as exc:
                raise ToolError(
                    f"the request to {target.key} failed ({type(exc).__name__}: {exc}); "
                    "the server may have received it"
                ) from None
            finally:
                transport.close()

    def _stopped(
        self, response: httpx.Response, hops: list[Hop], started: float, why: str
    ) -> Exchange:
        return Exchange(
            method=hops[-1].method,
            url=hops[-1].url,
            status=response.status_code,
            reason=self.values.scrub(response.reason_phrase),
            headers=[(k, self.values.scrub(v)) for k, v in response.headers.multi_items()],
            body=None,
            address=hops[-1].address,
            hops=hops,
            stopped=why,
            elapsed=time.monotonic() - started,
        )

    def _next_hop(
        self,
        method: str,
        body: bytes | None,
        status: int,
        current: Target,
        url: httpx.URL,
        location: str,
        deadline: Deadline,
    ) -> tuple[str, bytes | None, Target, list[IPAddress]]:
        shown = self.values.scrub(location)[:300]
        try:
            joined = str(url.join(location))
        except (httpx.InvalidURL, ValueError):
            raise RedirectRefused(
                f"the server redirected to {shown!r}, which is not a valid URL"
            ) from None
        try:
            nxt = parse_url(joined, what="redirect")
        except ToolError as exc:
            raise RedirectRefused(
                f"the server redirected to {shown!r}, which is refused ({exc})"
            ) from None
        if status == 303 and method != "HEAD" or status in (301, 302) and method == "POST":
            method, body = "GET", None
        where = self.values.scrub(str(nxt.url))
        if nxt.key != current.key and not _upgrade(current, nxt):
            if method not in SAFE_METHODS or body is not None:
                raise RedirectRefused(
                    f"the server redirected this {method} to {where}; a request that changes data is "
                    "never re-sent to another host. Make a new request there if it is wanted"
                )
            if not self.perms.reachable(nxt.key):
                raise RedirectRefused(
                    f"the server redirected to {where}, but {nxt.key} is not allowed in this session; "
                    "request that URL directly so a person can approve it"
                )
        for name in self.values.leaked(joined):
            if not self._bound(name, nxt):
                raise RedirectRefused(
                    f"the redirect URL carries the value of {{{{secret:{name}}}}}, which may not be "
                    f"sent to {nxt.host}; not followed"
                )
        in_body = HANDLE.findall(self.spec.body_text or "") if body is not None else []
        if any(not self._bound(n, nxt) for n in in_body):
            raise RedirectRefused(
                f"the body holds a secret that may not be sent to {nxt.host}; not followed"
            )
        denial = self.perms.denied(f"host:{nxt.key}")
        if denial is not None:
            raise RedirectRefused(
                f"the server redirected to {where}, which a deny rule refuses: {denial}"
            )
        try:
            left = deadline.clamp(None, ToolError)
            addrs = addresses_for(nxt.host, nxt.port, self.resolver, min(RESOLVE_TIMEOUT, left))
        except ToolError as exc:
            raise RedirectRefused(f"the server redirected to {where}; {exc}") from None
        refused = check_private(nxt.key, addrs, self.perms)
        if refused is not None:
            raise RedirectRefused(
                f"the server redirected to {where}, but {refused}; a redirect never unlocks a private "
                "address. Request it directly so a person can approve it"
            )
        denial = check_denied(nxt.key, addrs, nxt.port, self.perms)
        if denial is not None:
            raise RedirectRefused(
                f"the server redirected to {where}, which a deny rule refuses: {denial}"
            )
        return method, body, nxt, addrs
