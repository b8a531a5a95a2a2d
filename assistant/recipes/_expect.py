"""What a step's result is recorded as (status, row counts, hashes) and how a new result differs.

The same function reads the recorded ``action.result`` and today's result, so a recipe compares
like with like. Hashes stand for content that would be too long to keep in the recipe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

LABELS = {
    "ok": "succeeded",
    "status": "HTTP status",
    "rows": "row count",
    "columns": "columns",
    "rows_after": "data rows after the write",
    "bytes": "bytes written",
    "body_sha256": "response body",
    "result_sha256": "query result",
    "output_sha256": "output",
    "exit_status": "exit status",
}
"""Keys a recipe's ``expect`` may hold, and how a difference is named."""

HASHES = {"body_sha256", "result_sha256", "output_sha256"}


def _sha(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def observe(tool: str, ok: bool, output: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of one result worth comparing next time (None values are left out)."""
    facts: dict[str, Any] = {"ok": bool(ok)}
    if tool == "http_request":
        facts["status"] = _int(data.get("status"))
        body = data.get("body")
        facts["body_sha256"] = _sha(body) if isinstance(body, str) else None
    elif tool in ("csv_query", "csv_read"):
        facts["rows"] = _int(data.get("total"))
        columns = data.get("columns")
        if isinstance(columns, list) and all(isinstance(c, str) for c in columns):
            facts["columns"] = list(columns)
        if tool == "csv_query" and isinstance(data.get("rows"), list):
            facts["result_sha256"] = _sha(data["rows"])
    elif tool == "csv_write":
        facts["rows_after"] = _int(data.get("rows_after"))
        facts["bytes"] = _int(data.get("bytes"))
    elif tool == "shell":
        facts["exit_status"] = _int(data.get("exit_status"))
        facts["output_sha256"] = _sha(output)
    return {k: v for k, v in facts.items() if v is not None}


def differences(expected: Mapping[str, Any] | None, observed: Mapping[str, Any]) -> list[str]:
    """One phrase per recorded fact that came out differently, e.g. "row count 5 (recorded 3)"."""
    if not expected:
        return []
    out = []
    for key, then in expected.items():
        if key not in LABELS:
            continue
        now = observed.get(key)
        if now == then:
            continue
        label = LABELS[key]
        if key == "ok":
            out.append("it failed (it succeeded when recorded)" if then else "it succeeded now")
        elif key in HASHES:
            out.append(f"{label} differs")
        elif key == "columns":
            out.append(f"{label} {_list(now)} (recorded {_list(then)})")
        else:
            out.append(f"{label} {now if now is not None else 'missing'} (recorded {then})")
    return out


def _list(value: Any) -> str:
    if not isinstance(value, list):
        return "missing"
    shown = ", ".join(str(v) for v in value[:8])
    return f"[{shown}{', …' if len(value) > 8 else ''}]"
