"""The http_request tool: SSRF-checked, pinned HTTP(S) with secret handles and bounded responses.

Modules: ``urls`` (URL checks), ``addresses`` (which addresses are private; resolving once),
``handles`` (secret handles), ``spec`` (argument checks and limits), ``transport`` (the pinned
httpx transport), ``body`` (bounded decoding), ``fetch`` (sending and redirects), ``render``
(preview and output), ``tool`` (plan and run).
"""

from tools.http_request.tool import HttpRequestTool

__all__ = ["HttpRequestTool"]
