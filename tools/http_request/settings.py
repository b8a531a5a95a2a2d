"""The http_request tool's settings, the [http] table of the config: each limit and its default,
defined here once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tools.settings import check_bounds, setting


@dataclass(frozen=True)
class HttpSettings:
    """Limits and network choices for the http_request tool."""

    table: ClassVar[str] = "http"

    timeout: float = setting(30.0, minimum=0, above=True, maximum=3600)
    """Total seconds one request (all redirect hops) may take."""
    max_body_bytes: int = setting(10_000_000, minimum=1)
    """Decompressed response bytes the tool accepts before it stops reading."""
    model_excerpt_chars: int = setting(8_000, minimum=1)
    """Characters of a response body the model sees; the rest is marked as cut."""
    max_redirects: int = setting(5, minimum=0)
    """Redirect hops followed before the request stops."""
    use_proxy_env: bool = setting(False)
    """Honour HTTP(S)_PROXY variables; off by default so a stray proxy never sees traffic."""

    def __post_init__(self) -> None:
        check_bounds(self)
