"""An MCP tool result (CallToolResult as JSON) made readable and safe: text, structured content
and text resources shown as they are, images, audio and binary resources summarised; secret
values marked before anything is cut; cut to a size; control characters escaped.

Everything in a result is untrusted: a server can put anything in any field.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.base import escape_text

MAX_BLOCKS = 200
"""Content blocks read at most; the rest are counted."""
MAX_STRUCTURED_CHARS = 20_000
"""Structured content kept in the result's data (the journal, recipes) at most, as JSON text."""
TOO_DEEP = "[structured content nested too deeply to show]"


@dataclass
class Rendered:
    """What a result becomes: ``text`` for the model and the screen (scrubbed, cut, escaped),
    ``blocks`` (one summary per content block) and ``structured`` for the journal."""

    text: str
    chars: int
    """Characters of the whole rendering before it was cut."""
    cut: bool
    blocks: list[dict[str, Any]] = field(default_factory=list)
    structured: Any = None
    is_error: bool = False


def render(
    result: Mapping[str, Any], *, max_chars: int, scrub: Callable[[str], str] | None = None
) -> Rendered:
    """``result`` as the model and a person read it; ``scrub`` marks secret values (it runs on
    the whole text, before the cut, so no value is left half-visible at the end)."""
    clean = scrub or (lambda text: text)
    parts: list[str] = []
    blocks: list[dict[str, Any]] = []
    content = result.get("content")
    items = content if isinstance(content, list) else []
    for block in items[:MAX_BLOCKS]:
        words, summary = _block(block)
        parts.append(words)
        blocks.append(summary)
    if len(items) > MAX_BLOCKS:
        parts.append(f"[{len(items) - MAX_BLOCKS:,} more content blocks not shown]")
    structured = result.get("structuredContent")
    kept = None
    if structured is not None:
        pretty = _json(structured)
        texts = [b for b in blocks if b.get("type") == "text" and b.get("chars")]
        # the spec has servers send structured content as text too: shown once, not twice
        if not texts and not any(_same_json(p, structured) for p in parts):
            parts.append("structured content:\n" + pretty)
        fits = pretty != TOO_DEEP and len(pretty) <= MAX_STRUCTURED_CHARS
        kept = structured if fits else None
        if kept is None:
            blocks.append({"type": "structured", "chars": len(pretty), "kept": False})
    if not parts:
        parts.append("(no content)")
    whole = clean("\n".join(parts))
    cut = len(whole) > max_chars
    shown = whole[:max_chars] if cut else whole
    if cut:  # values were marked in the whole text first: none is left half-visible here
        shown += f"\n[… cut: {len(whole) - max_chars:,} more characters not shown]"
    return Rendered(
        text=escape_text(shown),
        chars=len(whole),
        cut=cut,
        blocks=[_safe(b, clean) for b in blocks],
        structured=_safe(kept, clean),
        is_error=result.get("isError") is True,
    )


MAX_DEPTH = 64


def _safe(value: Any, clean: Callable[[str], str], depth: int = 0) -> Any:
    """A JSON value with every string (keys too) scrubbed and escaped: it is kept in the
    journal and shown in history, so it gets the same care as the text. Deeper than
    ``MAX_DEPTH`` it is replaced by a note."""
    if depth > MAX_DEPTH:
        return "[nested too deeply to keep]"
    if isinstance(value, str):
        return escape_text(clean(value))
    if isinstance(value, Mapping):
        return {_safe(str(k), clean): _safe(v, clean, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v, clean, depth + 1) for v in value]
    return value


def _block(block: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(block, Mapping):
        return "[a content block that is not an object]", {"type": "invalid"}
    kind = block.get("type")
    if kind == "text":
        text = _str(block.get("text"))
        return text, {"type": "text", "chars": len(text)}
    if kind in ("image", "audio"):
        mime = _str(block.get("mimeType")) or "unknown type"
        size = _b64_size(block.get("data"))
        return f"[{kind} {mime}, {_size(size)}]", {"type": kind, "mime": mime, "bytes": size}
    if kind == "resource":
        res = block.get("resource")
        res = res if isinstance(res, Mapping) else {}
        uri, mime = _str(res.get("uri")), _str(res.get("mimeType"))
        about = f"{uri} ({mime})" if mime else uri
        if isinstance(res.get("text"), str):
            text = res["text"]
            summary = {"type": "resource", "uri": uri, "mime": mime, "chars": len(text)}
            return f"[resource {about}]\n{text}", summary
        size = _b64_size(res.get("blob"))
        summary = {"type": "resource", "uri": uri, "mime": mime, "bytes": size}
        return f"[resource {about}: binary, {_size(size)}]", summary
    if kind == "resource_link":
        uri, name = _str(block.get("uri")), _str(block.get("name"))
        mime = _str(block.get("mimeType"))
        words = f"[resource link {name}: {uri}" + (f" ({mime})" if mime else "") + "]"
        return words, {"type": "resource_link", "uri": uri, "name": name, "mime": mime}
    shown = escape_text(str(kind))[:40]
    return f"[content of type {shown}, not shown]", {"type": "other", "declared": shown}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _b64_size(data: Any) -> int:
    """Decoded bytes of a base64 field (an estimate when it does not decode)."""
    if not isinstance(data, str):
        return 0
    try:
        return len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return len(data) * 3 // 4


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _json(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):  # nested past any use: said, not shown
        return TOO_DEEP


def _same_json(text: str, value: Any) -> bool:
    """Is this text block the structured content serialised (servers send both, by the spec)?"""
    if not text or text[0] not in "{[":
        return False
    try:
        return bool(json.loads(text) == value)
    except (ValueError, RecursionError):
        return False
