"""Retry-after parsing, message cleaning and ModelError itself (pure functions, no server)."""

from __future__ import annotations

import email.utils

import pytest

from assistant.agent.model_errors import (
    ModelError,
    clean_text,
    describe,
    display_base,
    parse_retry_after,
)

NOW = 1_750_000_000.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
        ({"retry-after": email.utils.formatdate(NOW + 42, usegmt=True)}, 42.0),
        ({"retry-after": email.utils.formatdate(NOW - 42, usegmt=True)}, 0.0),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after-ms": "-5"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str] | None, seconds: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == seconds


def test_clean_text_removes_controls_bidi_and_keys() -> None:
    raw = "bad\x1b[2J key sk-abcdef0123456789 and SECRETVALUE\u202eevil\u200b\nnext"
    cleaned = clean_text(raw, secret="SECRETVALUE")
    assert "\x1b" not in cleaned and "\u202e" not in cleaned and "\u200b" not in cleaned
    assert "\n" not in cleaned
    assert "sk-abcdef0123456789" not in cleaned and "SECRETVALUE" not in cleaned
    assert cleaned.count("[key]") == 2


def test_clean_text_bounds_the_length() -> None:
    assert len(clean_text("y" * 10_000, limit=50)) == 50


@pytest.mark.parametrize(
    ("base", "shown"),
    [
        ("http://user:pw@127.0.0.1:8000/v1?token=abc", "http://127.0.0.1:8000/v1"),
        ("https://api.example.com/v1", "https://api.example.com/v1"),
        (None, ""),
        ("http://[::1:8000/v1", "(unparseable api_base)"),
    ],
)
def test_display_base_never_shows_credentials(base: str | None, shown: str) -> None:
    assert display_base(base) == shown


def test_model_error_fields_and_retryable_default() -> None:
    err = ModelError("slow down", kind="rate_limit", provider="openai", status=429)
    assert (err.kind, err.provider, err.retryable, err.status, str(err)) == (
        "rate_limit",
        "openai",
        True,
        429,
        "slow down",
    )
    assert ModelError("no", kind="auth", provider="openai").retryable is False
    with pytest.raises(ValueError):
        ModelError("x", kind="oops", provider="openai")


def test_describe_adds_the_attempt_count_only_after_retries() -> None:
    err = ModelError("server error", kind="server", provider="openai", status=500)
    assert describe(err, 1) is err
    final = describe(err, 3)
    assert str(final) == "server error (gave up after 3 attempts)."
    assert (final.kind, final.status) == ("server", 500)
