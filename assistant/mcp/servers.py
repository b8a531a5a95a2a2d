"""The MCP servers of one session: started in parallel with a timeout (secret handles resolved
from the keyring first), their tools offered while they work, every one stopped on close.

A server that fails to start, crashes, hangs or answers garbage gives one line (``on_change``,
or the notes ``start`` returns) and its tools go away from ``ToolBox``, so the model no longer
sees them; the session goes on.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from tools.base import Tool, escape_text
from tools.mcp.settings import HANDLE_RE, McpServer, McpSettings

if TYPE_CHECKING:
    from assistant.secrets import Redactor, SecretStore
    from tools.mcp import McpTool, ServerLink

Notice = Callable[[str], None]


@dataclass(frozen=True)
class McpStart:
    """How a session starts its servers: ``names`` (None: every enabled one); ``background``:
    return at once (the app), each failure said through ``on_change``; else wait (the CLI)."""

    names: Iterable[str] | None = None
    background: bool = False
    on_change: Notice | None = None


def enabled_among(servers: Mapping[str, McpServer], names: Iterable[str] | None) -> list[str]:
    """The servers a start with ``names`` (None: all) starts: those configured and enabled."""
    wanted = list(servers) if names is None else [n for n in names if n in servers]
    return [name for name in wanted if servers[name].enabled]


@dataclass
class Entry:
    """One server in this session: its config, its link, its tools and what was skipped."""

    config: McpServer
    link: ServerLink | None = None
    tools: dict[str, McpTool] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    state: str = "not started"
    reason: str = ""


class ResolveError(AssistantError):
    """A secret handle in a server's env or headers has no value."""


_LIVE: weakref.WeakSet[McpServers] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """A front end that forgot to close still leaves no server running when the process ends."""
    for servers in list(_LIVE):
        servers.close()


class McpServers:
    def __init__(
        self,
        settings: McpSettings,
        store: SecretStore,
        redactor: Redactor,
        workspace: Path | None = None,
        on_change: Notice | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.redactor = redactor
        self.workspace = workspace
        self.on_change = on_change
        self.entries = {name: Entry(cfg) for name, cfg in settings.servers.items()}
        for entry in self.entries.values():
            if not entry.config.enabled:
                entry.state = "disabled"
        self._lock = threading.Lock()
        self._starting: list[threading.Thread] = []
        self._closed = False
        _LIVE.add(self)

    # -- starting --------------------------------------------------------------------------------

    def start(self, names: Iterable[str] | None = None, *, background: bool = False) -> list[str]:
        """Start the enabled servers (or those named) in parallel; with ``background`` return
        at once. Returns the lines to show (one per server) when it waited."""
        configs = {name: entry.config for name, entry in self.entries.items()}
        todo = [self.entries[name] for name in enabled_among(configs, names)]
        threads = []
        for entry in todo:
            entry.state = "starting"
            t = threading.Thread(target=self._start_one, args=(entry,), daemon=True)
            t.name = f"mcp-start-{entry.config.name}"
            threads.append(t)
            t.start()
        with self._lock:
            self._starting += threads
        if background:
            return []
        for t in threads:
            t.join()
        return [self.line(e) for e in todo]

    def starting(self) -> list[str]:
        """The servers still starting, by name."""
        return [name for name, entry in self.entries.items() if entry.state == "starting"]

    def wait_started(self, timeout: float | None = None) -> None:
        """Block until every server started so far is ready or failed."""
        with self._lock:
            threads = list(self._starting)
        for t in threads:
            t.join(timeout)

    def _start_one(self, entry: Entry) -> None:
        from tools.mcp import HttpSpec, LinkError, ServerLink, StdioSpec

        cfg = entry.config
        try:
            env = {k: self._resolve(v, cfg) for k, v in cfg.env.items()}
            headers = {k: self._resolve(v, cfg) for k, v in cfg.headers.items()}
        except ResolveError as exc:
            self._update(entry, "failed", str(exc))
            return
        spec: StdioSpec | HttpSpec
        if cfg.url:
            spec = HttpSpec(cfg.url, headers)
        else:
            cwd = cfg.cwd or (str(self.workspace) if self.workspace else None)
            spec = StdioSpec(str(cfg.command), cfg.args, env, cwd)
        link = ServerLink(
            cfg.name,
            spec,
            start_timeout=cfg.start_timeout or self.settings.start_timeout,
            call_timeout=cfg.call_timeout or self.settings.call_timeout,
            scrub=self.redactor.redact_text,
        )
        entry.link = link
        if self._closed:
            self._update(entry, "stopped", "")
            return
        try:
            link.start()
        except LinkError:
            self._update(entry, "failed", link.reason)
            return
        if self._closed:  # closed while it started: stop it, offer nothing
            link.close()
            self._update(entry, "stopped", "")
            return
        entry.tools, entry.skipped = self._tools(entry, link)
        link.on_change = lambda lk: self._link_changed(entry, lk)
        self._update(entry, "ready", "")
        if link.state != "ready":  # it failed between listing and now
            self._link_changed(entry, link)

    def _resolve(self, text: str, cfg: McpServer) -> str:
        def value(match: Any) -> str:
            name = match.group(1)
            found, note = self.store.lookup(name)
            if not found:
                hint = f" ({note})" if note else ""
                raise ResolveError(
                    f"needs secret {name}, which is neither in the keyring nor in the environment"
                    f"{hint}; store it with `assistant keys set {name}`"
                )
            self.redactor.add(name, found)
            return found

        resolved = HANDLE_RE.sub(value, text)
        if cfg.url and any(c in resolved for c in "\r\n"):
            raise ResolveError("a header's secret value holds a line break; nothing was sent")
        return resolved

    def _tools(self, entry: Entry, link: ServerLink) -> tuple[dict[str, McpTool], list[str]]:
        from tools.mcp import McpTool, schema_problem

        cfg = entry.config
        out: dict[str, McpTool] = {}
        skipped: list[str] = []
        for listed in link.tools:
            # what the model reads of a tool (description, schema) is scrubbed like a result:
            # a server may echo a secret it was given into its own tool list
            remote = self.redactor.redact(listed)
            name = remote.get("name")
            shown = escape_text(str(name))[:80]
            if not isinstance(name, str) or not name:
                skipped.append("a tool without a name")
                continue
            problem = schema_problem(remote.get("inputSchema"))
            if problem is not None:
                skipped.append(f"{shown}: {problem}")
                continue
            tool = McpTool(
                cfg.name,
                remote,
                link,
                read_only=cfg.read_only or name in cfg.read_only_tools,
                about=link.spec.describe(),
            )
            if tool.name in out:
                skipped.append(f"{shown}: its name is {tool.name}, like another tool's")
                continue
            out[tool.name] = tool
        return out, skipped

    # -- states ----------------------------------------------------------------------------------

    def _link_changed(self, entry: Entry, link: ServerLink) -> None:
        if link.state == "failed":
            self._update(entry, "failed", link.reason)

    def _update(self, entry: Entry, state: str, reason: str) -> None:
        with self._lock:
            if entry.state == state and entry.reason == reason:
                return
            entry.state, entry.reason = state, reason
            if state != "ready":
                entry.tools = {}
        if self.on_change is not None and state in ("ready", "failed") and not self._closed:
            with contextlib.suppress(Exception):  # a notice that cannot be shown stops nothing
                self.on_change(self.line(entry))

    def line(self, entry: Entry) -> str:
        """One line about a server, as the app and the CLI show it."""
        name = entry.config.name
        if entry.state == "ready":
            n = len(entry.tools)
            skipped = f"; {len(entry.skipped)} skipped (/mcp says why)" if entry.skipped else ""
            return f"MCP server {name}: {n} tool{'s' if n != 1 else ''}{skipped}"
        if entry.state == "failed":
            return f"MCP server {name} {entry.reason}; its tools are gone for this session"
        return f"MCP server {name}: {entry.state}"

    # -- what the session sees -------------------------------------------------------------------

    def tools(self) -> dict[str, Tool]:
        """The tools of every server that works now."""
        with self._lock:
            out: dict[str, Tool] = {}
            for entry in self.entries.values():
                if entry.state == "ready":
                    out.update(entry.tools)
            return out

    def close(self) -> None:
        """Stop every server this session started (in parallel; each bounded)."""
        self._closed = True
        links = [e.link for e in self.entries.values() if e.link is not None]
        threads = [threading.Thread(target=lk.close, daemon=True) for lk in links]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.wait_started(5.0)
        for entry in self.entries.values():
            if entry.state in ("ready", "starting"):
                entry.state = "stopped"
                entry.tools = {}
        _LIVE.discard(self)


class ToolBox(Mapping[str, Tool]):
    """The built-in tools and the tools of the MCP servers that work now (it changes as they
    start and fail); a built-in name always wins."""

    def __init__(self, base: Mapping[str, Tool], servers: McpServers) -> None:
        self.base = base
        self.servers = servers

    def _all(self) -> dict[str, Tool]:
        return {**self.servers.tools(), **self.base}

    def __getitem__(self, name: str) -> Tool:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def server_of(tool_name: str) -> str | None:
    """The server part of ``SERVER__tool`` (None for a built-in tool's name)."""
    server, sep, rest = tool_name.partition("__")
    return server if sep and server and rest else None
