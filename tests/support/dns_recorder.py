"""Run the real `assistant` command with every name lookup recorded and answered from a map.

``python -m tests.support.dns_recorder ARGS...`` behaves as ``python -m assistant ARGS...``,
except that ``socket.getaddrinfo`` (what the HTTP tool's resolver, httpx, litellm and asyncio
all end in) appends each host it is asked to look up to the file ``$DNS_LOG`` (one JSON string
a line; a call with AI_NUMERICHOST only reads a number, asks no resolver and is not a lookup)
and answers from ``$DNS_MAP`` (a JSON object name -> [addresses]); numeric hosts are read as
numbers and any other name fails as unknown. No query ever leaves the machine, and a test can
prove which names the command looked up: none at all, say, under ``--approve never``.
"""

from __future__ import annotations

import json
import os
import runpy
import socket
import sys
from typing import Any


def install(log_path: str, names: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo
    open(log_path, "a", encoding="utf-8").close()  # it exists: the recorder is installed

    def getaddrinfo(
        host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> Any:
        shown = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        numeric = flags | socket.AI_NUMERICHOST
        if flags & socket.AI_NUMERICHOST:  # reading a number: no resolver is ever asked
            return real(host, port, family, type, proto, flags)
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(shown) + "\n")
        if shown is None:
            return real(host, port, family, type, proto, flags)
        if shown in names:
            infos = []
            for addr in names[shown]:
                infos += real(addr, port, family, type, proto, numeric)
            return infos
        try:
            return real(host, port, family, type, proto, numeric)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name (test resolver)") from None

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


def main() -> None:
    install(os.environ["DNS_LOG"], json.loads(os.environ.get("DNS_MAP") or "{}"))
    sys.argv = ["assistant", *sys.argv[1:]]
    runpy.run_module("assistant", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
