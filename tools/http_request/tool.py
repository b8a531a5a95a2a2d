"""The http_request tool: plan decides the effect and builds the preview; run sends what was planned."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools.base import (
    Action,
    Effect,
    Result,
    Scope,
    StaleActionError,
    ToolContext,
    ToolError,
    Unlock,
    escape_text,
    fingerprint,
)
from tools.http_request.addresses import (
    RESOLVE_TIMEOUT,
    IPAddress,
    Resolver,
    addresses_for,
    describe_private,
    literal_addresses,
    system_resolve,
)
from tools.http_request.fetch import (
    Exchange,
    Fetcher,
    Permissions,
    check_denied,
    check_private,
)
from tools.http_request.handles import (
    SecretValues,
    check_bindings,
    check_header_values,
    load_values,
)
from tools.http_request.render import (
    content_type,
    decode_body,
    display_url,
    request_preview,
    response_data,
    response_text,
)
from tools.http_request.settings import HttpSettings
from tools.http_request.spec import (
    MAX_BODY_BYTES,
    METHODS,
    RequestSpec,
    parse_args,
    refuse_raw_values,
)
from tools.http_request.transport import default_ssl_context
from tools.http_request.unlocks import private_allowed, reachable, request_unlocks
from tools.http_request.urls import MAX_URL_CHARS
from tools.undo_record import Capture
from tools.workspace import Workspace

_SCALAR = {"type": ["string", "number", "boolean"]}

DESCRIPTION = """\
Send an HTTP or HTTPS request and read the response.
- GET, HEAD and OPTIONS to a host already allowed in this session run at once. The first request \
to a new host asks the person. POST, PUT, PATCH, DELETE, a method-override header or parameter, \
a body on GET, and save_to always ask: HTTP requests cannot be undone.
- Only http:// and https://. Never put credentials in the URL: write secrets as {{secret:NAME}} \
in headers, query or body; each secret only goes to the hosts it is bound to, and its value is \
replaced by the handle in everything you read back.
- Loopback, private, link-local and cloud-metadata addresses are refused unless the person allows \
that exact host:port (config, --allow-host, or approving the preview).
- Redirects are followed for the same host; to another host only for GET/HEAD/OPTIONS when that \
host is already allowed. Otherwise the result says where the server pointed.
- The response is decoded up to 10 MB (configurable); you see a bounded excerpt (8,000 characters \
by default, JSON pretty-printed), clearly marked when cut. To keep the whole body, set save_to to a \
workspace file path (a separate, previewed write; only a 2xx body is saved).
- timeout (seconds) can only lower the configured limit (30 s by default)."""

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "method": {"type": "string", "enum": list(METHODS), "default": "GET"},
        "url": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_URL_CHARS,
            "description": "http(s) URL, no credentials in it",
        },
        "headers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "header name -> value; values may hold {{secret:NAME}}",
        },
        "query": {
            "type": "object",
            "additionalProperties": {"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR}]},
            "description": "query parameters merged into the URL; values may hold {{secret:NAME}}",
        },
        "json": {"description": "a JSON value sent as the body (application/json)"},
        "body": {
            "type": "string",
            "maxLength": MAX_BODY_BYTES,
            "description": "a text body (give json or body, not both)",
        },
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
        "save_to": {
            "type": "string",
            "minLength": 1,
            "description": "workspace-relative file to write the full response body to",
        },
    },
    "required": ["url"],
    "additionalProperties": False,
}


def _sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


class HttpRequestTool:
    """HTTP for the model, with SSRF checks, pinned connections, secret handles and caps."""

    name = "http_request"
    description = DESCRIPTION
    parameters: Mapping[str, Any] = PARAMETERS
    settings_type = HttpSettings

    def __init__(
        self, resolver: Resolver | None = None, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """``resolver`` and ``ssl_context`` exist for tests (a patched DNS, a local CA)."""
        self._resolver: Resolver = resolver or system_resolve
        self._ssl_context = ssl_context
        self._found_private: dict[str, list[IPAddress]] = {}
        """host:port -> the private addresses a name resolved to when an approved request ran
        (and was refused): the next preview for it names them, so a person can decide."""

    # -- plan ----------------------------------------------------------------------------------

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        """Check and preview a request. Nothing leaves here, not even a DNS query: an IP literal
        is read as a number, ``localhost`` is loopback, and any other name is looked up only
        when the approved request runs (data in a host name must not reach a resolver first)."""
        limits = ctx.settings_for(HttpSettings)
        spec = parse_args(args, limits)
        target = spec.target
        check_bindings(spec.secret_names, target, ctx.secrets)
        # a missing or unusable value is said now, not after the person approved
        loaded = load_values(spec.secret_names, ctx.secrets)
        check_header_values(spec.headers, loaded)
        refuse_raw_values(spec, SecretValues(loaded))
        save = self._save_state(ctx.workspace, spec.save_to) if spec.save_to else None
        key = target.key
        literal = literal_addresses(target.host, target.port)
        remembered = self._found_private.get(key) if literal is None else None
        private = describe_private(key, literal or remembered or [])
        if private and remembered:
            private += ", found when it was last requested"
        unlocked = ctx.unlocked(f"host:{key}")
        needs_person = private if private and not private_allowed(unlocked) else None
        if spec.write_reasons or save is not None:
            effect = Effect.WRITE
        elif needs_person is None and reachable(unlocked):
            effect = Effect.READ
        else:
            effect = Effect.EGRESS
        shown_addrs = [str(a) for a in literal or remembered or []]
        state = {"addresses": [str(a) for a in literal] if literal else None, "save": save}
        targets = [f"host:{key}"] + ([f"path:{save['path']}"] if save else [])
        scope = None
        if needs_person is None:
            saving = f":save:path:{save['path']}" if save else ""
            scope = Scope(
                key=f"http_request:{spec.method}:host:{key}{saving}",
                label=escape_text(
                    f"http_request {spec.method} to {key}"
                    + (f", saving to {save['path']}" if save else "")
                ),
            )
        summary = f"{spec.method} {display_url(spec)}" + (f" → {save['path']}" if save else "")
        return Action(
            tool=self.name,
            args=dict(args),
            effect=effect,
            summary=escape_text(summary if len(summary) <= 200 else summary[:199] + "…"),
            preview=request_preview(
                spec, shown_addrs, literal is not None, effect, needs_person, save
            ),
            targets=tuple(targets),
            fingerprint=fingerprint(dict(args), state),
            scope=scope,
            needs_person=needs_person,
            state=state,
        )

    def _save_state(self, ws: Workspace, rel: str) -> dict[str, Any]:
        path = self._save_path(ws, rel)
        before = ws.read_bytes(path) if path.exists() else None
        return {"path": ws.relative(path), "exists": before is not None, "sha256": _sha256(before)}

    @staticmethod
    def _save_path(ws: Workspace, rel: str) -> Path:
        path = ws.resolve(rel)
        shown = escape_text(rel)
        if path == ws.root or path.is_dir():
            raise ToolError(f"save_to: {shown} is a folder; name a file")
        if not path.parent.is_dir():
            raise ToolError(f"save_to: the folder for {shown} does not exist")
        if path.exists() and not path.is_file():
            raise ToolError(f"save_to: {shown} is not a regular file")
        return path

    def unlocks(self, action: Action, by: str) -> tuple[Unlock, ...]:
        """Approving a request unlocks its host for reads (see ``tools.http_request.unlocks``)."""
        return request_unlocks(action, by)

    # -- run -----------------------------------------------------------------------------------

    def run(self, action: Action, ctx: ToolContext) -> Result:
        """Send what was planned. Only now is a name resolved; every address is checked
        (private ones refused unless allowed, deny rules asked per address) and the connection
        is pinned to the checked addresses."""
        if action.tool != self.name:
            raise ToolError(f"{self.name} cannot run an action planned by {action.tool}")
        limits = ctx.settings_for(HttpSettings)
        spec = parse_args(action.args, limits)
        state = dict(action.state)
        if fingerprint(dict(action.args), state) != action.fingerprint:
            raise StaleActionError(
                "the action differs from the one planned and previewed; plan it again"
            )
        effect = action.effect
        perms = Permissions(
            unlocked=ctx.unlocked,
            secrets=ctx.secrets,
            denied=lambda target: ctx.denied(self.name, target, effect),
        )
        save_path = self._check_save(ctx.workspace, spec, state)
        check_bindings(spec.secret_names, spec.target, ctx.secrets)
        loaded = load_values(spec.secret_names, ctx.secrets)
        check_header_values(spec.headers, loaded)
        values = SecretValues.for_source(loaded, ctx.secrets)
        refuse_raw_values(spec, values)
        target = spec.target
        key = target.key
        addrs = addresses_for(
            target.host, target.port, self._resolver, min(RESOLVE_TIMEOUT, spec.timeout)
        )
        refused = check_private(key, addrs, perms)
        if refused is not None:
            if literal_addresses(target.host, target.port) is None:
                self._found_private[key] = list(addrs)  # the next preview names the address
            raise ToolError(
                f"refused: {refused}. Only a person approving a request whose preview names that "
                f"address (ask again: the preview now shows it), --allow-host {key}, or "
                "allow_hosts in the config can allow it; nothing was sent"
            )
        denial = check_denied(key, addrs, target.port, perms)
        if denial is not None:
            raise ToolError(f"refused by a deny rule: {denial}; nothing was sent")
        fetcher = Fetcher(
            spec, values, perms, limits, self._resolver, self._context, display_url(spec)
        )
        try:
            exchange = fetcher.fetch(addrs)
        except ToolError as exc:
            raise ToolError(values.scrub(str(exc))) from None
        return self._result(exchange, spec, values, limits, ctx.workspace, save_path, state)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or default_ssl_context()

    def _check_save(
        self, ws: Workspace, spec: RequestSpec, state: Mapping[str, Any]
    ) -> Path | None:
        """The file to save to, still the one previewed and unchanged since, else stale."""
        save = state.get("save")
        if spec.save_to is None:
            return None
        if not isinstance(save, Mapping):
            raise StaleActionError("the action carries no save_to state; plan it again")
        path = self._save_path(ws, spec.save_to)
        if ws.relative(path) != save.get("path"):
            raise StaleActionError(
                f"save_to: {escape_text(spec.save_to)} now points elsewhere; plan it again"
            )
        now = ws.read_bytes(path) if path.exists() else None
        if _sha256(now) != save.get("sha256"):
            raise StaleActionError(
                f"save_to: {save.get('path')} changed after the preview; nothing was sent. Plan it again"
            )
        return path

    def _result(
        self,
        ex: Exchange,
        spec: RequestSpec,
        values: SecretValues,
        limits: HttpSettings,
        ws: Workspace,
        save_path: Path | None,
        state: Mapping[str, Any],
    ) -> Result:
        data = values.scrub_bytes(ex.body.data) if ex.body else b""
        kind, text = decode_body(
            data, content_type(ex.headers), bool(ex.body and ex.body.truncated)
        )
        text = values.scrub(text) if text is not None else None
        saved: dict[str, Any] | None = None
        capture: Capture | None = None
        if save_path is not None:
            rel = ws.relative(save_path)
            why_not = None
            if ex.stopped:
                why_not = "the redirect was not followed"
            elif not 200 <= ex.status < 300:
                why_not = f"the status was {ex.status}, not 2xx"
            elif ex.body is None or ex.body.truncated:
                why_not = f"the body was cut at the {limits.max_body_bytes:,}-byte limit"
            if why_not is None:
                before = ws.read_bytes(save_path) if save_path.exists() else None
                save = state.get("save") or {}
                if _sha256(before) != save.get("sha256"):
                    raise StaleActionError(
                        f"save_to: {rel} changed while the request ran; the response was not saved"
                    )
                capture = Capture(ws, [rel])  # the before-image and mode, for undo
                ws.atomic_write(save_path, data)
                message = f"Saved the full body ({len(data):,} bytes) to {rel}."
                saved = {"path": rel, "written": True, "bytes": len(data), "message": message}
            else:
                message = f"Not saved to {rel}: {why_not}."
                saved = {"path": rel, "written": False, "bytes": 0, "message": message}
        output, display = response_text(ex, kind, text, limits, saved)
        ok = 200 <= ex.status < 400 and ex.stopped is None and (saved is None or saved["written"])
        result = Result(
            ok=ok, output=output, display=display, data=response_data(ex, kind, text, saved)
        )
        return capture.attach(result) if capture is not None else result
