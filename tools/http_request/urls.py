"""URL checks: http(s) only, no credentials, no spelling tricks in the host; the host:port key."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

import httpx

from tools.base import ToolError

MAX_URL_CHARS = 8192
DEFAULT_PORTS = {"http": 80, "https": 443}
_HANDLE_START = re.compile(r"\{\{\s*secret\s*:", re.IGNORECASE)
_HOSTNAME = re.compile(
    r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$"
)


@dataclass(frozen=True)
class Target:
    """A checked URL and where it points: ``host`` is lower-case ASCII, without brackets or a
    trailing dot, so ``key`` ("host:port") matches what --allow-host and the gate record."""

    url: httpx.URL
    scheme: str
    host: str
    port: int

    @property
    def key(self) -> str:
        return f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return str(self.url)


def _refuse(what: str, message: str) -> ToolError:
    return ToolError(f"{what}: {message}")


def _visible(raw: str) -> bool:
    return not any(
        ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")
        for ch in raw
    )


def _check_host(host: str, what: str) -> str:
    if not host:
        raise _refuse(what, "the URL has no host")
    if "%" in host:
        raise _refuse(
            what, "percent-encoded or zone-scoped hosts are refused; write the host plainly"
        )
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _refuse(what, f"{host!r} is not a valid IPv6 address") from None
        return host  # kept as spelled: allowing one spelling never allows another
    if host.endswith("."):
        host = host[:-1]  # "localhost." is "localhost"; the address decides, not the spelling
    if len(host) > 253 or not _HOSTNAME.match(host):
        raise _refuse(what, f"{host!r} is not a valid host name")
    return host


def parse_url(raw: object, what: str = "url") -> Target:
    """Check a URL the model (or a redirect) gave; the error says exactly what to fix."""
    if not isinstance(raw, str) or not raw:
        raise _refuse(what, "a URL string is required")
    if len(raw) > MAX_URL_CHARS:
        raise _refuse(what, f"longer than {MAX_URL_CHARS:,} characters")
    if not _visible(raw):
        raise _refuse(what, "contains whitespace or control characters; percent-encode them")
    if "\\" in raw:
        raise _refuse(what, "backslashes are refused (clients disagree on what they mean)")
    if _HANDLE_START.search(raw):
        raise _refuse(
            what, "secret handles may not appear in the URL; put them in headers, query or body"
        )
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError) as exc:
        raise _refuse(what, f"not a valid URL ({exc})") from None
    scheme = url.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        shown = f"{scheme}:" if scheme else "a relative URL"
        raise _refuse(what, f"only http and https URLs are allowed, not {shown}")
    if url.userinfo:
        raise _refuse(
            what,
            "credentials in the URL are refused; send them in a header using a "
            "{{secret:NAME}} handle",
        )
    host = _check_host(url.raw_host.decode("ascii", "replace").lower(), what)
    port = url.port if url.port is not None else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise _refuse(what, f"port {port} is out of range")
    try:
        clean = url.copy_with(scheme=scheme, host=host, fragment=None)
    except (httpx.InvalidURL, ValueError) as exc:
        raise _refuse(what, f"not a valid URL ({exc})") from None
    return Target(url=clean, scheme=scheme, host=host, port=port)
