"""HTTP answered from recordings, for ``recipe test`` and the check an export with fixtures
makes: the real http_request tool plans every request (same validation, preview and effect),
and instead of sending it the recorded response comes back. Nothing leaves the machine.

A request must match its recording: same method and URL, and the same body. A recipe that no
longer sends what the session sent fails its test, which is the point of having one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant import present
from tools.base import Action, Result, Tool, ToolContext, ToolError, escape_text


@dataclass(frozen=True)
class Recording:
    """One request a session made and what came back (as the journal kept it: redacted)."""

    method: str
    url: str
    body: str | None
    ok: bool
    output: str
    display: str
    data: dict[str, Any]
    step: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "request": {"method": self.method, "url": self.url, "body": self.body},
            "response": {
                "ok": self.ok,
                "display": self.display,
                "output": self.output,
                "data": self.data,
            },
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], where: str) -> Recording:
        try:
            request, response = raw["request"], raw["response"]
            method, url, body = request["method"], request["url"], request.get("body")
            ok, data = response["ok"], response["data"]
            output, display = response.get("output", ""), response.get("display", "")
        except (KeyError, TypeError):
            raise ToolError(f"{where}: not a recorded HTTP exchange") from None
        if not (
            isinstance(method, str)
            and isinstance(url, str)
            and isinstance(ok, bool)
            and isinstance(data, dict)
            and isinstance(output, str)
            and isinstance(display, str)
            and (body is None or isinstance(body, str))
        ):
            raise ToolError(f"{where}: a field of the recorded exchange has the wrong type")
        step = raw.get("step", 0)
        return cls(
            method, url, body, ok, output, display, data, step if isinstance(step, int) else 0
        )


class ReplayHttp:
    """The http_request tool with the network replaced by recordings (first come, first served
    for each method and URL)."""

    def __init__(self, real: Tool, recordings: Sequence[Recording]) -> None:
        self.name = real.name
        self.description = real.description
        self.parameters = real.parameters
        self._real = real
        self._queue: dict[tuple[str, str], list[Recording]] = {}
        for rec in recordings:
            self._queue.setdefault((rec.method, rec.url), []).append(rec)

    def plan(self, args: Mapping[str, Any], ctx: ToolContext) -> Action:
        return self._real.plan(args, ctx)

    def run(self, action: Action, ctx: ToolContext) -> Result:
        data = action.preview.data
        method, url = str(data.get("method", "")), str(data.get("url", ""))
        queue = self._queue.get((method, url))
        if not queue:
            raise ToolError(
                f"no recorded response for {escape_text(method)} {escape_text(url)}: a test sends "
                "nothing, so every request must match one the session made"
            )
        rec = queue.pop(0)
        body = data.get("body")
        if body != rec.body:
            raise ToolError(
                f"the request body differs from the recording ({_size(body)} now, "
                f"{_size(rec.body)} recorded): the recipe no longer sends what the session sent"
            )
        before: dict[str, bytes | None] = {}
        save = data.get("save_to")
        if isinstance(save, Mapping) and isinstance(save.get("path"), str) and rec.ok:
            kept = rec.data.get("body")
            if not isinstance(kept, str) or rec.data.get("body_cut"):
                raise ToolError(
                    "save_to cannot be replayed: the recording did not keep the whole body"
                )
            path = ctx.workspace.resolve(save["path"])
            before[save["path"]] = ctx.workspace.read_bytes(path) if path.exists() else None
            ctx.workspace.atomic_write(path, kept.encode("utf-8"))
        return Result(rec.ok, rec.output, rec.display, dict(rec.data), before)


def _size(body: Any) -> str:
    return "no body" if body is None else present.plural(len(str(body).encode()), "byte")


@dataclass
class StandIns:
    """Secrets for a test: a stand-in value for every handle, bound to the recorded servers,
    so requests plan as they would; the value goes nowhere (nothing is sent)."""

    origins: tuple[str, ...]
    seen: list[str] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        self.seen.append(name)
        return f"recipe-test-stand-in-{name}"

    def hosts(self, name: str) -> tuple[str, ...]:
        return self.origins


def origin_of(url: str) -> tuple[str, str] | None:
    """("http://host:port", "host:port") of a recorded URL, the port made explicit."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    host = parts.hostname or ""
    if not host or parts.scheme not in ("http", "https"):
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}:{port}", f"{host}:{port}"


def dumps(rec: Recording) -> str:
    return json.dumps(rec.to_json(), indent=2, ensure_ascii=False) + "\n"
