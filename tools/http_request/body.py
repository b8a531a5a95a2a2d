"""Reading a response body under a cap on its decompressed size, so a gzip bomb stops at the cap
instead of filling memory: the tool decodes gzip/deflate itself with zlib's ``max_length``."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import httpx

from tools.http_request.transport import Deadline

ACCEPT_ENCODING = "gzip, deflate"
"""What the tool asks for, and all it decodes; the model may not change it."""


class BodyError(Exception):
    """The body could not be decoded (unsupported encoding, corrupt data); the message says which."""


class _Identity:
    def feed(self, data: bytes, max_out: int) -> bytes:
        return data[:max_out]

    def flush(self, max_out: int) -> bytes:
        return b""


class _Zlib:
    """gzip (several members allowed) or deflate (zlib-wrapped or raw), output bounded per call."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._started = False
        self._members = 0
        self._d = self._new()

    def _new(self) -> zlib._Decompress:
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes, max_out: int) -> bytes:
        out = bytearray()
        while data and len(out) < max_out:
            if self._d.eof:
                if not self._gzip:
                    break  # bytes after the end of a deflate stream are ignored
                self._members += 1
                self._d = self._new()
            try:
                out += self._d.decompress(data, max_out - len(out))
            except zlib.error as exc:
                if not self._gzip and not self._started:
                    # some servers send raw deflate without the zlib wrapper
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                if self._gzip and self._members:
                    break  # padding after a complete gzip member, as gzip(1) tolerates
                raise BodyError(f"the compressed body is corrupt ({exc})") from None
            self._started = True
            data = self._d.unconsumed_tail or (self._d.unused_data if self._d.eof else b"")
        return bytes(out)

    def flush(self, max_out: int) -> bytes:
        try:
            return self._d.flush()[:max_out]
        except zlib.error as exc:
            raise BodyError(f"the compressed body is corrupt ({exc})") from None


def decoder_for(content_encoding: str | None) -> _Identity | _Zlib:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _Identity()
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return _Zlib(gzip=codings[0] != "deflate")
    raise BodyError(
        f"the server sent content-encoding {content_encoding!r}, which this tool does not decode "
        f"(it asked for {ACCEPT_ENCODING})"
    )


@dataclass(frozen=True)
class Body:
    data: bytes
    """Decompressed bytes, at most the cap."""
    truncated: bool
    """True when the body was longer than the cap and reading stopped there."""
    wire_bytes: int
    """Bytes received before decoding."""


def read_body(response: httpx.Response, limit: int, deadline: Deadline) -> Body:
    """Stream ``response`` (opened with stream=True) into at most ``limit`` decoded bytes."""
    decoder = decoder_for(response.headers.get("content-encoding"))
    buf = bytearray()
    wire = 0
    for chunk in response.iter_raw():
        wire += len(chunk)
        deadline.clamp(None, httpx.ReadTimeout)
        buf += decoder.feed(chunk, limit - len(buf) + 1)
        if len(buf) > limit:
            return Body(bytes(buf[:limit]), True, wire)
    buf += decoder.flush(limit - len(buf) + 1)
    if len(buf) > limit:
        return Body(bytes(buf[:limit]), True, wire)
    return Body(bytes(buf), False, wire)
