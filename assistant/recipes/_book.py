"""The parameter book a recipe is made with: it notes what each step refers to (servers, files
and their role, record ids), names every value once, and rewrites arguments as templates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assistant.recipes._params import (
    ARG_CONTEXTS,
    Param,
    _replace,
    _splice,
    clean_path,
    escape_all,
    id_key,
    is_id,
    json_ids,
    last_collection,
    name_for,
    referenced,
    url_ids,
    url_origin,
)
from assistant.recipes._template import escape, placeholder

_SHELL_WORD_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/@%+=:,-")


@dataclass(frozen=True)
class Source:
    """One recorded call as the book reads it: its tool, faithful arguments (a JSON body apart,
    as a value), and what the tool's plan said it touches."""

    number: int
    tool: str
    args: dict[str, Any]
    json_body: Any = None
    has_json: bool = False
    targets: tuple[str, ...] = ()
    preview: Mapping[str, Any] | None = None


def _path_uses(src: Source) -> list[tuple[str, str]]:
    """(path, "read" | "write") for the files a step touches, in a stable order."""
    uses: list[tuple[str, str]] = []
    targets = [t[5:] for t in src.targets if t.startswith("path:")]
    if src.tool == "http_request" and (p := clean_path(src.args.get("save_to"))):
        uses.append((p, "write"))
    elif src.tool == "csv_read" and (p := clean_path(src.args.get("path"))):
        uses.append((p, "read"))
    elif src.tool == "csv_query":
        uses += [(p, "read") for t in targets if (p := clean_path(t))]
    elif src.tool == "csv_write":
        own = clean_path(src.args.get("path"))
        if own:
            uses.append((own, "write"))
        uses += [(p, "read") for t in targets if (p := clean_path(t)) and p != own]
    elif src.tool == "shell":
        data = src.preview or {}
        reads = data.get("reads")
        reads = reads if isinstance(reads, list) else []
        changes = data.get("changes")
        changes = changes if isinstance(changes, list) else []
        uses += [(p, "read") for r in reads if (p := clean_path(r))]
        for change in changes:
            if isinstance(change, dict) and (p := clean_path(change.get("path"))):
                uses.append((p, "write"))
        if not reads and not changes:
            uses += [(p, "read") for t in targets if (p := clean_path(t))]
    return list(dict.fromkeys(uses))


class Book:
    """Collects values step by step, then names them and rewrites arguments as templates."""

    def __init__(self) -> None:
        self.params: dict[tuple[str, str, str], Param] = {}

    def _use(self, kind: str, value: str, base: str, step: int, role: str = "") -> None:
        key = (kind, base if kind == "id" else "", value)
        param = self.params.setdefault(key, Param(kind, value, base))
        if step not in param.steps:
            param.steps.append(step)
        if role == "read" and step not in param.reads:
            param.reads.append(step)
        if role == "write" and step not in param.writes:
            param.writes.append(step)

    def note(self, src: Source) -> None:
        if src.tool == "http_request":
            split = url_origin(src.args.get("url"))
            collection: str | None = None
            if split:
                self._use("url", split[0], "base_url", src.number)
                for start, end, base in url_ids(split[1]):
                    self._use("id", split[1][start:end], base, src.number)
                collection = last_collection(split[1].split("?", 1)[0])
            query = src.args.get("query")
            if isinstance(query, dict):
                for key, value in query.items():
                    found = id_key(str(key), collection)
                    if found and is_id(value):
                        self._use("id", str(value), found, src.number)
            if src.has_json:
                for key, name in json_ids(src.json_body, collection).items():
                    self._use("id", str(src.json_body[key]), name, src.number)
        for path, role in _path_uses(src):
            self._use("path", path, "", src.number, role)

    def assign_names(self) -> None:
        taken: set[str] = set()
        several = sum(p.kind == "url" for p in self.params.values()) > 1
        for param in sorted(self.params.values(), key=lambda p: (p.steps[0], p.kind, p.value)):
            param.name = name_for(param, taken, several)
            taken.add(param.name)

    def keep_used(self, templates: Mapping[int, Any]) -> None:
        """Keep only parameters some step's template refers to, and note which steps do (a
        value seen in a step may stay literal there, e.g. a quoted word in a shell command)."""
        users: dict[str, list[int]] = {}
        for step, value in sorted(templates.items()):
            for name in referenced(value):
                users.setdefault(name, [])
                if step not in users[name]:
                    users[name].append(step)
        for key, param in list(self.params.items()):
            if param.name in users:
                param.steps = users[param.name]
                param.reads = [s for s in param.reads if s in param.steps]
                param.writes = [s for s in param.writes if s in param.steps]
            else:
                del self.params[key]

    def ordered(self) -> list[Param]:
        order = {"url": 0, "id": 1, "path": 2}
        return sorted(self.params.values(), key=lambda p: (p.steps[0], order[p.kind], p.name))

    # -- templates ---------------------------------------------------------------------------

    def _id_name(self, value: Any, base: str) -> str | None:
        param = self.params.get(("id", base, str(value)))
        return param.name if param else None

    def template(self, src: Source) -> tuple[dict[str, Any], dict[str, str]]:
        """(args, args_json): the step's arguments with its parameters as placeholders."""
        paths = {p.value: p.name for p in self.params.values() if p.kind == "path"}
        mine = {v: n for v, n in paths.items() if v in {u for u, _ in _path_uses(src)}}
        contexts = ARG_CONTEXTS.get(src.tool, {})
        out: dict[str, Any] = {}
        collection = None
        for key, value in src.args.items():
            context = contexts.get(key)
            if context == "url" and isinstance(value, str) and (split := url_origin(value)):
                origin = self.params[("url", "", split[0])].name
                spans = [
                    (start, end, placeholder(name))
                    for start, end, base in url_ids(split[1])
                    if (name := self._id_name(split[1][start:end], base))
                ]
                out[key] = placeholder(origin) + _splice(split[1], spans)
                collection = last_collection(split[1].split("?", 1)[0])
            elif context == "path" and (path := clean_path(value)) in paths:
                out[key] = placeholder(paths[str(path)])
            elif context == "sql" and isinstance(value, str):
                out[key] = _replace(
                    value, {f"'{v}'": f"'{placeholder(n)}'" for v, n in mine.items()}
                )
            elif context == "shell" and isinstance(value, str):
                words = {v: placeholder(n) for v, n in mine.items() if set(v) <= _SHELL_WORD_CHARS}
                out[key] = _replace(value, words, boundary=True)
            else:
                out[key] = escape_all(value)
        if src.tool == "http_request" and isinstance(src.args.get("query"), dict):
            out["query"] = self._query(src.args["query"], collection)
        args_json: dict[str, str] = {}
        if src.has_json:
            args_json["json"] = self._json(src.json_body, collection)
        return out, args_json

    def _query(self, query: Mapping[str, Any], collection: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in query.items():
            base = id_key(str(key), collection)
            name = self._id_name(value, base) if base and is_id(value) else None
            out[key] = placeholder(name) if name else escape_all(value)
        return out

    def _json(self, body: Any, collection: str | None) -> str:
        """The body as compact JSON text (as the tool sends it), ids as placeholders."""
        whole = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        ids = json_ids(body, collection)
        names = {k: n for k, base in ids.items() if (n := self._id_name(body[k], base))}
        if not names:
            return escape(whole)
        parts = []
        for key, value in body.items():
            k = escape(json.dumps(key, ensure_ascii=False))
            if key in names:
                spot = placeholder(names[key])
                parts.append(f'{k}:"{spot}"' if isinstance(value, str) else f"{k}:{spot}")
            else:
                dumped = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                parts.append(f"{k}:{escape(dumped)}")
        return "{" + ",".join(parts) + "}"
