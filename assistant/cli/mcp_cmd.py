"""`assistant mcp add | list | remove | import`: MCP servers as a source of tools.

A server's tools reach the model as ``SERVER__tool`` and go through the same gate as the built-in
tools: every call asks unless the config marks the tool (or the server) read-only.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assistant.cli.common import EXIT_FAILED, EXIT_OK, CommandError, err, load_settings, out

if TYPE_CHECKING:
    from assistant.config import Settings
    from tools.mcp.settings import McpServer

EXAMPLES = """examples:
  assistant mcp add files -- npx -y @modelcontextprotocol/server-filesystem ~/notes
  assistant mcp add gh --env 'GITHUB_PERSONAL_ACCESS_TOKEN={{secret:GH}}' -- npx -y @modelcontextprotocol/server-github
  assistant mcp add remote --url https://mcp.example.com/mcp --header 'Authorization=Bearer {{secret:REMOTE}}'
  assistant mcp add files --read-only-tool read_file -- npx ...   (read_file runs without asking)
  assistant mcp import ~/.cursor/mcp.json
"""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "mcp",
        help="add, list, remove or import MCP servers (their tools go through the same gate)",
        description="MCP servers' tools appear to the model as SERVER__tool and run through the "
        "same preview, approval and journal as the built-in tools. What a server declares about "
        "a tool (readOnlyHint...) is shown, never trusted: every call asks unless you mark the "
        "tool or the server read-only here.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ms = p.add_subparsers(dest="mcp_command", metavar="SUBCOMMAND", required=True)
    a = ms.add_parser(
        "add",
        help="add a server: NAME -- COMMAND [ARGS...] (stdio) or NAME --url URL (HTTP)",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("name", help="a short name: the model sees its tools as NAME__tool")
    _add_options(a)
    a.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        help="-- COMMAND [ARGS...]: everything after -- is the command, as typed",
    )
    a.set_defaults(func=add)

    ls = ms.add_parser(
        "list",
        help="start each enabled server, show its state and tools, stop it",
        description="Start each enabled server (with its timeout), show its state and tools and "
        "whether each asks or runs as a read (your config), then stop it. Exit codes: 0 every "
        "enabled server works, 1 one failed (the line says why), 2 bad config.",
    )
    ls.add_argument("--workspace", metavar="DIR", help="folder command servers start in")
    ls.set_defaults(func=list_servers)

    rm = ms.add_parser("remove", help="remove a server from the config")
    rm.add_argument("name", help="the server's name (`assistant mcp list`)")
    rm.set_defaults(func=remove)

    im = ms.add_parser(
        "import",
        help='add the servers of a JSON file in the common {"mcpServers": {...}} shape',
        description="Secret-looking values (env or headers named like TOKEN, KEY, SECRET, "
        "PASSWORD, AUTH...) are moved into the keyring and replaced by {{secret:NAME}} handles; "
        "without a keyring nothing is written.",
    )
    im.add_argument("file", metavar="FILE", help='a JSON file with {"mcpServers": {...}}')
    im.add_argument("--force", action="store_true", help="replace servers of the same name")
    im.set_defaults(func=import_file)


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="a streamable HTTP server's address")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable for a command server; a secret as {{secret:NAME}}",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an HTTP header for a url server; a secret as {{secret:NAME}}",
    )
    parser.add_argument(
        "--cwd", help="the folder a command server starts in (default: the workspace)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="trust every tool of this server as a read: its calls run without asking",
    )
    parser.add_argument(
        "--read-only-tool",
        action="append",
        default=[],
        metavar="TOOL",
        help="trust this tool (its name on the server) as a read (repeatable)",
    )
    parser.add_argument(
        "--disabled", action="store_true", help="keep it in the config, not started"
    )
    parser.add_argument("--force", action="store_true", help="replace a server of the same name")


def _split_command(args: argparse.Namespace) -> list[str]:
    """Options after NAME are in ``args.command`` with the command (argparse keeps everything
    after the first positional there): the words after ``--`` are the command, the ones before
    are parsed as options."""
    rest = list(args.command)
    if "--" in rest:
        head, command = rest[: rest.index("--")], rest[rest.index("--") + 1 :]
    elif rest and not rest[0].startswith("-"):
        head, command = [], rest  # argparse already took the "--" away
    else:
        head, command = rest, []
    if head:
        options = argparse.ArgumentParser(
            prog="assistant mcp add NAME", add_help=False, exit_on_error=False
        )
        _add_options(options)
        try:
            more, unknown = options.parse_known_args(head)
        except argparse.ArgumentError as exc:
            raise CommandError(str(exc)) from None
        if unknown:
            raise CommandError(
                f"unrecognized words {' '.join(unknown)!r}: put the command after --, e.g. "
                "assistant mcp add files -- npx -y @modelcontextprotocol/server-filesystem DIR"
            )
        for key, value in vars(more).items():
            current = getattr(args, key, None)
            if isinstance(value, list):
                setattr(args, key, [*(current or []), *value])
            elif value not in (None, False):
                setattr(args, key, value)
    return command


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for raw in values:
        key, sep, value = raw.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"{what} {raw!r}: expected NAME=VALUE")
        out[key.strip()] = value
    return out


def _store_secrets(
    servers: list[McpServer], settings: Settings
) -> tuple[list[McpServer], list[str]]:
    from assistant.mcp.config_file import moved_to_keyring, secret_like
    from assistant.secrets import KeyringUnavailable, SecretError, SecretStore

    store = SecretStore(settings.keyring_timeout, settings.allow_plaintext_keyring)
    done, lines = [], []
    for server in servers:
        raw = [k for k, v in {**server.env, **server.headers}.items() if secret_like(k, v)]
        if not raw:
            done.append(server)
            continue
        try:
            moved, said = moved_to_keyring(server, store)
        except (KeyringUnavailable, SecretError) as exc:
            raise CommandError(
                f"{server.name}: {', '.join(raw)} {'looks' if len(raw) == 1 else 'look'} like a secret, which is never written to "
                f"the config, and the keyring cannot keep it ({exc}); store it with `assistant keys "
                "set NAME` and write {{secret:NAME}} instead. Nothing was written."
            ) from None
        done.append(moved)
        lines += said
    return done, lines


def add(args: argparse.Namespace) -> int:
    from assistant.mcp.config_file import write_server
    from tools.mcp.settings import McpConfigError, parse_server

    settings = load_settings()
    command = _split_command(args)
    raw: dict[str, Any] = {}
    if args.url and command:
        raise CommandError("give either --url URL or -- COMMAND [ARGS...], not both")
    if args.url:
        raw["url"] = args.url
        if args.header:
            raw["headers"] = _pairs(args.header, "--header")
        if args.env or args.cwd:
            raise CommandError("--env and --cwd are for command servers")
    elif command:
        raw["command"], raw["args"] = command[0], command[1:]
        if args.env:
            raw["env"] = _pairs(args.env, "--env")
        if args.cwd:
            raw["cwd"] = args.cwd
        if args.header:
            raise CommandError("--header is for url servers")
    else:
        raise CommandError("say how to reach it: -- COMMAND [ARGS...] or --url URL")
    if args.read_only:
        raw["read_only"] = True
    if args.read_only_tool:
        raw["read_only_tools"] = list(args.read_only_tool)
    if args.disabled:
        raw["enabled"] = False
    try:
        server = parse_server(args.name, raw, "mcp add")
    except McpConfigError as exc:
        raise CommandError(str(exc)) from None
    if args.name in _servers(settings) and not args.force:
        raise CommandError(f"a server named {args.name} exists; --force replaces it")
    (server,), lines = _store_secrets([server], settings)
    write_server(server, server.name)
    for line in lines:
        err().print(f"assistant: {line}")
    gate = "read-only: runs without asking" if server.read_only else "every call asks"
    out().print(f"added MCP server {server.name} ({server.transport}; {gate})")
    out().print(
        f"its tools reach the model as {server.name}__TOOL; `assistant mcp list` shows them"
    )
    return EXIT_OK


def remove(args: argparse.Namespace) -> int:
    from assistant.mcp.config_file import write_server

    configured = _servers(load_settings())
    server = configured.get(args.name)
    if server is None:
        known = ", ".join(sorted(configured)) or "none"
        raise CommandError(f"no MCP server {args.name!r}; the servers: {known}")
    write_server(None, args.name)
    out().print(f"removed MCP server {args.name}")
    names = server.secret_names()
    if names:
        out().print(
            f"the keyring still holds {', '.join(names)} (`assistant keys delete NAME` removes one)"
        )
    return EXIT_OK


def import_file(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from assistant.config import ConfigError
    from assistant.mcp.config_file import from_json, write_server

    settings = load_settings()
    try:
        doc = json.loads(Path(args.file).read_text("utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise CommandError(f"{args.file}: not JSON ({exc})") from None
    try:
        found = from_json(doc)
    except ConfigError as exc:
        raise CommandError(f"{args.file}: {exc}") from None
    clash = [s.name for s in found.servers if s.name in _servers(settings)]
    if clash and not args.force:
        raise CommandError(
            f"already configured: {', '.join(clash)} (--force replaces them); nothing was written"
        )
    servers, lines = _store_secrets(found.servers, settings)
    for server in servers:
        write_server(server, server.name)
    for line in [*found.notes, *lines]:
        err().print(f"assistant: {line}")
    for server in servers:
        out().print(f"added MCP server {server.name} ({server.transport})")
    if not servers:
        raise CommandError(f"{args.file}: no server could be imported", EXIT_FAILED)
    return EXIT_OK


def list_servers(args: argparse.Namespace) -> int:
    from assistant.errors import SetupError
    from assistant.mcp.servers import McpServers
    from assistant.mcp.status import status_lines
    from assistant.runtime import open_workspace
    from assistant.secrets import SecretStore, redactor
    from tools.mcp import McpSettings

    settings = load_settings()
    try:
        ws = open_workspace(args.workspace)
    except SetupError as exc:
        raise CommandError(str(exc)) from None
    red = redactor()
    configured = settings.for_tool(McpSettings)
    servers = McpServers(configured, SecretStore(settings.keyring_timeout), red, ws.root)
    try:
        servers.start()
        lines = status_lines(configured, servers)
    finally:
        servers.close()
    console = out()
    for line in lines:
        console.print(red.redact_text(line))
    failed = any(e.state == "failed" for e in servers.entries.values())
    return EXIT_FAILED if failed else EXIT_OK


def _servers(settings: Settings) -> Mapping[str, McpServer]:
    """The configured servers, by name."""
    from tools.mcp import McpSettings

    return settings.for_tool(McpSettings).servers
