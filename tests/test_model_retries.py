"""Model retry policy and error messages through litellm against the fake server: 429 honouring
retry-after, 5xx backoff with jitter and caps, and the errors that are never retried."""

from __future__ import annotations

import email.utils
import socket
import time

import pytest

from assistant.agent.model import Model
from tests.support.fake_llm import FakeLLM, cut, error, text, tool_call
from tests.support.model_calls import LITELLM_WARNINGS, Sleeps, collect, failure, make

pytestmark = LITELLM_WARNINGS


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


async def test_429_waits_as_long_as_retry_after_says(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(error(429, headers={"retry-after": "7"}), text("done"))
    _, reply = await collect(make(fake_llm, sleeps))
    assert reply.text == "done"
    assert sleeps.waits == [7.0]
    assert len(fake_llm.requests) == 2


async def test_429_retry_after_ms_wins_over_seconds(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(error(429, headers={"retry-after-ms": "1500", "retry-after": "2"}), text("done"))
    await collect(make(fake_llm, sleeps))
    assert sleeps.waits == [1.5]


async def test_429_retry_after_as_http_date(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    fake_llm.queue(error(429, headers={"retry-after": when}), text("done"))
    await collect(make(fake_llm, sleeps))
    assert len(sleeps.waits) == 1
    assert 17.0 <= sleeps.waits[0] <= 20.0  # whole seconds in the date, a little time spent


async def test_429_asking_for_longer_than_the_cap_fails_at_once(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(error(429, headers={"retry-after": "120"}))
    _, exc = await failure(make(fake_llm, sleeps, max_wait=30))
    assert exc.kind == "rate_limit"
    assert exc.retryable is True
    assert "120 s" in str(exc) and "30 s" in str(exc)
    assert sleeps.waits == []
    assert len(fake_llm.requests) == 1


async def test_429_without_retry_after_backs_off_then_gives_up(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(*[error(429)] * 4)
    _, exc = await failure(make(fake_llm, sleeps, max_attempts=4))
    assert exc.kind == "rate_limit"
    assert "gave up after 4 attempts" in str(exc)
    assert len(fake_llm.requests) == 4
    assert len(sleeps.waits) == 3
    for n, wait in enumerate(sleeps.waits):
        assert 0.5 * 2**n <= wait <= 2**n


async def test_500_then_success_backs_off_with_jitter(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(error(500), error(503), text("recovered"))
    _, reply = await collect(make(fake_llm, sleeps))
    assert reply.text == "recovered"
    assert len(sleeps.waits) == 2
    assert 0.5 <= sleeps.waits[0] <= 1.0
    assert 1.0 <= sleeps.waits[1] <= 2.0
    assert len(fake_llm.requests) == 3


async def test_backoff_is_capped_by_max_wait(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(*[error(500)] * 6)
    _, exc = await failure(make(fake_llm, sleeps, max_attempts=6, max_wait=1.5))
    assert exc.kind == "server"
    assert "(500)" in str(exc) and "gave up after 6 attempts" in str(exc)
    assert len(sleeps.waits) == 5
    assert all(w <= 1.5 for w in sleeps.waits)
    assert len(set(sleeps.waits)) > 1, "jitter: the waits are not all the same"


async def test_unscripted_request_fails_loudly(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    _, exc = await failure(make(fake_llm, sleeps, max_attempts=2))
    assert "fake_llm: no scripted reply" in str(exc)
    assert exc.kind == "server"


async def test_401_names_the_provider_and_the_key_and_is_not_retried(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(error(401), text("never sent"))
    _, exc = await failure(make(fake_llm, sleeps))
    assert exc.kind == "auth"
    assert exc.provider == "openai"
    assert exc.retryable is False
    assert str(exc) == (
        "openai rejected the API key (401). Set it with `assistant keys set OPENAI_API_KEY` "
        "or the OPENAI_API_KEY environment variable."
    )
    assert len(fake_llm.requests) == 1
    assert sleeps.waits == []


async def test_401_from_a_keyless_provider_points_at_the_server(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(error(401))
    model = Model("hosted_vllm/llama", api_base=fake_llm.base_url, sleep=sleeps)
    _, exc = await failure(model)
    assert exc.kind == "auth"
    assert "hosted_vllm" in str(exc) and "127.0.0.1" in str(exc)


async def test_402_is_a_quota_error_and_not_retried(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(error(402), text("never sent"))
    _, exc = await failure(make(fake_llm, sleeps))
    assert exc.kind == "quota"
    assert exc.retryable is False
    assert "openai" in str(exc) and "credit" in str(exc)
    assert len(fake_llm.requests) == 1
    assert sleeps.waits == []


async def test_429_insufficient_quota_is_not_retried(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    body = {
        "error": {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        }
    }
    fake_llm.queue(error(429, body=body, headers={"retry-after": "1"}), text("never sent"))
    _, exc = await failure(make(fake_llm, sleeps))
    assert exc.kind == "quota"
    assert len(fake_llm.requests) == 1
    assert sleeps.waits == []


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [(403, "auth", "(403)"), (404, "not_found", "fake-model"), (400, "bad_request", "(400)")],
)
async def test_client_errors_are_not_retried(
    fake_llm: FakeLLM, sleeps: Sleeps, status: int, kind: str, words: str
) -> None:
    fake_llm.queue(error(status))
    _, exc = await failure(make(fake_llm, sleeps))
    assert exc.kind == kind
    assert words in str(exc)
    assert len(fake_llm.requests) == 1


async def test_context_window_error_says_so(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    body = {
        "error": {
            "message": "This model's maximum context length is 8192 tokens. However, you sent 9000.",
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
        }
    }
    fake_llm.queue(error(400, body=body))
    _, exc = await failure(make(fake_llm, sleeps))
    assert exc.kind == "bad_request"
    assert "context window" in str(exc)


async def test_connection_refused_is_retried_then_named(sleeps: Sleeps) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = Model(
        "openai/fake-model", api_base=f"http://127.0.0.1:{port}/v1", sleep=sleeps, max_attempts=3
    )
    _, exc = await failure(model)
    assert exc.kind == "connection"
    assert f"127.0.0.1:{port}" in str(exc)
    assert "gave up after 3 attempts" in str(exc)
    assert len(sleeps.waits) == 2


@pytest.mark.parametrize("model", ["ollama_chat/llama3.1", "openai/fake-model"])
async def test_a_local_server_that_is_not_running_is_said_plainly(
    sleeps: Sleeps, model: str
) -> None:
    """`--model ollama_chat/... --api-base http://localhost:11434` with no server running: one
    line naming the address and asking whether it runs, no object reprs of the HTTP stack."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}" + ("/v1" if model.startswith("openai/") else "")
    _, exc = await failure(Model(model, api_base=base, sleep=sleeps, max_attempts=1))
    assert exc.kind == "connection"
    message = str(exc)
    assert f"127.0.0.1:{port}" in message and "is it running" in message
    assert " object at 0x" not in message and "<" not in message, message


async def test_retry_after_on_a_503_is_honoured(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(error(503, headers={"retry-after": "4"}), text("ok"))
    await collect(make(fake_llm, sleeps))
    assert sleeps.waits == [4.0]


async def test_error_message_never_contains_a_traceback(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(error(500, body={"error": {"message": "x" * 5000}}))
    _, exc = await failure(make(fake_llm, sleeps, max_attempts=1))
    message = str(exc)
    assert "\n" not in message and "Traceback" not in message
    assert len(message) < 400


@pytest.mark.parametrize("how", ["reset", "eof"])
async def test_stream_cut_before_any_text_is_retried(
    fake_llm: FakeLLM, sleeps: Sleeps, how: str
) -> None:
    args = '{"sql": "SELECT 1"}'
    fake_llm.queue(
        cut(text="", tool_call=("csv_query", args), how=how), tool_call("csv_query", args)
    )
    deltas, reply = await collect(make(fake_llm, sleeps))
    assert deltas == []
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("csv_query", args)]
    assert len(fake_llm.requests) == 2
    assert len(sleeps.waits) == 1


async def test_streams_that_keep_breaking_before_text_give_up(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(*[cut(text="")] * 3)
    _, exc = await failure(make(fake_llm, sleeps, max_attempts=3))
    assert exc.kind == "connection"
    assert str(exc) == (
        "the connection to openai dropped before the reply started (gave up after 3 attempts)."
    )
    assert len(fake_llm.requests) == 3
