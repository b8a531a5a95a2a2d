"""The request a call describes, checked field by field (plan never trusts the schema check)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tools.base import ToolError
from tools.http_request.handles import SecretValues, handle, names_in_request
from tools.http_request.settings import HttpSettings
from tools.http_request.urls import Target, parse_url

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
METHODS = SAFE_METHODS + WRITE_METHODS
FIELDS = ("method", "url", "headers", "query", "json", "body", "timeout", "save_to")
OVERRIDE_HEADERS = ("x-http-method-override", "x-http-method", "x-method-override")
OVERRIDE_PARAMS = ("_method", "x-http-method-override", "x-http-method", "x-method-override")
MANAGED_HEADERS = {
    "host": "the tool sets Host from the URL (the connection is pinned to that host)",
    "content-length": "the tool computes Content-Length",
    "transfer-encoding": "the tool frames the body itself",
    "connection": "the tool manages connections",
    "keep-alive": "the tool manages connections",
    "upgrade": "protocol upgrades are not supported",
    "te": "the tool manages transfer codings",
    "trailer": "trailers are not supported",
    "expect": "Expect is not supported",
    "accept-encoding": "the tool asks for gzip or deflate itself, to bound the decoded size",
    "proxy-authorization": "proxies are configured by the person, not per request",
    "proxy-connection": "proxies are configured by the person, not per request",
}
MAX_HEADERS = 50
MAX_HEADER_CHARS = 8192
MAX_QUERY_PARAMS = 100
MAX_BODY_BYTES = 1_000_000
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")


@dataclass(frozen=True)
class RequestSpec:
    """A checked request; header, query and body text still hold handles, never secret values."""

    method: str
    target: Target
    headers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]
    body_kind: str | None
    """"json", "text" or None."""
    body_text: str | None
    timeout: float
    save_to: str | None
    write_reasons: tuple[str, ...]
    """Why this request changes something (empty for a plain GET/HEAD/OPTIONS)."""
    secret_names: frozenset[str]

    def url(self, fill: Any = None) -> httpx.URL:
        """The URL with the query merged in; ``fill`` maps handle text to values at send time."""
        if not self.query:
            return self.target.url
        params = [
            (k if fill is None else fill(k), v if fill is None else fill(v)) for k, v in self.query
        ]
        return self.target.url.copy_merge_params(params)

    def body_bytes(self, fill: Any = None, fill_json: Any = None) -> bytes | None:
        if self.body_text is None:
            return None
        if self.body_kind == "json":
            text = self.body_text if fill_json is None else fill_json(self.body_text)
        else:
            text = self.body_text if fill is None else fill(self.body_text)
        return text.encode("utf-8")


def _headers(raw: object) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ToolError("headers must be an object of name -> string value")
    if len(raw) > MAX_HEADERS:
        raise ToolError(f"headers: at most {MAX_HEADERS} headers")
    seen: set[str] = set()
    out = []
    for name, value in raw.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ToolError(f"headers: {name!r} is not a valid header name")
        lower = name.lower()
        if lower in seen:
            raise ToolError(f"headers: {name!r} is given twice (names are case-insensitive)")
        seen.add(lower)
        if lower in MANAGED_HEADERS:
            raise ToolError(f"headers: {name} may not be set: {MANAGED_HEADERS[lower]}")
        if not isinstance(value, str):
            raise ToolError(f"headers/{name}: the value must be a string")
        if len(value) > MAX_HEADER_CHARS:
            raise ToolError(f"headers/{name}: longer than {MAX_HEADER_CHARS:,} characters")
        if any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in value):
            raise ToolError(f"headers/{name}: control characters (CR, LF, NUL, ...) are refused")
        if not value.isascii():
            raise ToolError(f"headers/{name}: only ASCII is allowed in header values")
        out.append((name, value))
    return tuple(out)


def _scalar(value: object, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ToolError(f"{where}: control characters are refused")
        return value
    raise ToolError(f"{where}: values must be strings, numbers, booleans or arrays of them")


def _query(raw: object) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ToolError("query must be an object of name -> value")
    out: list[tuple[str, str]] = []
    for key, value in raw.items():
        if not isinstance(key, str) or not key:
            raise ToolError(f"query: {key!r} is not a valid parameter name")
        for item in value if isinstance(value, list) else [value]:
            out.append((_scalar(key, f"query/{key}"), _scalar(item, f"query/{key}")))
    if len(out) > MAX_QUERY_PARAMS:
        raise ToolError(f"query: at most {MAX_QUERY_PARAMS} parameters")
    return tuple(out)


def _body(args: Mapping[str, Any]) -> tuple[str | None, str | None]:
    has_json = args.get("json") is not None
    if has_json and "body" in args and args["body"] is not None:
        raise ToolError("give either json or body, not both")
    if has_json:
        try:
            text = json.dumps(
                args["json"], ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise ToolError(f"json: not serialisable as JSON ({exc})") from None
        kind = "json"
    elif args.get("body") is not None:
        text = args["body"]
        if not isinstance(text, str):
            raise ToolError("body must be a string (use json for structured data)")
        kind = "text"
    else:
        return None, None
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise ToolError(f"{kind}: the request body may be at most {MAX_BODY_BYTES:,} bytes")
    return kind, text


def _write_reasons(
    method: str, headers: tuple[tuple[str, str], ...], params: list[tuple[str, str]], body: bool
) -> tuple[str, ...]:
    reasons = []
    if method in WRITE_METHODS:
        reasons.append(f"{method} asks the server to change something")
    for name, value in headers:
        if name.lower() in OVERRIDE_HEADERS:
            reasons.append(f"the {name} header ({value!r}) overrides the method")
    for key, value in params:
        if key.lower() in OVERRIDE_PARAMS:
            reasons.append(f"the query parameter {key}={value!r} overrides the method")
    if body and method in SAFE_METHODS:
        reasons.append(f"a {method} with a body is treated as a write")
    return tuple(reasons)


def parse_args(args: Mapping[str, Any], limits: HttpSettings) -> RequestSpec:
    """Check every argument again (the schema check ran elsewhere and is not trusted)."""
    if not isinstance(args, Mapping):
        raise ToolError("arguments must be a JSON object")
    unknown = sorted(set(args) - set(FIELDS))
    if unknown:
        raise ToolError(
            f"unknown argument(s): {', '.join(map(str, unknown))}; allowed: {', '.join(FIELDS)}"
        )
    method = args.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ToolError(f"method must be one of {', '.join(METHODS)}")
    method = method.upper()
    target = parse_url(args.get("url"))
    headers = _headers(args.get("headers"))
    query = _query(args.get("query"))
    body_kind, body_text = _body(args)
    if method == "HEAD" and body_text is not None:
        raise ToolError("a HEAD request cannot carry a body")
    timeout = args.get("timeout", limits.timeout)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not 0 < timeout <= 3600
    ):
        raise ToolError("timeout must be a number of seconds above 0")
    save_to = args.get("save_to")
    if save_to is not None and (not isinstance(save_to, str) or not save_to):
        raise ToolError("save_to must be a workspace-relative file path")
    if method == "HEAD" and save_to is not None:
        raise ToolError("a HEAD response has no body to save")
    params = list(target.url.params.multi_items()) + list(query)
    names = names_in_request(headers, query, body_text)
    return RequestSpec(
        method=method,
        target=target,
        headers=headers,
        query=query,
        body_kind=body_kind,
        body_text=body_text,
        timeout=min(float(timeout), limits.timeout),
        save_to=save_to,
        write_reasons=_write_reasons(method, headers, params, body_text is not None),
        secret_names=frozenset(names),
    )


def refuse_raw_values(spec: RequestSpec, values: SecretValues) -> None:
    """A request whose text holds the raw value of one of its own secrets is refused: values
    are only ever filled in from handles (the gate checks every stored secret the same way)."""
    parts = [("url", str(spec.target.url))]
    parts += [(f"headers/{n}", v) for n, v in spec.headers]
    parts += [(f"query/{k}", f"{k}={v}") for k, v in spec.query]
    if spec.body_text is not None:
        parts.append(("body", spec.body_text))
    for where, text in parts:
        for name in values.leaked(text):
            raise ToolError(
                f"refused: {where.split('/')[0]} holds the raw value of secret {name}. A secret is "
                f"only ever sent as its handle: use {handle(name)}, which is filled in at send "
                "time and only for the hosts it is bound to. Nothing was sent"
            )
