"""What people and the model see: the request preview, and the bounded, escaped response."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping, Sequence
from email.message import Message
from typing import Any

from tools.base import Effect, Preview, escape_text
from tools.http_request.fetch import Exchange
from tools.http_request.settings import HttpSettings
from tools.http_request.spec import RequestSpec

PREVIEW_BODY_CHARS = 20_000
DATA_BODY_CHARS = 100_000
"""Body characters kept in Result.data for a UI (the model sees far fewer)."""
MAX_SHOWN_HEADERS = 40
MAX_HEADER_VALUE = 300
_TEXT_SUBTYPES = ("json", "xml", "javascript", "x-www-form-urlencoded", "yaml", "csv", "x-ndjson")


def _cut(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


def _pretty_json(text: str) -> str | None:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return None


def display_url(spec: RequestSpec) -> str:
    """The full URL with handles shown as written, not percent-encoded."""
    url = str(spec.url())
    for name in spec.secret_names:
        url = url.replace("%7B%7Bsecret%3A" + name + "%7D%7D", "{{secret:" + name + "}}")
    return url


def request_preview(
    spec: RequestSpec,
    addrs: Sequence[str],
    literal: bool,
    effect: Effect,
    needs_person: str | None,
    save: Mapping[str, Any] | None,
) -> Preview:
    """Method, full URL, headers (secrets as handles), body pretty-printed, and what it risks.
    ``addrs`` are what the host is known to mean without a lookup (an IP literal, localhost, or
    private addresses an earlier approved request found); ``literal`` says they are final."""
    url = display_url(spec)
    lines = [escape_text(f"{spec.method} {url}")]
    if literal:
        lookup = (
            f"Host {spec.target.key} is {', '.join(addrs)} (no name lookup); the connection goes "
            "only there"
        )
    else:
        lookup = (
            f"Host {spec.target.host} is looked up only after approval, right before connecting; "
            "a loopback or private address found then is refused (nothing is sent), and the "
            "connection is pinned to the checked address"
        )
    lines.append(escape_text(lookup))
    if needs_person:
        lines.append(
            f"PRIVATE ADDRESS: {needs_person}. Approving allows {spec.target.key} for this session; "
            "no blanket approval or session rule ever does."
        )
    if spec.headers:
        lines.append("Headers:")
        lines += [escape_text(f"  {name}: {value}") for name, value in spec.headers]
    body_shown = None
    if spec.body_text is not None:
        pretty = _pretty_json(spec.body_text) if spec.body_kind == "json" else None
        body_shown, cut = _cut(pretty or spec.body_text, PREVIEW_BODY_CHARS)
        size = len(spec.body_text.encode("utf-8"))
        lines.append(f"Body ({spec.body_kind}, {size:,} bytes):")
        lines += ["  " + line for line in escape_text(body_shown).split("\n")]
        if cut:
            lines.append(f"  [preview cut at {PREVIEW_BODY_CHARS:,} characters]")
    if save is not None:
        mode = "overwrites it" if save["exists"] else "creates it"
        lines.append(escape_text(f"Saves the response body to {save['path']} ({mode})."))
    if spec.write_reasons:
        lines.append("Why this is a write: " + escape_text("; ".join(spec.write_reasons)) + ".")
    if effect is Effect.WRITE:
        lines.append("HTTP requests cannot be undone: the server acts on it as soon as it is sent.")
    elif effect is Effect.EGRESS:
        lines.append(f"First request to {spec.target.key} in this session: it sends data there.")
    data = {
        "method": spec.method,
        "url": url,
        "host": spec.target.host,
        "port": spec.target.port,
        "addresses": list(addrs),
        "lookup": "none" if literal else "after approval",
        "headers": [[n, v] for n, v in spec.headers],
        "query": [[k, v] for k, v in spec.query],
        "body_kind": spec.body_kind,
        "body": body_shown,
        "save_to": dict(save) if save else None,
        "effect": effect.value,
        "private": needs_person,
        "write_reasons": list(spec.write_reasons),
        "undoable": False,
    }
    return Preview(kind="http", text="\n".join(lines), data=data)


def content_type(headers: Sequence[tuple[str, str]]) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value.strip()
    return ""


def decode_body(data: bytes, ctype: str, truncated: bool) -> tuple[str, str | None]:
    """("json" | "text" | "binary" | "empty", the text or None) for a body."""
    if not data:
        return "empty", None
    msg = Message()
    msg["content-type"] = ctype or "application/octet-stream"
    main, sub = msg.get_content_maintype(), msg.get_content_subtype()
    charset = msg.get_param("charset")
    encoding = charset if isinstance(charset, str) else "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    textish = (
        main == "text" or any(t in sub for t in _TEXT_SUBTYPES) or sub.endswith(("+json", "+xml"))
    )
    if not textish:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return "binary", None
        if "\x00" in text:
            return "binary", None
        return "text", text
    text = data.decode(encoding, errors="replace")
    if "json" in sub and not truncated:
        pretty = _pretty_json(text)
        if pretty is not None:
            return "json", pretty
    return "text", text


def _header_value(name: str, value: str) -> str:
    """Cookies a server sets are credentials: their names are shown, their values are not."""
    if name.lower() == "set-cookie":
        return value.split("=", 1)[0] + "=[value hidden]"
    return value


def _header_lines(headers: Sequence[tuple[str, str]]) -> list[str]:
    lines = []
    for name, value in headers[:MAX_SHOWN_HEADERS]:
        shown, cut = _cut(_header_value(name, value), MAX_HEADER_VALUE)
        lines.append(escape_text(f"  {name}: {shown}{' [cut]' if cut else ''}"))
    if len(headers) > MAX_SHOWN_HEADERS:
        lines.append(f"  [{len(headers) - MAX_SHOWN_HEADERS} more headers not shown]")
    return lines


def response_text(
    ex: Exchange, kind: str, text: str | None, limits: HttpSettings, saved: Mapping[str, Any] | None
) -> tuple[str, str]:
    """(output for the model, one-line display) for a finished exchange."""
    ctype = content_type(ex.headers) or "no content type"
    size = len(ex.body.data) if ex.body else 0
    lines = [escape_text(f"HTTP {ex.status} {ex.reason} — {ex.method} {ex.url}")]
    lines.append(f"Connected to {ex.address or '?'} in {ex.elapsed:.2f} s")
    for hop in ex.hops:
        lines.append(escape_text(f"Redirect: {hop.status} from {hop.method} {hop.url}"))
    if ex.stopped:
        lines.append(escape_text(f"Redirect not followed: {ex.stopped}"))
    lines.append(escape_text(f"Content-Type: {ctype}"))
    if ex.body is not None:
        note = f" (cut at the {limits.max_body_bytes:,}-byte limit)" if ex.body.truncated else ""
        lines.append(f"Size: {size:,} bytes decoded, {ex.body.wire_bytes:,} on the wire{note}")
    lines.append("Headers:")
    lines += _header_lines(ex.headers)
    if saved is not None:
        lines.append(escape_text(saved["message"]))
    if kind == "binary":
        lines.append(
            f"Body: binary, {size:,} bytes, not shown (save_to keeps it in a workspace file)"
        )
    elif kind == "empty":
        lines.append("Body: empty" if ex.body is not None else "Body: none")
    elif text is not None:
        excerpt, cut = _cut(text, limits.model_excerpt_chars)
        label = "JSON, pretty-printed" if kind == "json" else "text"
        if cut:
            lines.append(f"Body ({label}) [showing {len(excerpt):,} of {len(text):,} characters]:")
        else:
            lines.append(f"Body ({label}, {len(text):,} characters):")
        lines.append(escape_text(excerpt))
        if cut:
            lines.append(
                f"[... {len(text) - len(excerpt):,} more characters not shown; "
                "save_to can keep the full body in a workspace file]"
            )
    display = f"{ex.status} {ex.reason} · {ctype.split(';')[0]} · {_size(size)}"
    if ex.stopped:
        display += " · redirect not followed"
    return "\n".join(lines), escape_text(display)


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} KB"
    return f"{n / 1_000_000:.1f} MB"


def response_data(
    ex: Exchange, kind: str, text: str | None, saved: Mapping[str, Any] | None
) -> dict[str, Any]:
    """JSON-able facts for a UI: status, headers, type, size and a bounded, escaped body."""
    body, cut = _cut(text, DATA_BODY_CHARS) if text is not None else (None, False)
    return {
        "method": ex.method,
        "url": ex.url,
        "status": ex.status,
        "reason": ex.reason,
        "headers": [[k, _header_value(k, v)] for k, v in ex.headers],
        "content_type": content_type(ex.headers),
        "size": len(ex.body.data) if ex.body else 0,
        "wire_size": ex.body.wire_bytes if ex.body else 0,
        "truncated": bool(ex.body and ex.body.truncated),
        "body_kind": kind,
        "body": escape_text(body) if body is not None else None,
        "body_cut": cut,
        "address": ex.address,
        "redirects": [{"method": h.method, "url": h.url, "status": h.status} for h in ex.hops],
        "redirect_stopped": ex.stopped,
        "elapsed": round(ex.elapsed, 3),
        "saved": dict(saved) if saved else None,
    }
