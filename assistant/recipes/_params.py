"""Which recorded values become recipe parameters (URL origins, file paths) and what they are called.

A value is named once however many steps use it, so ``--param orders_csv=new.csv`` moves every
step that read or wrote that file. Arguments are rewritten as templates: the parameter as a
placeholder, everything else escaped so it reads back exactly.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from assistant.recipes._template import NAME, escape, names_in, placeholder
from tools.base import escape_text

_SHELL_WORD = re.compile(r"[A-Za-z0-9._/@%+=:,-]+")

#: Argument name -> the context its placeholders are checked against, per tool.
ARG_CONTEXTS: dict[str, dict[str, str]] = {
    "http_request": {"url": "url", "save_to": "path"},
    "csv_write": {"path": "path", "sql": "sql"},
    "csv_read": {"path": "path"},
    "csv_query": {"sql": "sql"},
    "shell": {"command": "shell"},
}


@dataclass
class Param:
    """One named value and the steps that use it."""

    name: str
    value: str
    kind: str
    """"url" (an origin) or "path" (workspace-relative)."""
    steps: list[int] = field(default_factory=list)


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


def step_paths(tool: str, args: Mapping[str, Any], targets: Iterable[str]) -> list[str]:
    """Workspace paths a step names that can become parameters."""
    found = []
    for key in ("path", "save_to"):
        if ARG_CONTEXTS.get(tool, {}).get(key) == "path":
            path = clean_path(args.get(key))
            if path:
                found.append(path)
    if tool in ("csv_query", "csv_write", "shell"):
        for target in targets:
            if isinstance(target, str) and target.startswith("path:"):
                path = clean_path(target[5:])
                if path:
                    found.append(path)
    return list(dict.fromkeys(found))


class ParamBook:
    """Collects values step by step, then names them and rewrites arguments as templates."""

    def __init__(self) -> None:
        self.params: dict[tuple[str, str], Param] = {}

    def note(self, step: int, tool: str, args: Mapping[str, Any], targets: Iterable[str]) -> None:
        uses: list[tuple[str, str]] = []
        if tool == "http_request":
            split = url_origin(args.get("url"))
            if split:
                uses.append(("url", split[0]))
        uses += [("path", p) for p in step_paths(tool, args, targets)]
        for kind, value in uses:
            param = self.params.setdefault((kind, value), Param("", value, kind))
            if step not in param.steps:
                param.steps.append(step)

    def assign_names(self) -> None:
        taken: set[str] = set()
        urls = [p for p in self.params.values() if p.kind == "url"]
        for param in self.params.values():
            if param.kind == "url":
                host = urlsplit(param.value).hostname or ""
                label = _slug(host.split(".")[0])
                base = "base_url"
                if len(urls) > 1 and label and not _ip(host) and NAME.fullmatch(label + "_url"):
                    base = label + "_url"  # "api_url", "shop_url": which server, at a glance
            else:
                base = _slug(posixpath.basename(param.value)) or "file"
                if base[0].isdigit():
                    base = "file_" + base
                parent = _slug(posixpath.basename(posixpath.dirname(param.value)))
                if base in taken and parent:
                    base = f"{parent}_{base}"
            name, n = base, 2
            while name in taken:
                name, n = f"{base}_{n}", n + 1
            param.name = name[:63]
            taken.add(param.name)

    def keep_used(self, args_by_step: Mapping[int, Any]) -> None:
        """Keep only parameters some step's template refers to, and note which steps do (a
        value seen in a step may stay literal there, e.g. a quoted word in a shell command)."""
        users: dict[str, list[int]] = {}
        for step, args in sorted(args_by_step.items()):
            for name in _referenced(args):
                users.setdefault(name, [])
                if step not in users[name]:
                    users[name].append(step)
        for key, param in list(self.params.items()):
            if param.name in users:
                param.steps = users[param.name]
            else:
                del self.params[key]

    def ordered(self) -> list[Param]:
        return sorted(self.params.values(), key=lambda p: (p.steps[0], p.kind != "url", p.name))

    def template(
        self, tool: str, args: Mapping[str, Any], targets: Iterable[str]
    ) -> dict[str, Any]:
        """The step's arguments with its parameters as placeholders, the rest escaped."""
        out: dict[str, Any] = {}
        paths = {p.value: p.name for p in self.params.values() if p.kind == "path"}
        mine = {v: n for v, n in paths.items() if v in step_paths(tool, args, targets)}
        contexts = ARG_CONTEXTS.get(tool, {})
        for key, value in args.items():
            context = contexts.get(key)
            if context == "url" and isinstance(value, str) and (split := url_origin(value)):
                name = self.params[("url", split[0])].name
                out[key] = placeholder(name) + escape(split[1])
            elif context == "path" and (path := clean_path(value)) in paths:
                out[key] = placeholder(paths[str(path)])
            elif context == "sql" and isinstance(value, str):
                out[key] = _replace(
                    value, {f"'{v}'": f"'{placeholder(n)}'" for v, n in mine.items()}
                )
            elif context == "shell" and isinstance(value, str):
                words = {v: placeholder(n) for v, n in mine.items() if _SHELL_WORD.fullmatch(v)}
                out[key] = _replace(value, words, boundary=True)
            else:
                out[key] = _escape_all(value)
        return out


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


def _escape_all(value: Any) -> Any:
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: _escape_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_all(v) for v in value]
    return value


def _referenced(value: Any) -> list[str]:
    if isinstance(value, str):
        return names_in(value)
    if isinstance(value, dict):
        return [n for v in value.values() for n in _referenced(v)]
    if isinstance(value, list):
        return [n for v in value for n in _referenced(v)]
    return []


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:50]


def _ip(host: str) -> bool:
    return bool(re.fullmatch(r"[0-9.]+|.*:.*", host))
