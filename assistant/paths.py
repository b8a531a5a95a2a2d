"""Where the app keeps its files: platformdirs locations, all movable with ASSISTANT_HOME."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "live-assistant"


def home_override() -> Path | None:
    """ASSISTANT_HOME moves config, data and journal under one folder (tests use a temp one)."""
    value = os.environ.get("ASSISTANT_HOME")
    return Path(value).expanduser().resolve() if value else None


def config_dir() -> Path:
    home = home_override()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    home = home_override()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def system_prompt_file() -> Path:
    """The person's own system prompt, used instead of the built-in one when it exists."""
    return config_dir() / "system_prompt.md"


def journal_file() -> Path:
    return data_dir() / "journal.sqlite3"


def protected_dirs() -> tuple[Path, ...]:
    """The app's own state: no tool may read or write here, even when it sits inside a workspace."""
    return tuple(dict.fromkeys(p.resolve() for p in (config_dir(), data_dir())))
