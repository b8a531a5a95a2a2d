"""Provider names and API key names from model strings, checked against litellm's own table."""

from __future__ import annotations

import pytest

from assistant.agent.model import Model, load_litellm, provider_key_name
from assistant.agent.model_providers import KEY_NAMES, KEYLESS, split_model
from tests.support.model_calls import LITELLM_WARNINGS

pytestmark = LITELLM_WARNINGS


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("openai/gpt-4.1", "OPENAI_API_KEY"),
        ("gpt-4.1", "OPENAI_API_KEY"),
        ("o3-mini", "OPENAI_API_KEY"),
        ("anthropic/claude-sonnet-4-5", "ANTHROPIC_API_KEY"),
        ("claude-3-5-haiku-latest", "ANTHROPIC_API_KEY"),
        ("gemini/gemini-2.5-flash", "GEMINI_API_KEY"),
        ("gemini-2.5-pro", "GEMINI_API_KEY"),
        ("groq/llama-3.3-70b-versatile", "GROQ_API_KEY"),
        ("mistral/mistral-large-latest", "MISTRAL_API_KEY"),
        ("openrouter/meta-llama/llama-3.1-8b-instruct", "OPENROUTER_API_KEY"),
        ("deepseek/deepseek-chat", "DEEPSEEK_API_KEY"),
        ("xai/grok-4", "XAI_API_KEY"),
        ("together_ai/meta-llama/Llama-3-8b-chat-hf", "TOGETHERAI_API_KEY"),
        ("cohere/command-r-plus", "COHERE_API_KEY"),
        ("OpenAI/gpt-4o", "OPENAI_API_KEY"),
        ("ollama/llama3.1", None),
        ("ollama_chat/llama3.1", None),
        ("hosted_vllm/Qwen/Qwen2.5-7B", None),
        ("lm_studio/qwen", None),
        ("bedrock/anthropic.claude-3", None),
    ],
)
def test_key_name_per_model(model: str, key: str | None) -> None:
    assert provider_key_name(model) == key


@pytest.mark.parametrize(
    ("model", "provider", "explicit"),
    [
        ("openai/gpt-4.1", "openai", True),
        ("gpt-4.1", "openai", False),
        ("some-local-model", "openai", False),
        ("claude-opus-4", "anthropic", False),
        ("openrouter/anthropic/claude", "openrouter", True),
        ("  ollama_chat/llama3 ", "ollama_chat", True),
    ],
)
def test_split_model(model: str, provider: str, explicit: bool) -> None:
    assert split_model(model) == (provider, explicit)
    assert Model(model).provider == provider


def test_key_names_match_what_litellm_asks_for() -> None:
    """Each name in the table is one litellm itself reports missing for that provider."""
    litellm = load_litellm()
    known = {str(getattr(p, "value", p)) for p in litellm.provider_list}
    for provider, key in KEY_NAMES.items():
        assert provider in known, provider
        if provider in {"text-completion-openai", "cohere_chat"}:
            continue  # litellm checks these through their base provider
        missing = litellm.validate_environment(f"{provider}/some-model")["missing_keys"]
        assert key in missing, (provider, key, missing)


def test_keyless_providers_are_litellm_providers() -> None:
    litellm = load_litellm()
    known = {str(getattr(p, "value", p)) for p in litellm.provider_list}
    assert known >= KEYLESS
    assert not KEYLESS & set(KEY_NAMES)
