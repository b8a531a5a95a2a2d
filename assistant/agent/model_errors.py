"""ModelError and the mapping of litellm's exceptions to one-line messages a person can act on."""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from assistant.agent.model_providers import KEY_NAMES
from assistant.errors import AssistantError

KINDS = frozenset(
    {
        "auth",
        "quota",
        "rate_limit",
        "server",
        "stream_cut",
        "connection",
        "bad_request",
        "not_found",
        "config",
        "timeout",
    }
)

#: Kinds worth another attempt later; the Model retries them itself only before any output.
RETRYABLE_KINDS = frozenset({"rate_limit", "server", "connection", "timeout", "stream_cut"})


class ModelError(AssistantError):
    """A model call that failed; ``str(exc)`` is one line for the person (no secrets, no traceback).

    ``kind``: auth, quota, rate_limit, server, stream_cut, connection, bad_request, not_found,
    config or timeout. ``retryable``: the same request may succeed later (the Model has already
    retried what it safely could). ``status``: the HTTP status, when there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        provider: str,
        retryable: bool | None = None,
        status: int | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown ModelError kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.provider = provider
        self.retryable = kind in RETRYABLE_KINDS if retryable is None else retryable
        self.status = status

    def __repr__(self) -> str:
        return f"ModelError({str(self)!r}, kind={self.kind!r}, provider={self.provider!r})"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
_KEYLIKE = re.compile(r"\b(sk|pk|rk|gsk|xai|key)[-_][A-Za-z0-9_\-*]{8,}", re.IGNORECASE)
_LITELLM_PREFIX = re.compile(
    r"^(?:litellm\.\w+:\s*)*(?:\w+Error:\s*)*(?:\w+Exception\s*-\s*)?", re.IGNORECASE
)


def clean_text(text: str, *, secret: str | None = None, limit: int = 200) -> str:
    """Provider text made safe for one line: no control/bidi characters, no key, bounded length."""
    if secret:
        text = text.replace(secret, "[key]")
    text = _KEYLIKE.sub("[key]", text)
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_base(api_base: str | None) -> str:
    """The api_base as shown in messages: scheme, host and path, never userinfo or a query."""
    if not api_base:
        return ""
    try:
        parts = urlsplit(api_base)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit((parts.scheme, host + port, parts.path, "", ""))
    except ValueError:
        return "(unparseable api_base)"


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds a server asked us to wait: ``retry-after-ms``, or ``retry-after`` in seconds or as
    an HTTP date. None when absent or unusable (negative, not a number, not a date)."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v).strip() for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms:
        try:
            ms = float(raw_ms)
        except ValueError:
            ms = math.nan
        if math.isfinite(ms) and ms >= 0:
            return ms / 1000
    raw = lowered.get("retry-after")
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(seconds, 0.0)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def response_headers(exc: BaseException) -> Mapping[str, str] | None:
    """The HTTP response headers litellm attached to an exception, if any."""
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    try:
        return dict(headers.items()) if headers is not None else None
    except (AttributeError, TypeError):
        return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 12:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _provider_message(exc: BaseException) -> str:
    """The provider's own error text: the parsed error body when present, else litellm's string."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if isinstance(message, str) and message.strip():
            return message
    message = getattr(exc, "message", None)
    text = message if isinstance(message, str) else str(exc)
    return _LITELLM_PREFIX.sub("", text)


def _error_codes(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    parts = [str(getattr(exc, "code", "")), str(getattr(exc, "type", ""))]
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            parts += [str(inner.get("code", "")), str(inner.get("type", ""))]
    return " ".join(parts).lower()


def _is_connection_error(exc: BaseException) -> bool:
    import httpx
    import openai

    for item in _chain(exc):
        if isinstance(item, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
            return False
        if isinstance(item, openai.APIConnectionError | httpx.TransportError | ConnectionError):
            return True
    return False


def _is_timeout(exc: BaseException) -> bool:
    import httpx
    import openai

    return any(
        isinstance(item, openai.APITimeoutError | httpx.TimeoutException | TimeoutError)
        for item in _chain(exc)
    )


def classify(
    exc: BaseException,
    *,
    provider: str,
    model: str,
    api_base: str | None,
    api_key: str | None,
    timeout: float,
) -> ModelError:
    """Turn any exception from litellm into a ModelError with a message that says what to do."""
    from litellm import exceptions as lx

    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    detail = clean_text(_provider_message(exc), secret=api_key)
    key = KEY_NAMES.get(provider)
    where = f" at {display_base(api_base)}" if api_base else ""
    set_key = (
        f" Set it with `assistant keys set {key}` or the {key} environment variable." if key else ""
    )

    def err(kind: str, message: str) -> ModelError:
        return ModelError(message, kind=kind, provider=provider, status=status)

    if isinstance(exc, lx.MidStreamFallbackError):
        return err("stream_cut", f"the reply from {provider} was cut off before it finished.")
    if _is_timeout(exc) or status == 408:
        return err("timeout", f"{provider}{where} did not answer within {timeout:g} s.")
    if isinstance(exc, lx.ContextWindowExceededError):
        return err(
            "bad_request",
            f"the conversation is too long for {model}'s context window; start a new session "
            "or use a model with a larger one.",
        )
    codes = _error_codes(exc)
    quota_words = "insufficient_quota" in codes or "insufficient_quota" in detail.lower()
    billing_words = re.search(r"credit balance|billing|out of credits", detail, re.IGNORECASE)
    if status == 402 or quota_words or (status in (400, 403) and billing_words):
        return err(
            "quota",
            f"{provider} says the account has no credit or quota left ({status or 'quota'}). Add "
            "credit or raise the limit in the provider's billing settings, or pick another model "
            "with --model.",
        )
    if status == 401:
        if key:
            return err("auth", f"{provider} rejected the API key (401).{set_key}")
        return err("auth", f"{provider}{where} refused the request as unauthorized (401): {detail}")
    if status == 403:
        return err(
            "auth",
            f"{provider} refused access to {model} (403): the API key may lack permission for "
            f"this model or region.{set_key}",
        )
    if status == 429:
        return err("rate_limit", f"{provider} is rate limiting requests (429): {detail}")
    if status == 404:
        return err(
            "not_found",
            f"{provider}{where} does not know model {model!r} (404). Check the model name "
            "(--model) and the API base (--api-base).",
        )
    text = str(exc)
    if "LLM Provider NOT provided" in text or isinstance(exc, lx.LiteLLMUnknownProvider):
        return err(
            "config",
            f"litellm does not know the provider of {model!r}. Prefix the model with its "
            f"provider, e.g. openai/{model} for an OpenAI-compatible server.",
        )
    if _is_connection_error(exc):
        target = where or f" ({provider})"
        running = " (is it running there?)" if api_base else ""
        detail = re.sub(r"\s*ssl:(?:<[^>]*>|\S+)", "", detail)  # aiohttp's repr of its SSL context
        return err(
            "connection", f"could not connect to the model server{target}{running}: {detail}"
        )
    if isinstance(exc, lx.UnsupportedParamsError):
        return err("config", f"{provider} does not support a parameter this app sends: {detail}")
    if status is not None and status >= 500:
        return err("server", f"{provider} had a server error ({status}): {detail}")
    if status is not None and 400 <= status < 500:
        return err("bad_request", f"{provider} rejected the request ({status}): {detail}")
    if isinstance(exc, lx.APIConnectionError):
        return err("connection", f"could not talk to {provider}{where}: {detail}")
    name = type(exc).__name__
    return err("bad_request", f"the call to {provider} failed ({name}): {detail}")


def retry_wait_hint(exc: BaseException) -> float | None:
    """The server's own retry-after, read from the exception's response headers."""
    return parse_retry_after(response_headers(exc))


def describe(error: ModelError, attempts: int) -> ModelError:
    """The final error after ``attempts`` tries of a retryable failure."""
    if attempts <= 1:
        return error
    return ModelError(
        f"{str(error).rstrip('.')} (gave up after {attempts} attempts).",
        kind=error.kind,
        provider=error.provider,
        retryable=error.retryable,
        status=error.status,
    )
