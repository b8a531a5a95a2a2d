"""The model adapter: one streamed litellm call per reply, retried, reassembled and costed here.

litellm is imported lazily (:func:`load_litellm`), offline and silent, so the CLI and the UI start
at once. :meth:`Model.stream` yields text deltas, then one :class:`ModelReply`; it raises
:class:`ModelError`. Retries (429 honouring retry-after, 5xx and connection errors with backoff)
happen only before any output; a reply cut short is an error and none of its tool calls return.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import os
import random
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from assistant.agent.events import TurnWait
from assistant.agent.model_errors import (
    ModelError,
    classify,
    clean_text,
    describe,
    retry_wait_hint,
)
from assistant.agent.model_providers import (
    KEY_NAMES,
    OPENAI_COMPATIBLE,
    provider_key_name,
    split_model,
)
from assistant.agent.model_reply import ModelReply, Reassembly, ToolCall, Usage

__all__ = [
    "Model",
    "ModelError",
    "ModelReply",
    "ToolCall",
    "Usage",
    "load_litellm",
    "provider_key_name",
]

NO_KEY = "sk-no-key"
"""Placeholder key for self-hosted OpenAI-compatible servers: the client refuses to send none."""
BACKOFF_BASE = 1.0
"""Seconds before the first retry of a 5xx or connection error; doubled each time, jittered."""
AUTO_RETRY_KINDS = frozenset({"rate_limit", "server", "connection"})
YIELD_EVERY = 0.02
"""Seconds a stream may parse buffered chunks before it lets the event loop run. Chunks that
are already in the socket buffer are read without a real wait, so a stream arriving faster
than it is parsed would otherwise hold the loop until it ends: no repaint, no Esc."""
_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Proxy", "LiteLLM Router")

_litellm: ModuleType | None = None
_load_lock = threading.Lock()


def load_litellm() -> ModuleType:
    """Import litellm once, offline and quiet; safe to call from any thread (the UI preloads it).

    ``LITELLM_OFFLINE_MODE=true`` (unless already set) keeps the import off the network;
    ``suppress_debug_info`` and silenced loggers keep it from printing over a Textual screen.
    An explicit ``LITELLM_LOG`` in the environment keeps litellm's own logging for debugging.
    """
    global _litellm
    if _litellm is not None:
        return _litellm
    with _load_lock:
        if _litellm is None:
            os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
            warnings.filterwarnings("ignore", module=r"litellm(\.|$)")
            warnings.filterwarnings("ignore", message="Pydantic serializer warnings")
            # The import makes some 400,000 objects, all kept: the collector's passes over them
            # while it runs find nothing to free and cost about a fifth of the import's time.
            collecting = gc.isenabled()
            gc.disable()
            try:
                import litellm
            finally:
                if collecting:
                    gc.enable()

            litellm.suppress_debug_info = True
            if "LITELLM_LOG" not in os.environ:
                for name in _LITELLM_LOGGERS:
                    logging.getLogger(name).setLevel(logging.CRITICAL + 10)
            # The import leaves some 400,000 objects that live as long as the process; frozen,
            # the collector stops walking them, which otherwise costs a ~250 ms pause (a stalled
            # screen) in each full collection while a reply streams.
            gc.freeze()
            _litellm = litellm
    return _litellm


class Model:
    """One configured model (any litellm model string) and its retry policy."""

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        max_attempts: int = 4,
        max_wait: float = 30.0,
        timeout: float = 600.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        name = model.strip() if isinstance(model, str) else ""
        if not name or any(c.isspace() or not c.isprintable() for c in name):
            raise ModelError(
                f"{clean_text(str(model))!r} is not a usable model name; name one with "
                '--model PROVIDER/NAME or model = "PROVIDER/NAME" in the config file.',
                kind="config",
                provider="none",
            )
        if max_attempts < 1 or not max_wait >= 0 or not timeout > 0:
            raise ValueError("max_attempts must be >= 1, max_wait >= 0 and timeout > 0")
        self.model = name
        provider, self._explicit = split_model(name)
        # the prefix as litellm spells it: "OpenAI/gpt-4o" -> "openai/gpt-4o"
        self._litellm_model = f"{provider}/{name.split('/', 1)[1]}" if self._explicit else name
        if api_base is not None:
            api_base = api_base.strip() or None
        if api_base is not None:
            try:
                parts = urlsplit(api_base)
                ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            except ValueError:
                ok = False
            if not ok:
                raise ModelError(
                    f"the API base {clean_text(api_base)!r} is not an http(s) URL "
                    "(e.g. http://127.0.0.1:8000/v1).",
                    kind="config",
                    provider=self.provider,
                )
        self.api_base = api_base
        self._api_key = api_key or None
        self.max_attempts = max_attempts
        self.max_wait = float(max_wait)
        self.timeout = float(timeout)
        self._sleep = sleep

    @property
    def provider(self) -> str:
        """The litellm provider: the model string's prefix, else guessed ("openai" by default)."""
        return split_model(self.model)[0]

    def __repr__(self) -> str:
        return f"Model({self.model!r}, api_base={self.api_base!r})"

    def _key(self) -> str | None:
        """The key to send: given, else from the environment, else a placeholder for local
        OpenAI-compatible servers. A provider that needs one and has none is a config error."""
        if self._api_key:
            return self._api_key
        key_name = KEY_NAMES.get(self.provider)
        if key_name and os.environ.get(key_name):
            return os.environ[key_name]
        if self.api_base and self.provider in OPENAI_COMPATIBLE:
            return NO_KEY
        if key_name:
            raise ModelError(
                f"no API key for {self.provider}. Set it with `assistant keys set {key_name}` "
                f"or the {key_name} environment variable.",
                kind="config",
                provider=self.provider,
                retryable=False,
            )
        return None

    def _request(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self._litellm_model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": self.timeout,
            "max_retries": 0,  # the client's own retries; ours are below
            "num_retries": 0,  # litellm's wrapper retries
        }
        if not self._explicit:
            kwargs["custom_llm_provider"] = self.provider
        if self.api_base:
            kwargs["api_base"] = self.api_base
        key = self._key()
        if key:
            kwargs["api_key"] = key
        if tools:
            kwargs["tools"] = tools
        return kwargs

    def _classify(self, exc: BaseException) -> ModelError:
        return classify(
            exc,
            provider=self.provider,
            model=self.model,
            api_base=self.api_base,
            api_key=self._api_key,
            timeout=self.timeout,
        )

    def _retry_wait(self, error: ModelError, exc: BaseException | None, attempt: int) -> float:
        """Seconds to wait before the next attempt; raises when there should be none."""
        if error.kind not in AUTO_RETRY_KINDS or attempt >= self.max_attempts:
            raise describe(error, attempt) from exc
        hint = retry_wait_hint(exc) if exc is not None else None
        if hint is not None:
            if hint > self.max_wait:
                raise ModelError(
                    f"{self.provider} asked to wait {math.ceil(hint)} s before retrying "
                    f"({error.status or error.kind}), longer than the {self.max_wait:g} s this app "
                    "waits; try again later.",
                    kind=error.kind,
                    provider=self.provider,
                    status=error.status,
                ) from exc
            return hint
        return min(self.max_wait, BACKOFF_BASE * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    async def stream(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        *,
        on_wait: Callable[[TurnWait], object] | None = None,
    ) -> AsyncIterator[str | ModelReply]:
        """Yield text deltas as they arrive, then exactly one ModelReply. Raises ModelError.

        Before the text, ``on_wait`` hears what is being waited for, so a person is never left
        with silence: "loading" while litellm still imports, "thinking" when a request goes out,
        "retrying" (with the seconds and why) before each back-off.

        A failure before any text was shown is retried (if its kind allows); after that it ends
        the call. The agent should act on ``tool_calls``, not ``finish_reason``: providers
        disagree on the finish reason of a reply with calls.
        """
        kwargs = self._request(messages, tools)
        tell = on_wait or (lambda wait: None)
        litellm = _litellm
        if litellm is None:
            tell(TurnWait("loading"))
            # off the event loop: the import takes seconds, and may be under way in a thread
            litellm = await asyncio.to_thread(load_litellm)
        attempt = 0
        while True:
            attempt += 1
            tell(TurnWait("thinking", attempt=attempt))
            reply = Reassembly()
            shown = False
            response = None
            failure: BaseException | None = None
            try:
                response = await litellm.acompletion(**kwargs)
                resumed = time.perf_counter()
                async for chunk in response:
                    delta = reply.absorb(chunk)
                    if delta:
                        shown = True
                        yield delta
                    if time.perf_counter() - resumed > YIELD_EVERY:
                        await asyncio.sleep(0)
                        resumed = time.perf_counter()
            except Exception as exc:
                failure = exc  # after a finish_reason, a failure loses only the usage chunk
            finally:
                await _close(response)
            if reply.finish_reason is not None:
                break
            error = self._failure(failure, shown)
            if shown:
                raise error from failure
            wait = self._retry_wait(error, failure, attempt)
            tell(TurnWait("retrying", wait, retry_reason(error), attempt + 1))
            await self._sleep(wait)
        yield ModelReply(
            text="".join(reply.text),
            tool_calls=reply.tool_calls(),
            usage=self._usage(litellm, reply.usage),
            finish_reason=reply.finish_reason,
        )

    def _failure(self, exc: BaseException | None, shown: bool) -> ModelError:
        """The error for a reply that did not finish. Once text was shown it is cut short (or
        timed out); before that, a stream that broke is a dropped connection (retryable)."""
        error = self._classify(exc) if exc is not None else None
        if shown:
            if error is not None and error.kind == "timeout":
                return error
            return ModelError(
                f"the reply from {self.provider} was cut off before it finished; any tool call "
                "in it was dropped.",
                kind="stream_cut",
                provider=self.provider,
                status=error.status if error else None,
            )
        if error is None or error.kind == "stream_cut":
            return ModelError(
                f"the connection to {self.provider} dropped before the reply started.",
                kind="connection",
                provider=self.provider,
            )
        return error

    def _usage(self, litellm: ModuleType, raw: Any) -> Usage | None:
        if raw is None:
            return None
        prompt = _count(getattr(raw, "prompt_tokens", None))
        completion = _count(getattr(raw, "completion_tokens", None))
        return Usage(
            prompt,
            completion,
            cost_usd(litellm, self._litellm_model, prompt, completion, self._explicit),
        )


def retry_reason(error: ModelError) -> str:
    """Why a call is tried again, in the words of a status line: "rate limited", "server error
    503", "connection dropped"."""
    if error.kind == "rate_limit":
        return "rate limited"
    if error.kind == "server":
        return f"server error {error.status}" if error.status else "server error"
    return "connection dropped" if error.kind == "connection" else error.kind.replace("_", " ")


def cost_usd(
    litellm: ModuleType,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    explicit: bool = True,
) -> float | None:
    """Price of a call by litellm's price map; None when it has no price for the model."""
    kwargs: dict[str, Any] = {}
    if not explicit:
        kwargs["custom_llm_provider"] = split_model(model)[0]
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, **kwargs
        )
        total = float(prompt_cost) + float(completion_cost)
    except Exception:  # litellm raises assorted errors for unmapped models: all mean "unknown"
        return None
    return total if math.isfinite(total) and total >= 0 else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


async def _close(response: Any) -> None:
    """Close a litellm stream so its connection goes back to the pool (or is dropped)."""
    close = getattr(response, "aclose", None)
    if close is None:
        return
    try:
        await close()
    except Exception:  # closing a broken stream may fail again; nothing is left to release
        return
