"""Which provider a litellm model string names, and which API key it needs: no litellm import."""

from __future__ import annotations

from typing import Any

#: Provider -> the environment variable litellm reads its API key from (the same name is used
#: as the keyring entry, so `assistant keys set NAME` and the variable are interchangeable).
KEY_NAMES: dict[str, str] = {
    "openai": "OPENAI_API_KEY",
    "text-completion-openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "codestral": "CODESTRAL_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "xai": "XAI_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "cohere": "COHERE_API_KEY",
    "cohere_chat": "COHERE_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
    "deepinfra": "DEEPINFRA_API_KEY",
    "cerebras": "CEREBRAS_API_KEY",
    "huggingface": "HUGGINGFACE_API_KEY",
    "nvidia_nim": "NVIDIA_NIM_API_KEY",
    "ai21": "AI21_API_KEY",
    "azure": "AZURE_API_KEY",
    "replicate": "REPLICATE_API_KEY",
    "moonshot": "MOONSHOT_API_KEY",
    "dashscope": "DASHSCOPE_API_KEY",
    "cloudflare": "CLOUDFLARE_API_KEY",
    "nebius": "NEBIUS_API_KEY",
    "novita": "NOVITA_API_KEY",
    "featherless_ai": "FEATHERLESS_AI_API_KEY",
    "volcengine": "VOLCENGINE_API_KEY",
    "vercel_ai_gateway": "VERCEL_AI_GATEWAY_API_KEY",
    "baseten": "BASETEN_API_KEY",
}

#: Local servers that take no key at all.
KEYLESS: frozenset[str] = frozenset(
    {
        "ollama",
        "ollama_chat",
        "hosted_vllm",
        "vllm",
        "lm_studio",
        "llamafile",
        "docker_model_runner",
        "lemonade",
        "xinference",
        "oobabooga",
    }
)

#: Providers that speak OpenAI's API, where a self-hosted server at ``api_base`` may need no key.
OPENAI_COMPATIBLE: frozenset[str] = frozenset(
    {"openai", "text-completion-openai", "custom_openai", "openai_like"}
)

#: Bare model names (no "provider/" prefix) litellm cannot place by itself, by name prefix.
_BARE_PREFIXES: tuple[tuple[str, str], ...] = (("claude", "anthropic"), ("gemini", "gemini"))


def split_model(model: str) -> tuple[str, bool]:
    """(provider, explicit): the "provider/" prefix if there is one, else a guess from the name.

    A bare name that is neither Claude nor Gemini is taken as OpenAI's (or an OpenAI-compatible
    server's when an api_base is set); ``explicit`` False means litellm must be told the provider.
    """
    name = model.strip()
    if "/" in name:
        return name.split("/", 1)[0].lower(), True
    lowered = name.lower()
    for prefix, provider in _BARE_PREFIXES:
        if lowered.startswith(prefix):
            return provider, False
    return "openai", False


def provider_key_name(model: str) -> str | None:
    """The API key variable ``model`` needs, e.g. "openai/gpt-4.1" -> "OPENAI_API_KEY".

    None when no key is needed (local servers such as ollama or hosted_vllm) or when the
    provider authenticates some other way this app does not manage (bedrock, vertex_ai...).
    """
    return KEY_NAMES.get(split_model(model)[0])


def litellm_provider(litellm: Any, model: str) -> str | None:
    """The provider litellm itself places a bare model name with (``get_llm_provider``), or
    None when it cannot ("nonsense-model"): then no provider, and so no key, can be named."""
    try:
        found = litellm.get_llm_provider(model.strip())
    except Exception:  # litellm raises its BadRequestError (and others) for unknown names
        return None
    provider = found[1] if isinstance(found, tuple) and len(found) > 1 else None
    return str(provider) if provider else None


def unknown_model_message(model: str) -> str:
    """What to say of a bare model name no provider is known for."""
    return (
        f"unknown model {model.strip()!r}: litellm cannot tell which provider serves it, so no "
        "API key can be named; name the provider as PROVIDER/MODEL (e.g. openai/gpt-4.1-mini, "
        "anthropic/claude-sonnet-4-5, ollama_chat/llama3.1), or give --api-base for an "
        "OpenAI-compatible server"
    )
