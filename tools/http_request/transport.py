"""The httpx transport that connects only to checked addresses and keeps one total deadline.

httpcore asks its network backend to connect to the URL's host; ``PinnedBackend`` answers with a
socket to an address that was resolved and checked beforehand (or refuses), so the name is never
resolved again behind our back. TLS still verifies the certificate against the URL's host name,
since httpcore passes that name to ``start_tls``. Every connect, read and write is clamped to the
time left, so a server that drips one byte a second cannot outlast the limit.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import httpcore
import httpx

_MAPPING: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, ours in _MAPPING:
            if isinstance(exc, core):
                raise ours(str(exc) or type(exc).__name__) from exc
        raise


class Deadline:
    """One total time budget shared by every hop of a request."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def clamp(self, timeout: float | None, exc: type[Exception]) -> float:
        left = self.left()
        if left <= 0:
            raise exc(f"the total time limit of {self.seconds:g} s was reached")
        return left if timeout is None else min(timeout, left)


class SocketStream(httpcore.NetworkStream):
    """A plain or TLS socket whose every operation is bounded by the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            self._sock.settimeout(self._deadline.clamp(timeout, httpcore.ReadTimeout))
            return self._sock.recv(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "timed out reading the response") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            while buffer:
                self._sock.settimeout(self._deadline.clamp(timeout, httpcore.WriteTimeout))
                sent = self._sock.send(buffer)
                buffer = buffer[sent:]
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc) or "timed out sending the request") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    def close(self) -> None:
        self._sock.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            self._sock.settimeout(self._deadline.clamp(timeout, httpcore.ConnectTimeout))
            wrapped = ssl_context.wrap_socket(self._sock, server_hostname=server_hostname)
        except TimeoutError as exc:
            self.close()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except OSError as exc:  # ssl.SSLError included: a bad certificate ends here
            self.close()
            raise httpcore.ConnectError(str(exc)) from exc
        return SocketStream(wrapped, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object" and isinstance(self._sock, ssl.SSLSocket):
            return self._sock  # has selected_alpn_protocol(), all httpcore asks of it
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "socket":
            return self._sock
        if info == "is_readable":
            return False
        return None


class PinnedBackend(httpcore.NetworkBackend):
    """Connects (host, port) only to the addresses checked for it; anything else is refused."""

    def __init__(self, pins: Mapping[tuple[str, int], Sequence[str]], deadline: Deadline) -> None:
        self._pins = {(h.lower(), p): tuple(a) for (h, p), a in pins.items()}
        self._deadline = deadline
        self.connected: list[str] = []
        """Addresses actually connected to, in order (shown in the result)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addrs = self._pins.get((host.lower().strip("[]"), port))
        if not addrs:
            raise httpcore.ConnectError(f"{host}:{port} was not checked; refusing to connect")
        last: Exception = httpcore.ConnectError(f"could not connect to {host}:{port}")
        for addr in addrs:
            left = self._deadline.clamp(timeout, httpcore.ConnectTimeout)
            try:
                # looked up on the module at call time, so tests can guard it
                sock = socket.create_connection((addr, port), timeout=left)
            except TimeoutError:
                last = httpcore.ConnectTimeout(f"connecting to {addr} port {port} timed out")
                continue
            except OSError as exc:
                last = httpcore.ConnectError(
                    f"connecting to {addr} port {port}: {exc.strerror or exc}"
                )
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connected.append(addr)
            return SocketStream(sock, self._deadline)
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from this tool")

    def sleep(self, seconds: float) -> None:  # httpcore retries are off; never called
        time.sleep(min(seconds, max(self._deadline.left(), 0)))


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _mapped():
            yield from self._inner

    def close(self) -> None:
        closer = getattr(self._inner, "close", None)
        if closer is not None:
            with _mapped():
                closer()


class PinnedTransport(httpx.BaseTransport):
    """httpx on our own backend: one connection per request, HTTP/1.1, no retries, no reuse
    (a pooled connection must never carry a request for a name it was not checked for)."""

    def __init__(
        self,
        backend: httpcore.NetworkBackend,
        ssl_context: ssl.SSLContext | None,
        proxy: httpx.URL | None = None,
    ) -> None:
        if proxy is not None:
            self._pool: httpcore.ConnectionPool = httpcore.HTTPProxy(
                proxy_url=httpcore.URL(
                    scheme=proxy.raw_scheme, host=proxy.raw_host, port=proxy.port, target=b"/"
                ),
                ssl_context=ssl_context,
                max_keepalive_connections=0,
                network_backend=backend,
            )
        else:
            self._pool = httpcore.ConnectionPool(
                ssl_context=ssl_context,
                max_keepalive_connections=0,
                http1=True,
                http2=False,
                retries=0,
                network_backend=backend,
            )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped():
            resp = self._pool.handle_request(core)
        assert isinstance(resp.stream, Iterable)
        return httpx.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=_ResponseStream(resp.stream),
            extensions=resp.extensions,
        )

    def close(self) -> None:
        self._pool.close()


@functools.lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """Certificate verification on, against certifi's CA bundle, as httpx does by default.
    Built once (loading the bundle takes tens of milliseconds) and only for https."""
    return httpx.create_ssl_context()
