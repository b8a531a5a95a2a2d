"""The http_request tool: SSRF-checked, pinned HTTP(S) with secret handles and bounded responses.

Modules: ``urls`` (URL checks), ``addresses`` (which addresses are private; resolving once),
``handles`` (secret handles), ``settings`` (its [http] settings), ``spec`` (argument checks),
``transport`` (the pinned httpx transport), ``body`` (bounded decoding), ``fetch`` (sending and
redirects), ``render`` (preview and output), ``unlocks`` (what an approval unlocks), ``tool``
(plan and run).

The tool is imported on first use, so reading the settings (config) does not load httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.http_request.settings import HttpSettings

if TYPE_CHECKING:
    from tools.http_request.tool import HttpRequestTool

__all__ = ["HttpRequestTool", "HttpSettings"]


def __getattr__(name: str) -> Any:
    if name == "HttpRequestTool":
        from tools.http_request.tool import HttpRequestTool

        return HttpRequestTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
