"""One MCP server's connection, kept on an event-loop thread of its own.

The official SDK (``mcp``) is async; the gate calls ``Tool.plan`` and ``Tool.run`` in worker
threads. Each server's client session lives on a dedicated thread running its own loop, and a
call submits a coroutine there and waits for it with a timeout: a server that hangs costs the
waiting worker thread its timeout and nothing else, never the app's loop. A server that fails to
start, crashes, hangs or answers garbage is stopped (its process tree killed by the SDK's bounded
shutdown) and marked failed with one line saying why; its tools go away.

Results cross the thread as plain JSON (``model_dump``), so the rest of ``tools.mcp`` never
touches the SDK's types.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from tools.base import ToolError, escape_text

MAX_TOOL_PAGES = 50
"""Pages of tools/list read at most: a server that paginates forever cannot hang the start."""
CLOSE_WAIT = 10.0
"""Seconds close() waits for the SDK's shutdown (stdin closed, 2 s, SIGTERM, 2 s, SIGKILL)."""
STDERR_TAIL = 4096


class LinkError(ToolError):
    """The server is not usable (failed to start, crashed, hung, answered garbage, stopped);
    ``str`` is the one line a person and the model read."""


class CallError(ToolError):
    """The server refused this one call with a protocol error (unknown tool, bad arguments);
    the server itself is fine."""


@dataclass(frozen=True)
class StdioSpec:
    """A server started as a child process that speaks MCP on its stdin and stdout."""

    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    """Variables added to the SDK's safe default environment (HOME, PATH, ...), values resolved."""
    cwd: str | None = None

    def describe(self) -> str:
        words = [self.command, *self.args]
        text = " ".join(escape_text(w) for w in words)
        return "stdio: " + (text if len(text) <= 120 else text[:119] + "…")


@dataclass(frozen=True)
class HttpSpec:
    """A server reached over streamable HTTP; header values resolved (kept out of ``describe``)."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return "http: " + escape_text(self.url)


Spec = StdioSpec | HttpSpec
Listener = Callable[["ServerLink"], None]


class ServerLink:
    """Start, call and stop one server. Every method blocks the calling thread (never a loop)
    for at most its timeout. States: new, starting, ready, failed, stopped."""

    def __init__(
        self,
        name: str,
        spec: Spec,
        *,
        start_timeout: float = 30.0,
        call_timeout: float = 120.0,
        on_change: Listener | None = None,
        scrub: Callable[[str], str] | None = None,
    ) -> None:
        """``scrub`` cleans the server's own words (stderr, error messages) of secret values
        before they become a reason anybody reads."""
        self.name = name
        self.spec = spec
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self.on_change = on_change
        self._scrub = scrub or (lambda text: text)
        self.state = "new"
        self.reason = ""
        self.tools: list[dict[str, Any]] = []
        self.server_info: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scope: Any = None
        self._client: Any = None
        self._started: concurrent.futures.Future[list[dict[str, Any]]] = concurrent.futures.Future()
        self._loop_up = threading.Event()
        self._done = threading.Event()
        self._errlog: IO[bytes] | None = None
        self._closing = False

    # -- life ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect and list the tools; LinkError says why when it cannot (the server is then
        stopped, never left half-started)."""
        with self._lock:
            if self.state != "new":
                raise LinkError(self._line())
            self.state = "starting"
        if isinstance(self.spec, StdioSpec):
            self._errlog = tempfile.TemporaryFile(prefix="mcp-stderr-")  # noqa: SIM115 - closed in _main
        self._thread = threading.Thread(target=self._run, name=f"mcp-{self.name}", daemon=True)
        self._thread.start()
        try:
            tools = self._started.result(self.start_timeout)
        except concurrent.futures.TimeoutError:
            self._fail(f"did not start within {self.start_timeout:g} s")
            self._shutdown()
            raise LinkError(self._line()) from None
        except BaseException as exc:
            self._shutdown()
            self._fail(f"failed to start: {self._why(exc)}", last_words=True)
            raise LinkError(self._line()) from None
        self.tools = tools
        self._set("ready", "")

    def close(self) -> None:
        """Stop the server (idempotent): its process tree is gone when this returns, unless the
        SDK's own bounded shutdown could not kill it."""
        with self._lock:
            if self.state in ("new", "stopped"):
                self.state = "stopped"
                return
            failed = self.state == "failed"
        self._shutdown()
        if self._errlog is not None:
            self._errlog.close()
        if not failed:
            self._set("stopped", "")

    def _shutdown(self) -> None:
        self._closing = True
        if self._thread is not None:
            self._loop_up.wait(2.0)
            loop, scope = self._loop, self._scope
            if loop is not None and scope is not None and not self._done.is_set():
                with contextlib.suppress(RuntimeError):  # the loop already ended
                    loop.call_soon_threadsafe(scope.cancel)
            self._done.wait(CLOSE_WAIT)

    # -- calls ---------------------------------------------------------------------------------

    def call(
        self, tool: str, arguments: Mapping[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """Call one tool; the CallToolResult as JSON (camelCase keys). LinkError when the
        server is or becomes unusable (it is then stopped), CallError when it refused the call."""
        if self.state != "ready" or self._loop is None:
            raise LinkError(self._line())
        wait = self.call_timeout if timeout is None else timeout
        try:
            future = asyncio.run_coroutine_threadsafe(self._call(tool, dict(arguments)), self._loop)
            return future.result(wait)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self._fail(f"did not answer {escape_text(tool)} within {wait:g} s; it was stopped")
        except concurrent.futures.CancelledError:
            self._fail("stopped while a call was running")
        except CallError:
            raise
        except Exception as exc:
            self._shutdown()  # first, so a crashed server's last words are all written
            self._fail(self._broken(exc), last_words=True)
        self._shutdown()
        raise LinkError(self._line())

    async def _call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        from mcp import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        try:
            result = await self._client.call_tool(tool, arguments)
        except MCPError as exc:
            if exc.code in (CONNECTION_CLOSED, REQUEST_TIMEOUT):
                raise
            raise CallError(f"the server refused the call: {self._scrub(str(exc))}") from None
        dumped: dict[str, Any] = result.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped

    # -- the loop thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # nothing may escape a daemon thread unseen
            if not self._started.done():
                self._started.set_exception(exc)
        finally:
            self._done.set()

    async def _main(self) -> None:
        import anyio

        self._loop = asyncio.get_running_loop()
        with anyio.CancelScope() as scope:
            self._scope = scope
            self._loop_up.set()
            try:
                async with self._client_for() as client:
                    self._client = client
                    self.server_info = _info(client)
                    tools = await self._list_tools(client)
                    if not self._started.done():
                        self._started.set_result(tools)
                    await anyio.sleep_forever()
            except BaseException as exc:
                if not self._started.done():
                    self._started.set_exception(exc)
                elif self.state == "ready" and not self._closing:
                    self._fail(self._broken(exc), last_words=True)
                if not isinstance(exc, Exception):
                    raise

    async def _incoming(self, message: Any) -> None:
        """The session's messages: a line that is not MCP ends the server at once (the rest of
        what it says cannot be trusted to be what it means)."""
        if not isinstance(message, Exception):
            return
        reason = "answered something that is not MCP"
        if not self._started.done():
            self._started.set_exception(LinkError(reason))
        elif not self._closing:
            self._fail(reason + " and was stopped")
        self._closing = True
        if self._scope is not None:
            self._scope.cancel()

    def _client_for(self) -> Any:
        import logging

        from mcp import Client
        from mcp_types import Implementation

        # the SDK logs what it drops; printed on stderr that would land on the app's screen
        logging.getLogger("mcp").addHandler(logging.NullHandler())
        info = Implementation(name="live-assistant", version="0.1.0")
        spec = self.spec
        if isinstance(spec, StdioSpec):
            from mcp import StdioServerParameters
            from mcp.client.stdio import stdio_client

            params = StdioServerParameters(
                command=spec.command, args=list(spec.args), env=dict(spec.env), cwd=spec.cwd
            )
            assert self._errlog is not None
            transport = stdio_client(params, errlog=self._errlog)  # type: ignore[arg-type]
            return Client(transport, client_info=info, message_handler=self._incoming)
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        http = create_mcp_http_client(headers=dict(spec.headers))
        transport = streamable_http_client(spec.url, http_client=http)
        return Client(transport, client_info=info, message_handler=self._incoming)

    async def _list_tools(self, client: Any) -> list[dict[str, Any]]:
        tools: list[dict[str, Any]] = []
        cursor = None
        for _ in range(MAX_TOOL_PAGES):
            page = await client.list_tools(cursor=cursor)
            tools += [
                t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in page.tools
            ]
            cursor = page.next_cursor
            if not cursor:
                break
        return tools

    # -- states and words ----------------------------------------------------------------------

    def _set(self, state: str, reason: str) -> None:
        with self._lock:
            if self.state == state and self.reason == reason:
                return
            if self.state == "failed" and state == "stopped":
                return  # a failed server keeps saying why
            self.state, self.reason = state, reason
        if self.on_change is not None:
            with contextlib.suppress(Exception):  # a front end's notice never breaks a call
                self.on_change(self)

    def _fail(self, reason: str, *, last_words: bool = False) -> None:
        """Mark the server failed; ``last_words``: quote its last line on stderr (a crash)."""
        if self.state in ("failed", "stopped"):
            return
        tail = self._stderr_tail() if last_words else ""
        if self._errlog is not None:
            self._errlog.close()
        self._set("failed", reason + (f" (its last words: {tail})" if tail else ""))

    def _line(self) -> str:
        """The one line a person and the model read about this server's state."""
        if self.state == "failed":
            return f"MCP server {self.name} {self.reason}; its tools are gone for this session"
        if self.state == "stopped":
            return f"MCP server {self.name} was stopped"
        return f"MCP server {self.name} is {self.state}"

    def line(self) -> str:
        return self._line()

    def _why(self, exc: BaseException) -> str:
        """An exception (often an ExceptionGroup from the SDK's task groups) in a few words."""
        leaves = list(_leaves(exc))
        from mcp_types import CONNECTION_CLOSED

        for leaf in leaves:
            if isinstance(leaf, FileNotFoundError):
                return f"command not found ({escape_text(str(leaf.filename or ''))})"
            if isinstance(leaf, PermissionError):
                return f"command cannot be run ({escape_text(str(leaf.filename or ''))})"
        for leaf in leaves:
            if getattr(leaf, "code", None) == CONNECTION_CLOSED:
                return "it closed the connection"
        leaf = leaves[0] if leaves else exc
        words = self._scrub(escape_text(str(leaf) or type(leaf).__name__))
        if type(leaf).__name__ == "ValidationError":
            words = "it answered something that is not MCP"
        return words if len(words) <= 300 else words[:299] + "…"

    def _broken(self, exc: BaseException) -> str:
        from mcp_types import CONNECTION_CLOSED

        leaves = list(_leaves(exc))
        if any(getattr(leaf, "code", None) == CONNECTION_CLOSED for leaf in leaves):
            return "crashed (it closed the connection)"
        if any(type(leaf).__name__ == "ValidationError" for leaf in leaves):
            return "answered something that is not MCP and was stopped"
        return f"failed: {self._why(exc)}"

    def _stderr_tail(self) -> str:
        log = self._errlog
        if log is None or log.closed:
            return ""
        try:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(0, size - STDERR_TAIL))
            raw = log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
        if not lines:
            return ""
        text = self._scrub(escape_text(lines[-1]))
        return text if len(text) <= 200 else text[:199] + "…"


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for inner in exc.exceptions:
            out += _leaves(inner)
        return out
    return [exc]


def _info(client: Any) -> dict[str, Any]:
    info = getattr(client, "server_info", None)
    if info is None:
        return {}
    dumped: dict[str, Any] = info.model_dump(mode="json", exclude_none=True)
    return {k: dumped[k] for k in ("name", "version", "title") if k in dumped}
