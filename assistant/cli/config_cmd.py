"""`assistant config path|show`: where the files are and what the settings resolve to."""

from __future__ import annotations

import argparse
import json
from typing import Any

from assistant.cli.common import EXIT_OK, load_settings, out


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("config", help="show where settings live and what they resolve to")
    cs = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    cs.add_parser(
        "path",
        help="print where the config file, the system prompt, the data folder and the journal are",
    ).set_defaults(func=show_path)
    show = cs.add_parser(
        "show", help="print the effective settings (secret values are never shown)"
    )
    show.add_argument("--json", action="store_true", help="the settings as one JSON object")
    show.set_defaults(func=show_settings)


def show_path(args: argparse.Namespace) -> int:
    from assistant import paths

    console = out()
    prompt = paths.system_prompt_file()
    console.print(f"config file:   {paths.config_file()}")
    console.print(f"system prompt: {prompt}" + ("" if prompt.exists() else " (absent: built-in)"))
    console.print(f"data folder:   {paths.data_dir()}")
    console.print(f"journal:       {paths.journal_file()}")
    return EXIT_OK


def show_settings(args: argparse.Namespace) -> int:
    data = load_settings().public_dict()
    if args.json:
        out().print(json.dumps(data, indent=2))
        return EXIT_OK
    import tomli_w

    clean = _drop_none(data)
    out().print(tomli_w.dumps(clean).rstrip())
    return EXIT_OK


def _drop_none(value: Any) -> Any:
    """TOML has no null: a setting left unset is left out."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value]
    return value
