"""Which IP addresses a request may reach, and resolving a host name once, with a time bound."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any

from tools.base import ToolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""host, port -> the IP addresses (as strings) it resolves to; raises OSError when it cannot."""

RESOLVE_TIMEOUT = 5.0
"""Seconds one name lookup may take; a hanging DNS server must not hang the tool."""

METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack instance metadata
        "169.254.170.2",  # AWS ECS task credentials
        "168.63.129.16",  # Azure wireserver: a public address that is not the internet
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_ULA = ipaddress.ip_network("fc00::/7")


LOOPBACK_NAMES = ("localhost",)
"""Names that mean this machine whatever DNS says (RFC 6761, also every name under them)."""
LOOPBACK = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))


def system_resolve(host: str, port: int) -> list[str]:
    """The operating system's answer; only ever asked after approval, right before connecting."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def literal_addresses(host: str, port: int) -> list[IPAddress] | None:
    """The address an IP literal in any spelling means (``127.1``, ``0x7f000001``,
    ``2130706433``, ``[::ffff:7f00:1]``), read without any lookup (AI_NUMERICHOST); the
    loopback addresses for ``localhost`` and names under it; None for a name, which is only
    resolved after approval."""
    if host in LOOPBACK_NAMES or host.endswith(tuple("." + n for n in LOOPBACK_NAMES)):
        return list(LOOPBACK)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    found: list[IPAddress] = []
    for info in infos:
        addr = parse_address(str(info[4][0]))
        if addr not in found:
            found.append(addr)
    return found or None


def _embedded_v4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 form carries (mapped, translated, NAT64, 6to4), and the form."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _TRANSLATED:
        return low32, "IPv4-translated"
    if ip in _NAT64:
        return low32, "NAT64"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    return None


def problem(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public internet address (e.g. "loopback"), or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "zone-scoped"
        embedded = _embedded_v4(ip)
        if embedded is not None:
            inner, form = embedded
            why = problem(inner)
            return f"{why}, {form} form of {inner}" if why else None
        if ip in _NAT64_LOCAL:
            return "local-use NAT64"
        if ip in _COMPATIBLE and not (ip.is_loopback or ip.is_unspecified):
            return "reserved (IPv4-compatible)"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip in METADATA, "cloud metadata"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "CGNAT shared address space"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in _ULA, "unique local"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "site-local"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "not publicly routable"),
    )
    for hit, why in checks:
        if hit:
            return why
    return None


def parse_address(text: str) -> IPAddress:
    """An address from a resolver or from stored state; anything unparsable is refused."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ToolError(f"the resolver returned {text!r}, which is not an IP address") from None


def resolve(host: str, port: int, resolver: Resolver, timeout: float) -> list[IPAddress]:
    """Every address ``host`` resolves to, once, within ``timeout`` seconds (in a daemon thread:
    getaddrinfo cannot be cancelled, so a hung lookup is abandoned rather than waited on)."""
    box: dict[str, Any] = {}

    def lookup() -> None:
        try:
            box["addrs"] = list(resolver(host, port))
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=lookup, name=f"resolve-{host}", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.001))
    if worker.is_alive():
        raise ToolError(f"resolving {host} took longer than {timeout:g} s; nothing was sent")
    if "error" in box:
        exc = box["error"]
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ToolError(f"cannot resolve {host}: {reason or type(exc).__name__}; nothing was sent")
    found: list[IPAddress] = []
    for text in box.get("addrs", []):
        addr = parse_address(str(text))
        if addr not in found:
            found.append(addr)
    if not found:
        raise ToolError(f"{host} resolved to no address; nothing was sent")
    return found


def addresses_for(host: str, port: int, resolver: Resolver, timeout: float) -> list[IPAddress]:
    """What a host means when a request is about to be sent: a literal read as such, localhost
    as loopback, and any other name resolved once (the first time anything leaves)."""
    literal = literal_addresses(host, port)
    return literal if literal is not None else resolve(host, port, resolver, timeout)


def first_problem(addrs: Sequence[IPAddress]) -> tuple[IPAddress, str] | None:
    """The first non-public address and why; one is enough to refuse the host."""
    for addr in addrs:
        why = problem(addr)
        if why is not None:
            return addr, why
    return None


def describe_private(key: str, addrs: Sequence[IPAddress]) -> str | None:
    """The needs-person text, naming the private address a person must see before approving."""
    hit = first_problem(addrs)
    if hit is None:
        return None
    addr, why = hit
    others = sum(1 for a in addrs if a != addr)
    more = f" (of {others + 1} addresses it resolves to)" if others else ""
    return f"{key} resolves to private address {addr} ({why}){more}"
