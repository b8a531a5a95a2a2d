"""Find local model servers answering on loopback (Ollama, LM Studio, llama.cpp, vLLM), quickly.

Every answer is untrusted: only string model names are kept, bounded in number and length.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

PROBE_TIMEOUT = 0.5
"""Seconds per server; a closed port refuses at once, so the scan costs this only when a port
is filtered or a server hangs."""
MAX_MODELS = 20
MAX_NAME = 120


@dataclass(frozen=True)
class Candidate:
    """Where a kind of local server listens, how to list its models and how litellm reaches it."""

    name: str
    port: int
    path: str
    provider: str
    """litellm provider prefix for its models."""
    base_suffix: str
    """What the api_base adds to http://host:port ("/v1" for OpenAI-compatible servers)."""


@dataclass(frozen=True)
class LocalServer:
    name: str
    api_base: str
    provider: str
    models: tuple[str, ...]

    def model_string(self, model: str) -> str:
        return f"{self.provider}/{model}"


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("Ollama", 11434, "/api/tags", "ollama_chat", ""),
    Candidate("LM Studio", 1234, "/v1/models", "openai", "/v1"),
    Candidate("llama.cpp", 8080, "/v1/models", "openai", "/v1"),
    Candidate("vLLM", 8000, "/v1/models", "hosted_vllm", "/v1"),
)


def model_names(payload: Any) -> tuple[str, ...]:
    """Model names from Ollama's {"models": [{"name"}]} or OpenAI's {"data": [{"id"}]}."""
    if not isinstance(payload, dict):
        return ()
    items = payload.get("models") if "models" in payload else payload.get("data")
    names: list[str] = []
    for item in items if isinstance(items, list) else []:
        name = item.get("name") or item.get("id") if isinstance(item, dict) else None
        if isinstance(name, str) and name.strip() and len(name) <= MAX_NAME and name.isprintable():
            names.append(name.strip())
        if len(names) >= MAX_MODELS:
            break
    return tuple(names)


async def probe(
    candidates: tuple[Candidate, ...] = CANDIDATES,
    host: str = "127.0.0.1",
    timeout: float = PROBE_TIMEOUT,
) -> list[LocalServer]:
    """The candidates that answer with a model list, in the order given."""
    import httpx

    async def one(client: httpx.AsyncClient, c: Candidate) -> LocalServer | None:
        root = f"http://{host}:{c.port}"
        try:
            response = await client.get(root + c.path)
            if response.status_code != 200 or len(response.content) > 1_000_000:
                return None
            models = model_names(response.json())
        except (httpx.HTTPError, ValueError):
            return None
        return LocalServer(c.name, root + c.base_suffix, c.provider, models)

    async with httpx.AsyncClient(
        timeout=timeout, trust_env=False, follow_redirects=False
    ) as client:
        found = await asyncio.gather(*(one(client, c) for c in candidates))
    return [s for s in found if s is not None]
