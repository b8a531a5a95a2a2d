"""A recorded call's arguments as they were sent, not as the journal stores them.

The journal hashes a canonical spelling of every payload (keys sorted), so the arguments it
gives back have lost their order: a JSON body ``{"id":6,"customer":"Zed"}`` reads back as
``{"customer":"Zed","id":6}``. The order survives in two places that hold text or lists: the
request preview (body text, header and query lists) and the model's own tool-call arguments.
Each is used only when it holds exactly the recorded value, compared without regard to order.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faithful:
    """Arguments in their recorded order; the JSON body apart, as a value with its key order."""

    args: dict[str, Any]
    json_body: Any = None
    has_json: bool = False
    notes: list[str] = field(default_factory=list)


def _canon(value: Any) -> str:
    """Order-blind but type-exact (true is not 1, 1.0 is not 1) spelling for comparisons."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _parse_object(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _reorder(value: Mapping[str, Any], order: list[str]) -> dict[str, Any]:
    known = [k for k in dict.fromkeys(order) if k in value]
    return {**{k: value[k] for k in known}, **{k: v for k, v in value.items() if k not in known}}


def _names(pairs: Any) -> list[str]:
    if not isinstance(pairs, list):
        return []
    return [p[0] for p in pairs if isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)]


def faithful(
    tool: str, args: Mapping[str, Any], preview: Mapping[str, Any], call_arguments: str | None
) -> Faithful:
    """The recorded arguments of one action, with the order the request was sent in."""
    out = dict(args)
    raw = _parse_object(call_arguments)
    if raw is not None and _canon(raw) == _canon(out):
        out = raw  # the model's own spelling holds exactly these arguments: its order is the truth
    data = preview.get("data") if isinstance(preview.get("data"), Mapping) else {}
    assert isinstance(data, Mapping)
    if tool != "http_request":
        return Faithful(out)
    if isinstance(out.get("headers"), Mapping):
        out["headers"] = _reorder(out["headers"], _names(data.get("headers")))
    if isinstance(out.get("query"), Mapping):
        out["query"] = _reorder(out["query"], _names(data.get("query")))
    if out.get("json") is None:
        out.pop("json", None)
        return Faithful(out)
    body = out.pop("json")
    notes: list[str] = []
    candidates = []
    if raw is not None and "json" in raw:
        candidates.append(raw["json"])
    if data.get("body_kind") == "json" and isinstance(data.get("body"), str):
        with contextlib.suppress(ValueError, RecursionError):  # cut: the other source, or none
            candidates.append(json.loads(data["body"]))
    for candidate in candidates:
        if _canon(candidate) == _canon(body):
            body = candidate
            break
    else:
        if isinstance(body, dict | list) and len(_canon(body)) > 2:
            notes.append(
                "the JSON body's key order could not be recovered from the journal; it is "
                "written in sorted order (the values are as recorded)"
            )
    return Faithful(out, body, True, notes)
