"""Secret handles ({{secret:NAME}}): which hosts they may reach, substitution at send time, and
scrubbing their values out of everything a response brings back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, quote_plus

from tools.base import SecretSource, ToolError

HANDLE = re.compile(r"\{\{secret:([A-Za-z0-9_.-]{1,64})\}\}")
_LOOSE = re.compile(r"\{\{\s*secret\s*:", re.IGNORECASE)


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


def bound_to(hosts: Iterable[str], host: str, port: int) -> bool:
    """True when a secret's host list names ``host`` (or exactly ``host:port``)."""
    for entry in hosts:
        spelled = entry.strip().lower()
        name, sep, maybe_port = spelled.rpartition(":")
        if sep and maybe_port.isdigit() and (name.startswith("[") or ":" not in name):
            if name.strip("[]").rstrip(".") == host and int(maybe_port) == port:
                return True
            continue
        if spelled.strip("[]").rstrip(".") == host:
            return True
    return False


def check_bindings(names: Iterable[str], host: str, port: int, source: SecretSource | None) -> None:
    """Refuse before anything is sent when a handle may not go to ``host``."""
    for name in sorted(names):
        if source is None:
            raise ToolError(f"{handle(name)}: no secrets are available to this tool here")
        hosts = tuple(source.hosts(name))
        if not hosts:
            raise ToolError(
                f"{handle(name)} is not bound to any host; a person can bind it with "
                f"`assistant keys set {name} --host HOST`"
            )
        if not bound_to(hosts, host, port):
            raise ToolError(
                f"{handle(name)} may only be sent to {', '.join(hosts)}, not to {host}; "
                "nothing was sent"
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
    """The values of one request's secrets: fills handles in, scrubs values (and their
    percent- and JSON-escaped spellings) back out to handles."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)
        forms: dict[str, str] = {}
        for name, value in self.values.items():
            for form in (
                value,
                quote(value, safe=""),
                quote(value),
                quote_plus(value),
                _json(value),
            ):
                if form:
                    forms.setdefault(form, name)
        self._forms = forms
        ordered = sorted(forms, key=len, reverse=True)
        self._text = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._bytes = (
            re.compile(b"|".join(re.escape(f.encode("utf-8")) for f in ordered))
            if ordered
            else None
        )

    def fill(self, text: str) -> str:
        return HANDLE.sub(lambda m: self.values[m.group(1)], text)

    def fill_json(self, text: str) -> str:
        """Fill handles inside serialized JSON, escaping each value as a JSON string body."""
        return HANDLE.sub(lambda m: _json(self.values[m.group(1)]), text)

    def scrub(self, text: str) -> str:
        if self._text is None or not text:
            return text
        return self._text.sub(lambda m: handle(self._forms[m.group(0)]), text)

    def scrub_bytes(self, data: bytes) -> bytes:
        if self._bytes is None or not data:
            return data
        return self._bytes.sub(
            lambda m: handle(self._forms[m.group(0).decode("utf-8")]).encode(), data
        )

    def leaked(self, text: str) -> list[str]:
        """Names whose value (in any spelling scrubbed) appears in ``text``."""
        if self._text is None:
            return []
        return sorted({self._forms[m.group(0)] for m in self._text.finditer(text)})


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
