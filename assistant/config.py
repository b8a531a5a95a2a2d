"""Settings: the TOML config file, overridden by ASSISTANT_* environment variables, then by flags."""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from assistant import paths
from assistant.errors import AssistantError
from tools import settings_types
from tools.settings import bounds_of
from tools.words import noun

T = TypeVar("T")

ENV_PREFIX = "ASSISTANT_"


class ConfigError(AssistantError):
    """The config file or an ASSISTANT_* variable holds something unusable; the message says which."""


@dataclass(frozen=True)
class DenyRule:
    """A configured rule that refuses matching actions outright, whoever approves.

    ``tool`` and ``target`` are fnmatch globs ("*" matches all); ``effect`` limits the rule to
    read, write or egress actions when set.
    """

    tool: str = "*"
    target: str = "*"
    effect: str | None = None
    reason: str = "refused by a deny rule in the config"


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from config.toml; every field can be set by ASSISTANT_<FIELD>."""

    model: str | None = None
    """A litellm model string, e.g. "openai/gpt-4.1-mini" or "ollama_chat/llama3.1"."""
    api_base: str | None = None
    """Base URL for OpenAI-compatible or local servers."""
    approve: str = "ask"
    """Default approval mode for `assistant run`: ask, never or all."""
    max_tool_calls: int = 25
    """Tool calls one turn may make before it is stopped."""
    max_identical_failures: int = 3
    """The same failing call (tool and arguments) this many times ends the turn."""
    budget_usd: float | None = None
    """Session spend at which no further model call is made."""
    keyring_timeout: float = 3.0
    """Seconds to wait on the OS keyring before treating it as unavailable."""
    allow_plaintext_keyring: bool = False
    """Use a keyring backend that keeps values in a plain file (keyrings.alt's PlaintextKeyring
    and the like). Off: such a backend counts as no keyring, and keys come from the environment."""
    allow_hosts: tuple[str, ...] = ()
    """host:port pairs on loopback or private networks the HTTP tool may reach without asking."""
    deny: tuple[DenyRule, ...] = ()
    secrets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Secret name -> hosts it may be sent to. Values live in the keyring, never here."""
    tool_settings: tuple[Any, ...] = ()
    """Each tool's settings (``HttpSettings`` from [http], ...), built from its table; a tool
    whose table is absent gets its defaults (``for_tool``)."""

    def for_tool(self, kind: type[T]) -> T:
        """The settings of type ``kind`` (a tool's settings class), or its defaults."""
        for item in self.tool_settings:
            if isinstance(item, kind):
                return item
        return kind()

    def public_dict(self) -> dict[str, Any]:
        """The settings as shown by `config show`: no secret values exist here to leak."""
        data = asdict(self)
        del data["tool_settings"]
        data["secrets"] = {name: list(hosts) for name, hosts in self.secrets.items()}
        for kind in settings_types():
            data[kind.table] = asdict(self.for_tool(kind))
        return data


_TABLES = {"deny", "secrets", "tool_settings"}
_SCALARS = {f.name: f for f in fields(Settings) if f.name not in _TABLES}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _bool(name: str, raw: Any, source: str) -> bool:
    """A TOML boolean, or (from the environment) true/false, 1/0, yes/no, on/off."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and source.startswith(ENV_PREFIX):
        word = raw.strip().lower()
        if word in _TRUE | _FALSE:
            return word in _TRUE
    raise ConfigError(f"{source}: {name} must be true or false, not {_shown(raw)}")


def _whole(name: str, raw: Any, source: str, minimum: int, maximum: float | None = None) -> int:
    """A whole number from ``minimum`` (to ``maximum``): a TOML integer, or digits from the
    environment."""
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and source.startswith(ENV_PREFIX) and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or value < minimum or (maximum is not None and value > maximum):
        what = f"a whole number, {minimum} or more"  # 2.5 is positive, not whole
        if maximum is not None:
            what = f"a whole number from {minimum} to {maximum:.0f}"
        raise ConfigError(f"{source}: {name} must be {what}, not {_shown(raw)}")
    return value


def _number(name: str, raw: Any, source: str, *, positive: bool, maximum: float | None) -> float:
    """A finite number (> 0 when ``positive``, else >= 0) up to ``maximum``: never NaN or inf."""
    value: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str) and source.startswith(ENV_PREFIX):
        try:
            value = float(raw.strip())
        except ValueError:
            value = None
    ok = (
        value is not None
        and math.isfinite(value)
        and (value > 0 if positive else value >= 0)
        and (maximum is None or value <= maximum)
    )
    if not ok or value is None:
        what = "more than 0" if positive else "0 or more"
        most = f" and at most {maximum:g}" if maximum is not None else ""
        raise ConfigError(f"{source}: {name} must be a number {what}{most}, not {_shown(raw)}")
    return value


def _text(name: str, raw: Any, source: str) -> str:
    if not isinstance(raw, str):
        raise ConfigError(f"{source}: {name} must be a string, not {_shown(raw)}")
    return raw


def _shown(raw: Any) -> str:
    """A value as the error quotes it: its repr, short; its type when it is a table or array."""
    if isinstance(raw, dict | list):
        return "a table" if isinstance(raw, dict) else "an array"
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _coerce(name: str, raw: Any, default: Any, source: str) -> Any:
    if name == "allow_hosts":
        if isinstance(raw, str) and source.startswith(ENV_PREFIX):
            raw = [h.strip() for h in raw.split(",") if h.strip()]
        if not isinstance(raw, list) or not all(isinstance(h, str) for h in raw):
            raise ConfigError(f"{source}: allow_hosts must be a list of 'host:port' strings")
        return tuple(raw)
    if name in {"model", "api_base"}:
        if raw in ("", None):
            return None
        return _text(name, raw, source)
    if name == "approve":
        if raw not in ("ask", "never", "all"):
            raise ConfigError(f"{source}: approve must be ask, never or all, not {_shown(raw)}")
        return raw
    if name == "budget_usd":
        if raw == "" and source.startswith(ENV_PREFIX):
            return None
        return _number(name, raw, source, positive=False, maximum=1e9)
    if name == "keyring_timeout":
        return _number(name, raw, source, positive=True, maximum=600)
    if isinstance(default, bool):
        return _bool(name, raw, source)
    if isinstance(default, int):
        return _whole(name, raw, source, 1)
    return raw


def _load_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file (byte {exc.start} is not UTF-8); a config file is TOML text"
        ) from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def load(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the config file and apply ASSISTANT_* overrides; every value is type-checked."""
    path = path or paths.config_file()
    env = dict(os.environ) if env is None else env
    raw = _load_file(path)
    tables = {kind.table: kind for kind in settings_types()}
    known = set(_SCALARS) | {"deny", "secrets"} | set(tables)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown {noun(len(unknown), 'setting')} {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, f in _SCALARS.items():
        default = f.default
        if name in raw:
            values[name] = _coerce(name, raw[name], default, str(path))
        env_value = env.get(ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = _coerce(name, env_value, default, ENV_PREFIX + name.upper())
    values["deny"] = _deny_rules(raw.get("deny", []), path)
    values["secrets"] = _secret_hosts(raw.get("secrets", {}), path)
    values["tool_settings"] = tuple(
        _tool_table(kind, raw.get(table, {}), path) for table, kind in tables.items()
    )
    return Settings(**values)


_EFFECTS = ("read", "write", "egress")


def _deny_rules(raw: Any, path: Path) -> tuple[DenyRule, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: deny must be an array of tables ([[deny]])")
    rules = []
    allowed = {f.name for f in fields(DenyRule)}
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict) or set(item) - allowed:
            raise ConfigError(f"{path}: deny rule {i} may only have {', '.join(sorted(allowed))}")
        for key, value in item.items():
            if not isinstance(value, str) or (key != "reason" and not value.strip()):
                raise ConfigError(
                    f"{path}: deny rule {i}: {key} must be a non-empty string, not {_shown(value)}"
                )
        if item.get("effect") not in (None, *_EFFECTS):
            raise ConfigError(
                f"{path}: deny rule {i}: effect must be read, write or egress, "
                f"not {_shown(item['effect'])}"
            )
        rules.append(DenyRule(**item))
    return tuple(rules)


def _secret_hosts(raw: Any, path: Path) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [secrets] must be a table")
    out = {}
    for name, entry in raw.items():
        unknown = sorted(set(entry) - {"hosts"}) if isinstance(entry, dict) else []
        if unknown:  # `host = [...]` would otherwise bind nothing, silently
            word = noun(len(unknown), "setting")
            raise ConfigError(f"{path}: unknown [secrets.{name}] {word} {', '.join(unknown)}")
        hosts = entry.get("hosts", []) if isinstance(entry, dict) else None
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise ConfigError(f'{path}: [secrets.{name}] needs hosts = ["host", ...]')
        out[name] = tuple(h.lower() for h in hosts)
    return out


def _tool_table(kind: type[T], raw: Any, path: Path) -> T:
    """A tool's settings from its table, each value checked against its declared type and bounds
    (``tools.settings``)."""
    table = getattr(kind, "table", kind.__name__)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [{table}] must be a table")
    declared = {f.name: f for f in fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        word = noun(len(unknown), "setting")
        raise ConfigError(f"{path}: unknown [{table}] {word} {', '.join(unknown)}")
    types = get_type_hints(kind)
    where = f"{path} [{table}]"
    values: dict[str, Any] = {}
    for key, value in raw.items():
        bounds = bounds_of(declared[key])
        if types[key] is bool:
            values[key] = _bool(key, value, where)
        elif types[key] is int:
            values[key] = _whole(key, value, where, int(bounds.minimum or 0), bounds.maximum)
        elif types[key] is float:
            positive = bounds.above and bounds.minimum == 0
            values[key] = _number(key, value, where, positive=positive, maximum=bounds.maximum)
        elif types[key] is not str and hasattr(kind, "read_field"):
            values[key] = _sub_tables(kind, key, value, path)
        else:
            values[key] = _text(key, value, where)
    return kind(**values)


def _sub_tables(kind: Any, key: str, raw: Any, path: Path) -> Any:
    """A field that holds tables of its own ([mcp.servers.NAME]), read and checked by its
    settings class (``tools.settings.HasSubTables``)."""
    try:
        return kind.read_field(key, raw, str(path))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def update_file(changes: dict[str, Any], path: Path | None = None) -> None:
    """Merge top-level ``changes`` into the config file (None removes a key), written atomically."""
    import tomli_w

    path = path or paths.config_file()
    data = _load_file(path)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_bytes(tomli_w.dumps(data).encode())
    os.replace(tmp, path)


def set_secret_hosts(name: str, hosts: list[str] | None, path: Path | None = None) -> None:
    """Record (or, with None, forget) which hosts a secret may be sent to."""
    path = path or paths.config_file()
    secrets = dict(_load_file(path).get("secrets", {}))
    if hosts is None:
        secrets.pop(name, None)
    else:
        secrets[name] = {"hosts": sorted({h.lower() for h in hosts})}
    update_file({"secrets": secrets or None}, path)
