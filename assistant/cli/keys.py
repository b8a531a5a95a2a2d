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
    s.add_argument("name")
    s.add_argument(
        "--host",
        action="append",
        default=[],
        help="where this secret may be sent: HOST (https, port 443), HOST:PORT (https), or "
        "http://HOST[:PORT] for plain HTTP (repeatable)",
    )
    s.set_defaults(func=set_key)
    ls = ks.add_parser("list", help="list the stored names (never the values)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_keys)
    d = ks.add_parser("delete", help="remove a secret")
    d.add_argument("name")
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
    import json

    settings = load_settings()
    console = out()
    if args.json:
        for name, hosts in sorted(settings.secrets.items()):
            console.print(json.dumps({"name": name, "hosts": list(hosts)}))
        return EXIT_OK
    if not settings.secrets:
        console.print("no secrets stored (add one with `assistant keys set NAME`)")
    from tools.http_request.handles import describe_bindings

    for name, hosts in sorted(settings.secrets.items()):
        # what each entry means (an old "host" entry: https, port 443)
        console.print(f"{name}" + (f"  → {describe_bindings(hosts)}" if hosts else ""))
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
