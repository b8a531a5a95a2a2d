"""Secret handles ({{secret:NAME}}): which hosts they may reach, substitution at send time, and
scrubbing their values out of everything a response brings back."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tools.base import SecretSource, ToolError
from tools.http_request.urls import DEFAULT_PORTS, Target
from tools.secret_match import SecretMatcher, matcher_for

HANDLE = re.compile(r"\{\{secret:([A-Za-z0-9_.-]{1,64})\}\}")
_LOOSE = re.compile(r"\{\{\s*secret\s*:", re.IGNORECASE)
_HOST = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$")


def handle(name: str) -> str:
    return "{{secret:" + name + "}}"


def names_in(text: str, where: str) -> set[str]:
    """The secret names ``text`` refers to; a near-miss handle is refused, never sent as text."""
    names = HANDLE.findall(text)
    if len(_LOOSE.findall(text)) != len(names):
        raise ToolError(
            f"{where}: malformed secret handle; write it exactly as {{{{secret:NAME}}}} "
            "(letters, digits, '_', '-', '.')"
        )
    return set(names)


@dataclass(frozen=True)
class Binding:
    """Where a secret may go: one scheme, host and port, all three compared exactly."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_binding(entry: str) -> Binding:
    """A ``[secrets.NAME] hosts`` entry or a ``keys set --host`` value, read strictly.

    ``api.example.com`` means ``https://api.example.com:443``; a port (``api.example.com:8443``)
    keeps https; ``http://`` must be written to allow plain HTTP (``http://localhost:8000``).
    IPv6 addresses are written in brackets when a port follows (``[::1]:8443``).
    """
    text = entry.strip()
    scheme = "https"
    lowered = text.lower()
    for candidate in ("https://", "http://"):
        if lowered.startswith(candidate):
            scheme = candidate[:-3]
            text = text[len(candidate) :]
            break
    else:
        if "://" in text:
            raise ValueError(f"{entry!r}: only http:// and https:// bindings exist")
    text = text.removesuffix("/")
    if not text or any(c in text for c in "/?#@\\ \t") or _LOOSE.search(text):
        raise ValueError(f"{entry!r}: expected HOST, HOST:PORT or http(s)://HOST[:PORT]")
    port: int | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{entry!r}: an IPv6 address is written as [ADDRESS]:PORT")
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, None  # a bare name, IPv4 or IPv6 address
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
        port = int(port_text)
    host = host.lower().rstrip(".")
    if ":" in host:
        try:
            host = str(ipaddress.IPv6Address(host))
        except ValueError:
            raise ValueError(f"{entry!r}: {host!r} is not an IPv6 address") from None
    elif not host or not _HOST.match(host):
        raise ValueError(f"{entry!r}: {host!r} is not a host name or address")
    return Binding(scheme, host, port if port is not None else DEFAULT_PORTS[scheme])


def _target_host(host: str) -> str:
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            return host
    return host


def bound_to(hosts: Iterable[str], target: Target) -> bool:
    """True when one of a secret's bindings is exactly the target's scheme, host and port."""
    want = (target.scheme, _target_host(target.host), target.port)
    for entry in hosts:
        try:
            binding = parse_binding(entry)
        except ValueError:
            continue  # an entry that cannot be read binds nothing
        if (binding.scheme, binding.host, binding.port) == want:
            return True
    return False


def describe_bindings(hosts: Iterable[str]) -> str:
    shown = []
    for entry in hosts:
        try:
            shown.append(str(parse_binding(entry)))
        except ValueError:
            shown.append(f"{entry!r} (unreadable, binds nothing)")
    return ", ".join(shown)


def check_bindings(names: Iterable[str], target: Target, source: SecretSource | None) -> None:
    """Refuse before anything is sent when a handle may not go to ``target``."""
    for name in sorted(names):
        if source is None:
            raise ToolError(f"{handle(name)}: no secrets are available to this tool here")
        hosts = tuple(source.hosts(name))
        if not hosts:
            raise ToolError(
                f"{handle(name)} is not bound to any host; a person can bind it with "
                f"`assistant keys set {name} --host HOST`"
            )
        if not bound_to(hosts, target):
            where = Binding(target.scheme, _target_host(target.host), target.port)
            raise ToolError(
                f"{handle(name)} may only be sent to {describe_bindings(hosts)}, not to {where} "
                "(a binding names the scheme, host and port); nothing was sent"
            )


def load_values(names: Iterable[str], source: SecretSource | None) -> dict[str, str]:
    """The values behind the handles, read only when the request is about to be sent."""
    values: dict[str, str] = {}
    for name in sorted(names):
        value = source.value(name) if source is not None else None
        if not value:
            raise ToolError(
                f"{handle(name)} has no value (not in the keyring nor the environment); "
                f"a person can store it with `assistant keys set {name}`"
            )
        values[name] = value
    return values


def check_header_values(headers: Sequence[tuple[str, str]], values: Mapping[str, str]) -> None:
    """A value that would break a header (non-ASCII, CR/LF: header injection) is refused."""
    for name, template in headers:
        for secret in HANDLE.findall(template):
            value = values.get(secret, "")
            if not value.isascii() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
                raise ToolError(
                    f"headers/{name}: the value of {handle(secret)} holds non-ASCII or control "
                    "characters and cannot be sent in a header; nothing was sent"
                )


class SecretValues:
    """The values of one request's secrets: fills handles in at send time, and finds or marks
    values (in every spelling ``tools.secret_match`` knows) in what comes back: this request's,
    and every other secret the source knows (``scrubber()``, when it offers one), so that a body
    or an excerpt is never cut in the middle of a value that nobody scrubbed yet."""

    def __init__(self, values: Mapping[str, str], known: SecretMatcher | None = None) -> None:
        self.values = dict(values)
        self._matcher = matcher_for(tuple(sorted(self.values.items())))
        self._known = known

    @classmethod
    def for_source(cls, values: Mapping[str, str], source: SecretSource | None) -> SecretValues:
        scrubber = getattr(source, "scrubber", None)
        known = scrubber() if callable(scrubber) else None
        return cls(values, known if isinstance(known, SecretMatcher) else None)

    def fill(self, text: str) -> str:
        return HANDLE.sub(lambda m: self.values[m.group(1)], text)

    def fill_json(self, text: str) -> str:
        """Fill handles inside serialized JSON, escaping each value as a JSON string body."""
        return HANDLE.sub(lambda m: _json(self.values[m.group(1)]), text)

    def scrub(self, text: str) -> str:
        """``text`` with each value marked as a raw value (never turned into a handle: what came
        back was not a handle anybody wrote), including a value's start cut off at the end."""
        text = self._matcher.sub(text)
        return self._known.sub(text) if self._known is not None else text

    def scrub_bytes(self, data: bytes) -> bytes:
        data = self._matcher.sub_bytes(data)
        return self._known.sub_bytes(data) if self._known is not None else data

    def leaked(self, text: str) -> list[str]:
        """Names whose value (in any spelling) appears in ``text``: this request's secrets."""
        return self._matcher.names_in(text)


def _json(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def names_in_request(
    headers: Sequence[tuple[str, str]],
    query: Sequence[tuple[str, str]],
    body_text: str | None,
) -> set[str]:
    """Every handle a request uses; header names may not hold one."""
    names: set[str] = set()
    for name, value in headers:
        if _LOOSE.search(name):
            raise ToolError(
                f"headers: a secret handle may only be a header value, not a name ({name!r})"
            )
        names |= names_in(value, f"headers/{name}")
    for key, value in query:
        names |= names_in(key, f"query/{key}") | names_in(value, f"query/{key}")
    if body_text is not None:
        names |= names_in(body_text, "body")
    return names
