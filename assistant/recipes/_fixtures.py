"""Fixtures: what a recipe is tested against, saved beside it by ``assistant export ID --format
recipe --with-fixtures DIR``: the files the session read (as they were before it changed them),
the HTTP responses it got, and the files it wrote. A fixtures folder is data, read as untrusted:
every path in it must stay inside it.

Layout::

    DIR/fixtures.toml    what is where, and the session it came from
    DIR/inputs/...       the workspace files the session started from
    DIR/http/NNN.json    one recorded request and its response per file
    DIR/mcp/NNN.json     one recorded MCP call and its result per file
    DIR/expected/...     the files the session wrote, byte for byte
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.recipes._book import Source, _path_uses
from assistant.recipes._mcp import McpRecording, recording_of
from assistant.recipes._params import clean_path
from assistant.recipes._replay import Recording
from assistant.recipes._spec import RecipeError
from assistant.recipes._toml import comment, table
from tools.base import ToolError, escape_text

if TYPE_CHECKING:
    from assistant.agent.action_life import Life
    from assistant.journal import Journal
    from assistant.recipes._make import Made

MANIFEST = "fixtures.toml"
FIXTURES_FORMAT = 1


@dataclass
class Fixtures:
    """A fixtures folder as read: inputs and expected outputs by workspace path, recordings."""

    root: Path
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)
    source_session: str = ""
    mcp: list[McpRecording] = field(default_factory=list)

    def input_file(self, rel: str) -> Path:
        return self.root / "inputs" / rel

    def expected_file(self, rel: str) -> Path:
        return self.root / "expected" / rel


def default_dir(recipe_path: str | Path) -> Path:
    """pull.recipe.toml -> pull.fixtures (beside it)."""
    p = Path(recipe_path)
    stem = p.name.removesuffix(".toml").removesuffix(".recipe")
    return p.with_name(stem + ".fixtures")


def _safe_list(value: Any, key: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecipeError(f"{where}: {key} must be a list of paths")
    out = []
    for item in value:
        path = clean_path(item)
        if path is None or path != item:
            raise RecipeError(f"{where}: {escape_text(item)!r} is not a plain relative path")
        out.append(path)
    return out


def read(root: Path) -> Fixtures:
    """Read and check a fixtures folder (RecipeError names the file and what is wrong)."""
    manifest = root / MANIFEST
    where = str(manifest)
    try:
        doc = tomllib.loads(manifest.read_text("utf-8"))
    except OSError as exc:
        raise RecipeError(
            f"no fixtures at {root}: cannot read {MANIFEST} ({exc.strerror})"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RecipeError(f"{where}: not a fixtures file ({exc})") from None
    info = doc.get("fixtures")
    if not isinstance(info, dict) or info.get("format") != FIXTURES_FORMAT:
        raise RecipeError(f"{where}: expected a [fixtures] table with format = {FIXTURES_FORMAT}")
    found = Fixtures(root, source_session=str(info.get("source_session", "")))
    found.inputs = _safe_list(info.get("inputs", []), "inputs", where)
    found.outputs = _safe_list(info.get("outputs", []), "outputs", where)
    for rel in _safe_list(info.get("http", []), "http", where):
        path = root / rel
        try:
            import json

            raw = json.loads(path.read_text("utf-8"))
            found.recordings.append(Recording.from_json(raw, str(path)))
        except (OSError, ValueError) as exc:
            raise RecipeError(f"{path}: cannot read this recording ({exc})") from None
        except ToolError as exc:
            raise RecipeError(str(exc)) from None
    for rel in _safe_list(info.get("mcp", []), "mcp", where):
        path = root / rel
        try:
            import json

            found.mcp.append(McpRecording.from_json(json.loads(path.read_text("utf-8")), str(path)))
        except (OSError, ValueError) as exc:
            raise RecipeError(f"{path}: cannot read this recording ({exc})") from None
        except ToolError as exc:
            raise RecipeError(str(exc)) from None
    for rel in found.inputs:
        if not found.input_file(rel).is_file() or found.input_file(rel).is_symlink():
            raise RecipeError(f"{where}: the input {escape_text(rel)} is missing from inputs/")
    for rel in found.outputs:
        if not found.expected_file(rel).is_file() or found.expected_file(rel).is_symlink():
            raise RecipeError(f"{where}: the output {escape_text(rel)} is missing from expected/")
    return found


# -- saving ----------------------------------------------------------------------------------


@dataclass
class Gathered:
    """What a session's steps read, wrote and fetched, with the bytes of each input."""

    inputs: dict[str, bytes] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)
    mcp: list[McpRecording] = field(default_factory=list)


def _uses(life: Life) -> list[tuple[str, str]]:
    """(path, role) a step touches; role "maybe" for a shell word that may name a file it reads
    (a writing shell command lists only what it changes): kept if such a file exists."""
    p = life.proposed
    data = p.preview.get("data") if isinstance(p.preview.get("data"), dict) else None
    uses = _path_uses(Source(0, p.tool, dict(p.args), targets=tuple(p.targets), preview=data))
    if p.tool == "shell" and isinstance(p.args.get("command"), str):
        known = {path for path, _ in uses}
        uses += [(w, "maybe") for w in _shell_words(p.args["command"]) if w not in known]
    return uses


def _shell_words(command: str) -> list[str]:
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    out, skip = [], False
    for word in words:
        if skip or word in ("|", "<") or word.startswith("-"):
            skip = False
            continue
        if word in (">", ">>"):
            skip = True
            continue
        if (path := clean_path(word)) is not None:
            out.append(path)
    return list(dict.fromkeys(out))


def gather(made: Made, journal: Journal) -> Gathered:
    """The session's inputs (before-images where the session later changed a file, else the
    file as it is now in the source workspace), its outputs and its HTTP exchanges."""
    out = Gathered()
    first_write: dict[str, str | None] = {}
    for number, life in made.lives.items():
        if life.result is None:
            raise RecipeError(
                f"step {number}'s outcome is unknown (the session stopped while it ran): a test "
                "cannot be built on it; export without --with-fixtures"
            )
        for path, role in _uses(life):
            if role == "write" and path not in first_write:
                first_write[path] = life.result.blobs.get(path)
    produced: set[str] = set()
    ws = Path(made.workspace)
    for number, life in made.lives.items():
        assert life.result is not None
        for path, role in _uses(life):
            if path in produced or path in out.inputs:
                continue
            if role == "write":
                produced.add(path)
                out.outputs.append(path)
            digest = first_write.get(path, "")
            if digest:
                out.inputs[path] = journal.get_blob(digest)
            elif path not in first_write and (
                role == "read" or (role == "maybe" and (ws / path).is_file())
            ):
                out.inputs[path] = _read_input(ws, path, number)
        p = life.proposed
        mcp = recording_of(life, number)
        if mcp is not None:
            out.mcp.append(mcp)
        if p.tool == "http_request":
            data = p.preview.get("data") if isinstance(p.preview.get("data"), dict) else {}
            assert isinstance(data, dict)
            out.recordings.append(
                Recording(
                    str(data.get("method", "")),
                    str(data.get("url", "")),
                    data.get("body") if isinstance(data.get("body"), str) else None,
                    life.result.ok,
                    life.result.output,
                    life.result.display,
                    dict(life.result.data),
                    number,
                )
            )
    return out


def _read_input(ws: Path, rel: str, number: int) -> bytes:
    from tools.workspace import Workspace

    try:
        workspace = Workspace(ws)
        return workspace.read_bytes(workspace.resolve(rel))
    except (OSError, ToolError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise RecipeError(
            f"step {number} read {escape_text(rel)} in {escape_text(str(ws))}, which cannot be "
            f"read now ({reason}); the fixtures need it"
        ) from None


def write_manifest(
    root: Path,
    gathered: Gathered,
    made: Made,
    http_files: list[str],
    mcp_files: Sequence[str] = (),
) -> None:
    info = {
        "format": FIXTURES_FORMAT,
        "source_session": str(made.recipe.info.get("source_session", "")),
        "inputs": sorted(gathered.inputs),
        "outputs": gathered.outputs,
        "http": http_files,
        **({"mcp": list(mcp_files)} if mcp_files else {}),
    }
    lines = [
        "# "
        + comment(
            f"Fixtures of session {str(info['source_session'])[:8]}: the files it read, "
            "the HTTP responses it got and the files it wrote."
        ),  # fmt: skip
        "# `assistant recipe test RECIPE --fixtures THIS_FOLDER` replays the recipe against them:",
        "# a temporary copy of inputs/, HTTP answered from http/, outputs compared with expected/.",
        "",
        *table(["fixtures"], info),
    ]
    (root / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
