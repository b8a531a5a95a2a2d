"""Which recorded values become parameters, and names that say what each is for.

Three kinds: the server a request goes to (``base_url``), the files a step reads or writes
(``input_csv``, ``output_csv``: named by role, the first use deciding), and record ids in
requests (``/customers/42`` and ``{"customer_id": 42}`` both give ``customer_id``). A value is
named once however many steps use it, so one ``--param`` moves every step that uses it.
Arguments are rewritten as templates: the parameter as a placeholder, the rest escaped.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from assistant.recipes._template import NAME, escape, names_in
from tools.base import escape_text

_SHELL_WORD = re.compile(r"[A-Za-z0-9._/@%+=:,-]+")
_ID_VALUE = re.compile(
    r"[0-9]{1,19}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[^/]*[0-9])[A-Za-z]{1,10}[_-][A-Za-z0-9_-]{2,60}"
)
"""What an id looks like: a number, a UUID, or a prefixed key with a digit (cus_9x2, ORD-2024-7)."""
_COLLECTION = re.compile(r"[A-Za-z][A-Za-z_-]{1,40}")
_VERSION = re.compile(r"v[0-9]+")

#: Argument name -> the context its placeholders are checked against, per tool.
ARG_CONTEXTS: dict[str, dict[str, str]] = {
    "http_request": {"url": "url", "save_to": "path", "json": "json"},
    "csv_write": {"path": "path", "sql": "sql"},
    "csv_read": {"path": "path"},
    "csv_query": {"sql": "sql"},
    "shell": {"command": "shell"},
}


@dataclass
class Param:
    """One named value, the steps that use it and what for."""

    kind: str
    """"url" (an origin), "path" (workspace-relative) or "id"."""
    value: str
    base: str
    name: str = ""
    steps: list[int] = field(default_factory=list)
    reads: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)

    def describe(self) -> str:
        used = _steps_text(self.steps)
        if self.kind == "url":
            return f"server the requests go to ({used})"
        if self.kind == "id":
            return f"{self.base.removesuffix('_id').replace('_', ' ')} id in the requests of {used}"
        what = _file_word(self.value)
        uses: list[tuple[int, str]] = []
        if self.reads:
            uses.append((self.reads[0], f"read by {_steps_text(self.reads)}"))
        if self.writes:
            uses.append((self.writes[0], f"written by {_steps_text(self.writes)}"))
        told = " and ".join(text for _, text in sorted(uses))
        return f"{what} {told or 'used by ' + used}"


def _steps_text(numbers: list[int]) -> str:
    if not numbers:
        return "no step"
    return ("step " if len(numbers) == 1 else "steps ") + ", ".join(map(str, numbers))


def _file_word(path: str) -> str:
    ext = posixpath.splitext(path)[1].lower().lstrip(".")
    return {"csv": "CSV file", "tsv": "TSV file", "json": "JSON file", "txt": "text file"}.get(
        ext, "file"
    )


def clean_path(value: Any) -> str | None:
    """A workspace-relative path fit to be a parameter, normalised; None when it is not one."""
    if not isinstance(value, str) or not value or value.startswith(("/", "~")):
        return None
    norm = posixpath.normpath(value)
    if norm in (".", "..") or norm.startswith("../") or escape_text(norm) != norm:
        return None
    if any(ch in norm for ch in "\n\t'\"$\\") or len(norm) > 1000:
        return None
    return norm


def url_origin(url: Any) -> tuple[str, str] | None:
    """("http://host:port", "/rest?of=it") for a URL whose origin can be a parameter."""
    if not isinstance(url, str) or escape_text(url) != url or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    if not url.startswith(origin):
        return None
    return origin, url[len(origin) :]


def singular(word: str) -> str:
    w = _slug(word)
    for tail, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if w.endswith(tail) and len(w) > len(tail) + 1:
            return w[: -len(tail)] + repl
    return w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 2 else w


def id_key(key: str, collection: str | None) -> str | None:
    """The parameter name for a JSON or query key that holds an id: "customer_id" stays,
    "customerId" becomes customer_id, a bare "id" takes the collection's name."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()
    snake = _slug(snake)
    if snake == "id":
        return f"{collection}_id" if collection else "id"
    if snake.endswith("_id") and NAME.fullmatch(snake):
        return snake
    return None


def is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 10**19
    return isinstance(value, str) and bool(_ID_VALUE.fullmatch(value))


def url_ids(rest: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each id in a URL's path and query (the text after its origin)."""
    found: list[tuple[int, int, str]] = []
    path_end = min([i for i in (rest.find("?"), rest.find("#")) if i >= 0] or [len(rest)])
    pos, previous = 0, None
    for segment in rest[:path_end].split("/"):
        if is_id(segment) and previous and not _VERSION.fullmatch(previous):
            found.append((pos, pos + len(segment), f"{singular(previous)}_id"))
        previous = segment if _COLLECTION.fullmatch(segment) else None
        pos += len(segment) + 1
    if path_end < len(rest) and rest[path_end] == "?":
        query_end = rest.find("#", path_end)
        query_end = len(rest) if query_end < 0 else query_end
        pos = path_end + 1
        for pair in rest[path_end + 1 : query_end].split("&"):
            name, eq, value = pair.partition("=")
            key = id_key(name, last_collection(rest[:path_end])) if eq else None
            if key and is_id(value):
                start = pos + len(name) + 1
                found.append((start, start + len(value), key))
            pos += len(pair) + 1
    return found


def last_collection(path: str) -> str | None:
    words = [s for s in path.split("/") if _COLLECTION.fullmatch(s)]
    return singular(words[-1]) if words else None


def json_ids(value: Any, collection: str | None) -> dict[str, str]:
    """Top-level keys of a JSON object that hold an id -> the parameter name for each."""
    if not isinstance(value, dict):
        return {}
    out = {}
    for key, item in value.items():
        name = id_key(str(key), collection)
        if name and is_id(item):
            out[str(key)] = name
    return out


def id_text(value: Any) -> str:
    return str(value)


def json_text(value: Any) -> str:
    """JSON exactly as the http tool sends it (compact, UTF-8, key order kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:50]


def _ip(host: str) -> bool:
    return bool(re.fullmatch(r"[0-9.]+|.*:.*", host))


def _replace(text: str, swaps: Mapping[str, str], *, boundary: bool = False) -> str:
    """Swap whole occurrences (longest first) and escape every other character run."""
    if not swaps:
        return escape(text)
    alternatives = "|".join(re.escape(k) for k in sorted(swaps, key=len, reverse=True))
    pattern = rf"(?<![^\s|>])(?:{alternatives})(?![^\s|])" if boundary else alternatives
    out, pos = [], 0
    for match in re.finditer(pattern, text):
        swap = swaps[match.group(0)]
        # Escape with the next character in view: a "$" just before "${...}" must be doubled.
        out.append(escape(text[pos : match.start()] + swap[0])[:-1])
        out.append(swap)
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end) span replaced by its placeholder, the rest escaped."""
    out, pos = [], 0
    for start, end, swap in sorted(spans):
        out.append(escape(text[pos:start] + "$")[:-1])
        out.append(swap)
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def escape_all(value: Any) -> Any:
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: escape_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_all(v) for v in value]
    return value


def referenced(value: Any) -> list[str]:
    if isinstance(value, str):
        return names_in(value)
    if isinstance(value, dict):
        return [n for v in value.values() for n in referenced(v)]
    if isinstance(value, list):
        return [n for v in value for n in referenced(v)]
    return []


def name_for(param: Param, taken: set[str], several_urls: bool) -> str:
    if param.kind == "url":
        host = urlsplit(param.value).hostname or ""
        label = _slug(host.split(".")[0])
        base = "base_url"
        if several_urls and label and not _ip(host) and NAME.fullmatch(label + "_url"):
            base = label + "_url"  # "api_url", "shop_url": which server, at a glance
    elif param.kind == "path":
        role = (
            "input"
            if param.reads and (not param.writes or param.reads[0] < param.writes[0])
            else "output"
        )
        ext = _slug(posixpath.splitext(param.value)[1]) or "file"
        base = f"{role}_{ext}"
    else:
        base = param.base
    if not NAME.fullmatch(base):
        base = "value"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name[:63]


def iter_paths(values: Iterable[Any]) -> list[str]:
    return [p for p in (clean_path(v) for v in values) if p]
