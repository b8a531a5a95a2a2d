"""Settings: the TOML config file, overridden by ASSISTANT_* environment variables, then by flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant import paths

ENV_PREFIX = "ASSISTANT_"


class ConfigError(Exception):
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
class HttpSettings:
    """Limits and network choices for the http_request tool."""

    timeout: float = 30.0
    """Total seconds one request (all redirect hops) may take."""
    max_body_bytes: int = 10_000_000
    """Decompressed response bytes the tool accepts before it stops reading."""
    model_excerpt_chars: int = 8_000
    """Characters of a response body the model sees; the rest is marked as cut."""
    max_redirects: int = 5
    use_proxy_env: bool = False
    """Honour HTTP(S)_PROXY variables; off by default so a stray proxy never sees traffic."""


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
    allow_hosts: tuple[str, ...] = ()
    """host:port pairs on loopback or private networks the HTTP tool may reach without asking."""
    deny: tuple[DenyRule, ...] = ()
    secrets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Secret name -> hosts it may be sent to. Values live in the keyring, never here."""
    http: HttpSettings = field(default_factory=HttpSettings)

    def public_dict(self) -> dict[str, Any]:
        """The settings as shown by `config show`: no secret values exist here to leak."""
        data = asdict(self)
        data["secrets"] = {name: list(hosts) for name, hosts in self.secrets.items()}
        return data


_SCALARS = {f.name: f for f in fields(Settings) if f.name not in {"deny", "secrets", "http"}}


def _coerce(name: str, raw: Any, default: Any, source: str) -> Any:
    if name == "allow_hosts":
        if isinstance(raw, str):
            raw = [h.strip() for h in raw.split(",") if h.strip()]
        if not isinstance(raw, list) or not all(isinstance(h, str) for h in raw):
            raise ConfigError(f"{source}: allow_hosts must be a list of 'host:port' strings")
        return tuple(raw)
    if name in {"model", "api_base"}:
        if raw in ("", None):
            return None
        if not isinstance(raw, str):
            raise ConfigError(f"{source}: {name} must be a string")
        return raw
    if name == "approve":
        if raw not in ("ask", "never", "all"):
            raise ConfigError(f"{source}: approve must be ask, never or all, not {raw!r}")
        return raw
    try:
        if name == "budget_usd":
            return None if raw in ("", None) else float(raw)
        if name == "keyring_timeout":
            return float(raw)
        if isinstance(default, int):
            value = int(raw)
            if value < 1:
                raise ValueError
            return value
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {name} must be a positive number, not {raw!r}") from None
    return raw


def _load_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None


def load(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the config file and apply ASSISTANT_* overrides."""
    path = path or paths.config_file()
    env = dict(os.environ) if env is None else env
    raw = _load_file(path)
    known = set(_SCALARS) | {"deny", "secrets", "http"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
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
    values["http"] = _http(raw.get("http", {}), path)
    return Settings(**values)


def _deny_rules(raw: Any, path: Path) -> tuple[DenyRule, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: deny must be an array of tables ([[deny]])")
    rules = []
    allowed = {f.name for f in fields(DenyRule)}
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict) or set(item) - allowed:
            raise ConfigError(f"{path}: deny rule {i} may only have {', '.join(sorted(allowed))}")
        rules.append(DenyRule(**{k: str(v) for k, v in item.items()}))
    return tuple(rules)


def _secret_hosts(raw: Any, path: Path) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [secrets] must be a table")
    out = {}
    for name, entry in raw.items():
        hosts = entry.get("hosts", []) if isinstance(entry, dict) else None
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise ConfigError(f'{path}: [secrets.{name}] needs hosts = ["host", ...]')
        out[name] = tuple(h.lower() for h in hosts)
    return out


def _http(raw: Any, path: Path) -> HttpSettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [http] must be a table")
    allowed = {f.name: f for f in fields(HttpSettings)}
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ConfigError(f"{path}: unknown [http] setting(s) {', '.join(unknown)}")
    try:
        return HttpSettings(**{k: type(allowed[k].default)(v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: [http] {exc}") from None


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
