"""What a step is expected to produce, and how today's result differs.

Expectations are semantic by default, so a real API's timestamps and ids do not stop a replay:
the status class, the content type, the JSON shape (keys and types; volatile fields only have
to be there) and the field values a person chose. The recorded facts (exact status, hashes of
bodies and query results, row counts) are kept beside them and compared only under ``--strict``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_SHAPE = 60
_VOLATILE_NAME = re.compile(
    r"(^|[._])(id|ids|uuid|guid|etag|nonce|token|trace|trace_id|request_id|requestid|"
    r"timestamp|time|date|datetime|created|updated|modified|expires|expiry|version|rev)$"
    r"|_(id|at|on|time|date|ts|uuid)$",
)
_VOLATILE_VALUE = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \w+"
)
LABELS = {
    "ok": "succeeded",
    "status": "HTTP status",
    "content_type": "content type",
    "body_sha256": "response body",
    "rows": "row count",
    "columns": "columns",
    "result_sha256": "query result",
    "rows_after": "data rows after the write",
    "bytes": "bytes written",
    "exit_status": "exit status",
    "output_sha256": "output",
}
HASHES = {"body_sha256", "result_sha256", "output_sha256"}


def _sha(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def media_type(value: Any) -> str:
    return str(value or "").split(";", 1)[0].strip().lower()


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def facts(tool: str, ok: bool, output: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of one result worth recording (None values left out); the same function reads
    the recorded result and today's, so a recipe compares like with like."""
    found: dict[str, Any] = {"ok": bool(ok)}
    if tool == "http_request":
        found["status"] = _int(data.get("status"))
        found["content_type"] = media_type(data.get("content_type")) or None
        body = data.get("body")
        found["body_sha256"] = _sha(body) if isinstance(body, str) else None
    elif tool in ("csv_query", "csv_read"):
        found["rows"] = _int(data.get("total"))
        columns = data.get("columns")
        if isinstance(columns, list) and all(isinstance(c, str) for c in columns):
            found["columns"] = list(columns)
        if tool == "csv_query" and isinstance(data.get("rows"), list):
            found["result_sha256"] = _sha(data["rows"])
    elif tool == "csv_write":
        found["rows_after"] = _int(data.get("rows_after"))
        found["bytes"] = _int(data.get("bytes"))
    elif tool == "shell":
        found["exit_status"] = _int(data.get("exit_status"))
        found["output_sha256"] = _sha(output)
    return {k: v for k, v in found.items() if v is not None}


def body_json(data: Mapping[str, Any]) -> tuple[bool, Any]:
    """(True, value) when a response body is JSON the tool read whole."""
    body = data.get("body")
    if data.get("body_kind") != "json" or not isinstance(body, str) or data.get("body_cut"):
        return False, None
    try:
        return True, json.loads(body)
    except (ValueError, RecursionError):
        return False, None


def shape(
    value: Any, prefix: str = "", depth: int = 0, out: dict[str, str] | None = None
) -> dict[str, str]:
    """Dotted key paths of a JSON object -> their types, two levels deep, at most MAX_SHAPE."""
    out = {} if out is None else out
    if not isinstance(value, dict):
        return out
    for key, item in value.items():
        if len(out) >= MAX_SHAPE:
            break
        if not isinstance(key, str) or not key or "." in key or not key.isprintable():
            continue
        path = f"{prefix}.{key}" if prefix else key
        out[path] = json_type(item)
        if isinstance(item, dict) and depth < 1:
            shape(item, path, depth + 1, out)
    return out


def volatile(value: Any, paths: Mapping[str, str]) -> list[str]:
    """The paths whose values change from call to call: ids, timestamps, dates, versions."""
    found = []
    for path in paths:
        leaf = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", path.rsplit(".", 1)[-1]).lower()
        item = lookup(value, path)[1]
        if _VOLATILE_NAME.search(leaf) or (
            isinstance(item, str) and _VOLATILE_VALUE.fullmatch(item)
        ):
            found.append(path)
    return found


def lookup(value: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def make(tool: str, ok: bool, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(expectations, suggested fields) for a recorded result: what a re-run should match by
    default, and stable field values a person may choose to require as well."""
    if tool == "http_request":
        expect: dict[str, Any] = {}
        status = _int(data.get("status"))
        if status is not None:
            expect["status"] = f"{status // 100}xx"
        if media_type(data.get("content_type")):
            expect["content_type"] = media_type(data.get("content_type"))
        is_json, value = body_json(data)
        suggested: dict[str, Any] = {}
        if is_json and isinstance(value, dict):
            expect["shape"] = shape(value)
            moving = volatile(value, expect["shape"])
            expect["volatile"] = moving
            for path, kind in expect["shape"].items():
                if (
                    "." not in path
                    and kind in ("string", "number", "boolean")
                    and path not in moving
                ):
                    item = value[path]
                    if not isinstance(item, str) or (len(item) <= 60 and item.isprintable()):
                        suggested[path] = item
                if len(suggested) >= 6:
                    break
        return expect, suggested
    base: dict[str, Any] = {"ok": bool(ok)}
    if tool in ("csv_query", "csv_read"):
        columns = data.get("columns")
        if isinstance(columns, list) and all(isinstance(c, str) for c in columns):
            base["columns"] = list(columns)
    elif tool == "shell" and _int(data.get("exit_status")) is not None:
        base["exit_status"] = data["exit_status"]
    return base, {}


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or (
        json_type(a) == json_type(b) == "number" and a == b
    )


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:79] + "…"


def _status_ok(want: Any, now: int | None) -> bool:
    if now is None:
        return False
    if isinstance(want, str):
        return want.lower() == f"{now // 100}xx" or want == str(now)
    if isinstance(want, list):
        return now in want
    return bool(now == want)


def check(
    tool: str, expect: Mapping[str, Any], ok: bool, data: Mapping[str, Any], seen: Mapping[str, Any]
) -> list[str]:
    """One line per expectation today's result misses ("status 404, expected 2xx")."""
    out: list[str] = []
    if "ok" in expect and bool(expect["ok"]) != ok:
        out.append(
            "it failed (expected to succeed)" if expect["ok"] else "it succeeded (expected to fail)"
        )
    if "status" in expect and not _status_ok(expect["status"], seen.get("status")):
        out.append(f"HTTP status {seen.get('status', 'missing')}, expected {expect['status']}")
    if "content_type" in expect and media_type(expect["content_type"]) != seen.get(
        "content_type", ""
    ):
        out.append(
            f"content type {seen.get('content_type') or 'missing'}, expected {expect['content_type']}"
        )
    if "shape" in expect or "fields" in expect:
        out += _check_json(expect, data)
    for key in ("rows", "rows_after", "bytes", "exit_status"):
        if key in expect and seen.get(key) != expect[key]:
            out.append(f"{LABELS[key]} {seen.get(key, 'missing')}, expected {expect[key]}")
    if "min_rows" in expect and (seen.get("rows") or 0) < expect["min_rows"]:
        out.append(
            f"row count {seen.get('rows', 'missing')}, expected at least {expect['min_rows']}"
        )
    if "columns" in expect and seen.get("columns") != list(expect["columns"]):
        out.append(f"columns {_list(seen.get('columns'))}, expected {_list(expect['columns'])}")
    return out


def _check_json(expect: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
    is_json, value = body_json(data)
    if not is_json:
        return ["the response body is not JSON (or was cut), so its shape cannot be checked"]
    out = []
    moving = set(expect.get("volatile") or ())
    for path, kind in (expect.get("shape") or {}).items():
        found, item = lookup(value, path)
        if not found:
            out.append(f"body.{path}: missing, expected a {kind}")
        elif path not in moving and json_type(item) != kind:
            out.append(f"body.{path}: a {json_type(item)}, expected a {kind}")
    for path, want in (expect.get("fields") or {}).items():
        found, item = lookup(value, path)
        if not found:
            out.append(f"body.{path}: missing, expected {_show(want)}")
        elif not _same(item, want):
            out.append(f"body.{path}: {_show(item)}, expected {_show(want)}")
    return out


def strict(recorded: Mapping[str, Any], seen: Mapping[str, Any]) -> list[str]:
    """--strict: every recorded fact must come out the same (bodies and results byte for byte)."""
    out = []
    for key, then in recorded.items():
        if key not in LABELS:
            continue
        now = seen.get(key)
        if now == then:
            continue
        if key in HASHES:
            out.append(f"{LABELS[key]} differs from the recording (strict)")
        elif key == "ok":
            out.append("it failed (it succeeded when recorded)" if then else "it succeeded now")
        elif key == "columns":
            out.append(f"columns {_list(now)}, recorded {_list(then)}")
        else:
            out.append(f"{LABELS[key]} {now if now is not None else 'missing'}, recorded {then}")
    return out


def _list(value: Any) -> str:
    if not isinstance(value, list):
        return "missing"
    shown = ", ".join(str(v) for v in value[:8])
    return f"[{shown}{', …' if len(value) > 8 else ''}]"
