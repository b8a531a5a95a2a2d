"""`assistant keys set|list|delete`: secrets in the OS keyring; names and host bindings in config."""

from __future__ import annotations

import argparse
import getpass
import sys

from assistant.cli.common import EXIT_FAILED, EXIT_OK, CommandError, err, load_settings, out


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "keys",
        help="store API keys and secrets in the system keyring",
        description="Values go to the system keyring. A keyring backend that keeps them in a "
        "plain file (keyrings.alt) is used only with allow_plaintext_keyring = true in the config.",
    )
    ks = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    s = ks.add_parser(
        "set",
        help="store a secret (hidden prompt, or the value on stdin)",
        description="Store NAME in the keyring. Provider keys use their usual names (OPENAI_API_KEY). "
        "Secrets for the HTTP tool are used as {{secret:NAME}} and only sent to the --host values.",
    )
    s.add_argument("name", help="a provider key name (OPENAI_API_KEY) or a secret's name")
    s.add_argument(
        "--host",
        action="append",
        default=[],
        help="where this secret may be sent: HOST (https, port 443), HOST:PORT (https), or "
        "http://HOST[:PORT] for plain HTTP (repeatable)",
    )
    s.set_defaults(func=set_key)
    ls = ks.add_parser(
        "list",
        help="list the secrets and the provider keys found (never the values)",
        description="Lists the secrets the config names, with the hosts each may be sent to, "
        "and every provider key (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) found in the keyring "
        "or the environment, with where it was found. Values are never shown.",
    )
    ls.add_argument("--json", action="store_true", help="one JSON object per key")
    ls.set_defaults(func=list_keys)
    d = ks.add_parser("delete", help="remove a secret")
    d.add_argument("name", help="the name it was stored under (`assistant keys list`)")
    d.set_defaults(func=delete_key)


def _read_value(name: str) -> str:
    if sys.stdin.isatty():
        value = getpass.getpass(f"value for {name} (hidden): ")
    else:
        value = sys.stdin.read()
    return value.strip("\r\n")


def set_key(args: argparse.Namespace) -> int:
    from assistant.keys import bindings, store_secret
    from assistant.secrets import KeyringUnavailable, SecretError, validate_name

    settings = load_settings()
    try:  # the name and the hosts are checked before the value is asked for
        validate_name(args.name)
        hosts = bindings(args.host)
    except SecretError as exc:
        raise CommandError(str(exc)) from None
    value = _read_value(args.name)
    if not value.strip():
        raise CommandError("no value given; nothing stored")
    try:
        stored = store_secret(settings, args.name, value, hosts)
    except (KeyringUnavailable, SecretError) as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    err().print(stored.message())
    return EXIT_OK


def list_keys(args: argparse.Namespace) -> int:
    """The secrets the config names and the provider keys found in the keyring or the
    environment, with where each is kept; never a value."""
    from assistant.cli.render import json_line
    from assistant.keys import list_keys as listed_keys
    from tools.http_request.handles import describe_bindings

    entries, problem = listed_keys(load_settings())
    console = out()
    if problem:
        err().print(f"assistant: the keyring could not be read: {problem}")
    for entry in entries:
        if args.json:
            console.print(
                json_line(
                    {
                        "name": entry.name,
                        "hosts": list(entry.hosts),
                        "where": entry.where,
                        "provider": entry.provider or None,
                    }
                )
            )
            continue
        # what each entry means (an old "host" entry: https, port 443)
        what = f"  → {describe_bindings(entry.hosts)}" if entry.hosts else ""
        kind = f"  ({entry.provider} API key)" if entry.provider else ""
        console.print(f"{entry.name}{what}{kind}  [{entry.where}]")
    if not entries and not args.json:
        err().print("no keys stored (add one with `assistant keys set NAME`)")
    return EXIT_OK


def delete_key(args: argparse.Namespace) -> int:
    from assistant.keys import delete_secret
    from assistant.secrets import KeyringUnavailable

    try:
        removed = delete_secret(load_settings(), args.name)
    except KeyringUnavailable as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    if not removed:
        raise CommandError(f"no secret named {args.name}")
    err().print(f"deleted {args.name}")
    return EXIT_OK
