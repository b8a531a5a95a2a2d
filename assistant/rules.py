"""Rules that last: "always allow this kind of action in this workspace", kept in a file.

A saved rule is a session grant (``assistant.agent.policy.Grant``) that outlives the session: the
same tool, scope key and kinds an "allow for this session" would record, matched by the same
``Policy.matching_grant``. Rules live in ``rules.toml`` in the config folder (which no tool may
read or write, so the model cannot give itself a rule), each tied to one workspace folder.

The file is read strictly: anything but the documented shape (a hand edit gone wrong, a binary
file, a wrong type) is a ``RulesError`` naming the entry, and then no saved rule applies at all:
a broken file never allows more than a good one.
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.errors import AssistantError

MAX_FILE_BYTES = 1 << 20
RULE_ID = re.compile(r"r[1-9][0-9]{0,8}")
_REQUIRED = {"id": str, "workspace": str, "tool": str, "scope": str, "kinds": list, "label": str}
_OPTIONAL = {"added": str}
HEADER = (
    "# Rules that last: each allows one kind of action in one workspace without asking.\n"
    "# Listed and revoked with `assistant rules list|revoke` or /grants in the app.\n"
)


class RulesError(AssistantError):
    """The rules file cannot be used (the message names the file and the entry)."""


@dataclass(frozen=True)
class SavedRule:
    """One rule as stored: what ``Policy`` matches (tool, scope, kinds) and what people read."""

    id: str
    workspace: str
    tool: str
    scope: str
    kinds: frozenset[str]
    label: str
    added: str = ""

    def to_toml(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workspace": self.workspace,
            "tool": self.tool,
            "scope": self.scope,
            "kinds": sorted(self.kinds),
            "label": self.label,
            "added": self.added,
        }


def rules_file() -> Path:
    return paths.config_dir() / "rules.toml"


def workspace_key(root: str | Path) -> str:
    """The workspace a rule belongs to, as stored: its resolved absolute path."""
    return str(Path(root).expanduser().resolve())


def read_rules(path: Path | None = None) -> list[SavedRule]:
    """Every rule in the file (all workspaces); RulesError when any entry is not as documented."""
    return _read(path or rules_file())[0]


def _read(path: Path) -> tuple[list[SavedRule], int]:
    """The rules and the highest id number ever given (ids are never reused, so "rule:r3" in
    the journal names one rule only)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RulesError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB; not a rules file")
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    except OSError as exc:
        raise RulesError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RulesError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise RulesError(f"{path}: nested too deeply to be a rules file") from None
    unknown = sorted(set(data) - {"rules", "last_id"})
    if unknown:
        raise RulesError(
            f"{path}: unknown setting {', '.join(map(repr, unknown))}; only last_id and [[rules]]"
        )
    entries = data.get("rules", [])
    if not isinstance(entries, list):
        raise RulesError(f"{path}: rules must be an array of tables ([[rules]])")
    out: list[SavedRule] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        rule = _checked(path, number, entry)
        if rule.id in seen:
            raise RulesError(f"{path}: rule {number}: the id {rule.id!r} is used twice")
        seen.add(rule.id)
        out.append(rule)
    last = data.get("last_id", 0)
    if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last < 10**9:
        raise RulesError(f"{path}: last_id must be a whole number, not {_shown(last)}")
    return out, max([last, *(int(r.id[1:]) for r in out)])


def _checked(path: Path, number: int, entry: Any) -> SavedRule:
    where = f"{path}: rule {number}"
    if not isinstance(entry, dict):
        raise RulesError(f"{where}: must be a table with {', '.join(_REQUIRED)}")
    missing = [k for k in _REQUIRED if k not in entry]
    extra = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if missing or extra:
        what = (f"lacks {', '.join(missing)}" if missing else "") + (
            ("; " if missing and extra else "") + f"has unknown {', '.join(extra)}" if extra else ""
        )
        raise RulesError(f"{where}: {what}")
    for key, kind in {**_REQUIRED, **_OPTIONAL}.items():
        if key in entry and not isinstance(entry[key], kind):
            raise RulesError(f"{where}: {key} must be a {kind.__name__}, not {_shown(entry[key])}")
    for key in ("id", "workspace", "tool", "scope", "label"):
        value = entry[key]
        if not value.strip() or len(value) > 4000 or not value.isprintable():
            raise RulesError(f"{where}: {key} must be non-empty printable text")
    if not RULE_ID.fullmatch(entry["id"]):
        raise RulesError(f"{where}: id {_shown(entry['id'])} must look like r1, r2, ...")
    if not os.path.isabs(entry["workspace"]):
        raise RulesError(f"{where}: workspace must be an absolute path")
    kinds = entry["kinds"]
    if not all(isinstance(k, str) and k.strip() and k.isprintable() for k in kinds):
        raise RulesError(f'{where}: kinds must be a list of names, e.g. ["create"]')
    if len(set(kinds)) != len(kinds):
        raise RulesError(f"{where}: kinds lists a kind twice")
    return SavedRule(
        entry["id"],
        entry["workspace"],
        entry["tool"],
        entry["scope"],
        frozenset(kinds),
        entry["label"],
        entry.get("added", ""),
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def write_rules(rules: list[SavedRule], last_id: int, path: Path | None = None) -> None:
    """Write the whole file atomically (private to its owner)."""
    import tomli_w

    path = path or rules_file()
    data = {"last_id": last_id, "rules": [r.to_toml() for r in rules]}
    text = HEADER + "\n" + tomli_w.dumps(data)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise RulesError(f"{path}: cannot be written ({exc.strerror or exc})") from None


class RuleBook:
    """The saved rules of one workspace, read again whenever the file changes (a rule revoked
    with `assistant rules revoke` stops applying in a running app at its next decision)."""

    def __init__(self, workspace: str | Path, path: Path | None = None) -> None:
        self.workspace = workspace_key(workspace)
        self.path = path or rules_file()
        self.problem = ""
        """Why the file could not be used (then no saved rule applies), or ""."""
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._rules: list[SavedRule] = []

    def rules(self) -> list[SavedRule]:
        """This workspace's rules as the file says now (none while the file is unusable)."""
        with self._lock:
            stamp = _stamp(self.path)
            if stamp != self._stamp or stamp is None:
                self._stamp = stamp
                try:
                    every = read_rules(self.path)
                except RulesError as exc:
                    self.problem, self._rules = str(exc), []
                else:
                    self.problem = ""
                    self._rules = [r for r in every if r.workspace == self.workspace]
            return list(self._rules)

    def add(self, tool: str, scope: str, kinds: frozenset[str], label: str) -> SavedRule:
        """Save a rule for this workspace (the one already saved, when it is the same)."""
        with self._lock:
            every, last = _read(self.path)  # a broken file is said, never overwritten
            for rule in every:
                if (rule.workspace, rule.tool, rule.scope, rule.kinds) == (
                    self.workspace,
                    tool,
                    scope,
                    kinds,
                ):
                    return rule
            added = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            rule = SavedRule(f"r{last + 1}", self.workspace, tool, scope, kinds, label, added)
            write_rules([*every, rule], last + 1, self.path)
            self._stamp = None
            return rule

    def revoke(self, rule_id: str) -> SavedRule:
        """Remove one of this workspace's rules; KeyError (its message said) when none."""
        with self._lock:
            every, last = _read(self.path)
            found = next(
                (r for r in every if r.id == rule_id and r.workspace == self.workspace), None
            )
            if found is None:
                raise KeyError(f"no saved rule {rule_id!r} for {self.workspace}")
            write_rules([r for r in every if r is not found], last, self.path)
            self._stamp = None
            return found

    def __iter__(self) -> Iterator[SavedRule]:
        return iter(self.rules())


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
