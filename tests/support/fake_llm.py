"""A scripted OpenAI-compatible chat server on 127.0.0.1 for tests and benchmarks.

Tests queue replies; each POST to ``/v1/chat/completions`` consumes the next one, in order. An
unscripted request gets HTTP 500 "fake_llm: no scripted reply" so a test that forgot one fails
loudly. Every request is recorded (parsed body, headers, raw bytes) for assertions::

    with FakeLLM() as server:
        server.queue(text("Hello", chunks=3), tool_call("http_request", '{"url": "x"}'))
        model = Model(server.model(), api_base=server.base_url)
        ...
        assert server.requests[0]["stream"] is True

Replies are built with :func:`text`, :func:`tool_call`, :func:`tool_calls`, :func:`error` and
:func:`cut`. ``stall_after=N`` makes the server send N chunks, set :attr:`FakeLLM.stalled`, and
wait for :meth:`FakeLLM.release` (for tests that interrupt a reply mid-stream).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MODEL_NAME = "fake-model"
STALL_LIMIT = 30.0
"""Seconds a stalled reply waits for release() before it carries on anyway (no test hangs)."""


@dataclass(frozen=True)
class Call:
    """One scripted tool call: ``arguments`` is sent verbatim, split into ``parts``."""

    id: str
    name: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Reply:
    """One scripted answer to one request. Build it with the helper functions below."""

    status: int = 200
    text_parts: tuple[str, ...] = ()
    calls: tuple[Call, ...] = ()
    usage: tuple[int, int] | None = (12, 7)
    finish_reason: str | None = "stop"
    body: dict[str, Any] | None = None
    """Error body (JSON) for status >= 400."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers of an error reply (retry-after...)."""
    cut: str | None = None
    """"reset": close the connection mid-body; "eof": end the body cleanly but early."""
    delay: float = 0.0
    """Seconds to wait before each streamed chunk."""
    stall_after: int | None = None
    burst: bool = False
    """Send the whole streamed body in one write, as a fast local server can: the client then
    finds every chunk already buffered."""


def _split(content: str, parts: int) -> tuple[str, ...]:
    """Split ``content`` into ``parts`` pieces (some may be empty when content is short)."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    size, extra = divmod(len(content), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(content[start:end])
        start = end
    return tuple(out)


def text(
    content: str,
    *,
    chunks: int = 1,
    usage: tuple[int, int] | None = (12, 7),
    finish_reason: str = "stop",
    delay: float = 0.0,
    stall_after: int | None = None,
    burst: bool = False,
) -> Reply:
    """A text reply; ``chunks`` > 1 streams the content as that many deltas."""
    return Reply(
        text_parts=_split(content, chunks),
        usage=usage,
        finish_reason=finish_reason,
        delay=delay,
        stall_after=stall_after,
        burst=burst,
    )


def tool_call(
    name: str,
    arguments: str,
    *,
    call_id: str | None = None,
    text: str = "",
    arg_chunks: int = 1,
    usage: tuple[int, int] | None = (12, 7),
    delay: float = 0.0,
    stall_after: int | None = None,
) -> Reply:
    """A reply with one tool call; ``arguments`` is sent verbatim (it may be invalid JSON)."""
    return tool_calls(
        [(name, arguments)],
        ids=[call_id] if call_id else None,
        text=text,
        arg_chunks=arg_chunks,
        usage=usage,
        delay=delay,
        stall_after=stall_after,
    )


def tool_calls(
    calls: list[tuple[str, str]],
    *,
    ids: list[str] | None = None,
    text: str = "",
    arg_chunks: int = 1,
    usage: tuple[int, int] | None = (12, 7),
    delay: float = 0.0,
    stall_after: int | None = None,
) -> Reply:
    """A reply with several tool calls (name, arguments), streamed one after the other."""
    ids = ids or [f"call_{i}" for i in range(len(calls))]
    return Reply(
        text_parts=(text,) if text else (),
        calls=tuple(
            Call(call_id, name, _split(args, arg_chunks))
            for call_id, (name, args) in zip(ids, calls, strict=True)
        ),
        usage=usage,
        finish_reason="tool_calls",
        delay=delay,
        stall_after=stall_after,
    )


def error(
    status: int, *, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Reply:
    """An HTTP error; the default body is OpenAI's ``{"error": {...}}`` shape."""
    if body is None:
        body = _error_body(f"fake_llm: scripted error {status}")
    return Reply(status=status, body=body, headers=dict(headers or {}), usage=None)


def cut(
    *, text: str = "partial", tool_call: tuple[str, str] | None = None, how: str = "reset"
) -> Reply:
    """A stream that stops early: some text (and half of a tool call's arguments), no finish_reason.

    ``how="reset"`` closes the connection mid-body (a dropped network); ``how="eof"`` ends the
    body cleanly without a finish_reason or ``[DONE]`` (a server that gave up).
    """
    if how not in ("reset", "eof"):
        raise ValueError("how must be 'reset' or 'eof'")
    calls: tuple[Call, ...] = ()
    if tool_call:
        name, args = tool_call
        calls = (Call("call_cut", name, (args[: len(args) // 2],)),)
    return Reply(
        text_parts=(text,) if text else (), calls=calls, usage=None, finish_reason=None, cut=how
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeLLM

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Record a handler failure for FakeLLM's exit to raise, instead of printing it.
        A client that hangs up (pool closing, cancelled stream) is not a failure."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError | TimeoutError):
            self.fake.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each small write waits ~40 ms for a delayed ACK
    timeout = 30  # idle keep-alive connections end instead of pinning a thread forever
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: the stdlib handler would print every request to stderr."""

    def _read_body(self) -> bytes:
        raw = self.headers.get("Content-Length") or "0"
        length = int(raw) if raw.isdigit() else 0
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self.server.fake._record(self, b"")
        if self.path.rstrip("/") == "/v1/models":
            data = {
                "object": "list",
                "data": [{"id": MODEL_NAME, "object": "model", "owned_by": "fake"}],
            }
            self._send_json(200, data)
        else:
            self._send_json(404, _error_body(f"fake_llm: no route {self.path}"))

    def do_POST(self) -> None:
        raw = self._read_body()
        body = self.server.fake._record(self, raw)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, _error_body(f"fake_llm: no route {self.path}"))
            return
        reply = self.server.fake._next_reply()
        if reply is None:
            self._send_json(500, _error_body("fake_llm: no scripted reply"))
            return
        if reply.status >= 400:
            self._send_json(reply.status, reply.body or {}, reply.headers)
            return
        model = str(body.get("model") or MODEL_NAME)
        try:
            if body.get("stream"):
                options = body.get("stream_options") or {}
                self._stream(reply, model, bool(options.get("include_usage")))
            else:
                self._whole(reply, model)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (cancelled): nothing to do

    def _send_json(
        self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _whole(self, reply: Reply, model: str) -> None:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(reply.text_parts) or None,
        }
        if reply.calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": "".join(c.parts)},
                }
                for c in reply.calls
            ]
        data: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
        }
        if reply.usage:
            data["usage"] = _usage(reply.usage)
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload) + (100 if reply.cut else 0)))
        self.end_headers()
        if reply.cut:  # promise more than is sent, then hang up
            self.wfile.write(payload[: len(payload) // 2])
            self._hang_up()
            return
        self.wfile.write(payload)

    def _stream(self, reply: Reply, model: str, include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if reply.burst:
            self._held: list[bytes] | None = []
        for sent, delta in enumerate(_deltas(reply)):
            if reply.stall_after is not None and sent == reply.stall_after:
                self.server.fake._stall()
            if reply.delay:
                time.sleep(reply.delay)
            self._event(_chunk(model, delta, None))
        if reply.cut == "reset":
            self._hang_up()
            return
        if reply.cut is None:
            self._event(_chunk(model, {}, reply.finish_reason))
            if include_usage and reply.usage:
                self._event(
                    {**_chunk(model, {}, None), "choices": [], "usage": _usage(reply.usage)}
                )
            self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")  # the terminating zero-length chunk
        held, self._held = getattr(self, "_held", None), None
        if held:
            self.wfile.write(b"".join(held))

    def _event(self, data: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(data).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        framed = b"%x\r\n%s\r\n" % (len(data), data)
        held = getattr(self, "_held", None)
        if held is not None:
            held.append(framed)
        else:
            self.wfile.write(framed)

    def _hang_up(self) -> None:
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def _error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "fake_error", "code": None}}


def _usage(usage: tuple[int, int]) -> dict[str, int]:
    prompt, completion = usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _deltas(reply: Reply) -> list[dict[str, Any]]:
    """The streamed deltas: a role chunk, the text pieces, then each call (id and name first)."""
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": part} for part in reply.text_parts if part]
    for index, call in enumerate(reply.calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        deltas.append({"tool_calls": [head]})
        deltas += [
            {"tool_calls": [{"index": index, "function": {"arguments": part}}]}
            for part in call.parts
            if part
        ]
    return deltas


class FakeLLM:
    """The scripted server; a context manager that starts on enter and stops on exit."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        """Parsed JSON bodies of every request, in order ({} for GET, {"_raw": text} if not JSON)."""
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        """"METHOD /path" of every request, in order."""
        self.raw: list[bytes] = []
        """Every request exactly as received (request line, headers, body): for canary checks."""
        self.stalled = threading.Event()
        """Set when a reply with ``stall_after`` reaches its stall point; it stays set."""
        self.errors: list[BaseException] = []
        """Failures inside the server itself; leaving the ``with`` block raises the first."""
        self._release = threading.Event()
        self._replies: list[Reply] = []
        self._lock = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def __enter__(self) -> FakeLLM:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="fake-llm", daemon=True
        )  # a short poll interval: shutdown() waits for the loop to notice, once per test
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        if self.errors and exc_type is None:
            raise AssertionError(f"fake_llm failed while serving: {self.errors[0]!r}")

    def model(self) -> str:
        """The litellm model string that reaches this server (with ``api_base=base_url``)."""
        return f"openai/{MODEL_NAME}"

    def queue(self, *replies: Reply) -> None:
        """Script the next replies; each answers one chat request, in order."""
        with self._lock:
            self._replies.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not yet consumed."""
        with self._lock:
            return len(self._replies)

    def release(self) -> None:
        """Let stalled replies carry on; later replies then no longer stall."""
        self._release.set()

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests arrived (True) or the timeout passed (False)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.requests) >= count, timeout)

    def text_received(self) -> str:
        """Everything every request carried, decoded leniently: for "never sent" assertions."""
        with self._lock:
            return "\n".join(r.decode("utf-8", "replace") for r in self.raw)

    def _next_reply(self) -> Reply | None:
        with self._lock:
            return self._replies.pop(0) if self._replies else None

    def _stall(self) -> None:
        self.stalled.set()
        self._release.wait(STALL_LIMIT)

    def _record(self, handler: BaseHTTPRequestHandler, raw: bytes) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if raw:
            try:
                parsed = json.loads(raw)
                body = (
                    parsed if isinstance(parsed, dict) else {"_raw": raw.decode("utf-8", "replace")}
                )
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
        head = handler.requestline.encode() + b"\r\n" + bytes(handler.headers)
        with self._lock:
            self.requests.append(body)
            self.headers.append({k.lower(): v for k, v in handler.headers.items()})
            self.paths.append(f"{handler.command} {handler.path}")
            self.raw.append(head + raw)
            self._lock.notify_all()
        return body
