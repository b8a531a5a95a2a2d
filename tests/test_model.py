"""Model adapter through litellm's real HTTP path against the scripted fake server: replies,
tool calls, usage and cost, cut streams, cancellation and secrets."""

from __future__ import annotations

import asyncio
import json

import pytest

from assistant.agent.model import Model, ModelError, ToolCall, load_litellm
from tests.support.fake_llm import FakeLLM, cut, error, text, tool_call, tool_calls
from tests.support.model_calls import HI, LITELLM_WARNINGS, Sleeps, collect, failure, make

pytestmark = LITELLM_WARNINGS

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "csv_query",
            "description": "Run SQL over a CSV file.",
            "parameters": {"type": "object", "properties": {"sql": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


async def test_streamed_text_arrives_as_deltas_then_one_reply(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(text("The quick brown fox jumps", chunks=5, usage=(30, 5)))
    deltas, reply = await collect(make(fake_llm, sleeps))
    assert deltas == ["The q", "uick ", "brown", " fox ", "jumps"]
    assert reply.text == "The quick brown fox jumps"
    assert reply.tool_calls == ()
    assert reply.finish_reason == "stop"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (30, 5)
    body = fake_llm.requests[0]
    assert body["model"] == "fake-model"
    assert body["messages"] == HI
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert "tools" not in body, "an empty tool list must not be sent"
    assert fake_llm.headers[0]["x-stainless-retry-count"] == "0"


async def test_plain_one_chunk_reply(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(text("Hello."))
    deltas, reply = await collect(make(fake_llm, sleeps))
    assert deltas == ["Hello."]
    assert reply.text == "Hello."


async def test_tool_call_arguments_in_forty_chunks(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    args = json.dumps({"sql": "SELECT region, sum(amount) FROM 'sales.csv' GROUP BY region " * 4})
    fake_llm.queue(
        tool_call("csv_query", args, call_id="call_abc", text="Let me look.", arg_chunks=40)
    )
    deltas, reply = await collect(make(fake_llm, sleeps), tools=TOOLS)
    assert deltas == ["Let me look."]
    assert reply.tool_calls == (ToolCall(id="call_abc", name="csv_query", arguments=args),)
    assert reply.finish_reason == "tool_calls"
    assert fake_llm.requests[0]["tools"] == TOOLS


async def test_several_tool_calls_keep_their_order(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    calls = [
        ("csv_query", '{"sql": "SELECT 1"}'),
        ("http_request", '{"url": "https://example.com/a"}'),
    ]
    fake_llm.queue(tool_calls(calls, ids=["c1", "c2"], arg_chunks=6))
    _, reply = await collect(make(fake_llm, sleeps), tools=TOOLS)
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("c1", "csv_query", '{"sql": "SELECT 1"}'),
        ("c2", "http_request", '{"url": "https://example.com/a"}'),
    ]


@pytest.mark.parametrize("raw", ['{"sql": "SELECT 1",', "not json {{", '{"a": 1}{"b": 2}', ""])
async def test_invalid_json_arguments_are_returned_verbatim(
    fake_llm: FakeLLM, sleeps: Sleeps, raw: str
) -> None:
    fake_llm.queue(tool_call("csv_query", raw, arg_chunks=3))
    _, reply = await collect(make(fake_llm, sleeps), tools=TOOLS)
    assert [c.arguments for c in reply.tool_calls] == [raw]


async def test_finish_reason_length_passes_through(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(text("trunc", finish_reason="length"))
    _, reply = await collect(make(fake_llm, sleeps))
    assert reply.finish_reason == "length"


async def test_unpriced_model_cost_is_unknown_not_zero(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    fake_llm.queue(text("hi", usage=(100, 20)))
    _, reply = await collect(make(fake_llm, sleeps))
    assert reply.usage is not None
    assert reply.usage.cost_usd is None


async def test_priced_model_cost_comes_from_litellms_price_map(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    price = load_litellm().model_cost["gpt-4o-mini"]
    fake_llm.queue(text("hi", usage=(1000, 500)))
    model = Model("openai/gpt-4o-mini", api_base=fake_llm.base_url, sleep=sleeps)
    _, reply = await collect(model)
    assert reply.usage is not None
    expected = 1000 * price["input_cost_per_token"] + 500 * price["output_cost_per_token"]
    assert reply.usage.cost_usd == pytest.approx(expected)
    assert reply.usage.cost_usd > 0


async def test_bare_model_name_goes_to_an_openai_compatible_base(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(text("bare"))
    model = Model("fake-model", api_base=fake_llm.base_url, sleep=sleeps)
    assert model.provider == "openai"
    _, reply = await collect(model)
    assert reply.text == "bare"
    assert fake_llm.requests[0]["model"] == "fake-model"


@pytest.mark.parametrize("how", ["reset", "eof"])
async def test_cut_stream_is_an_error_and_drops_its_tool_call(
    fake_llm: FakeLLM, sleeps: Sleeps, how: str
) -> None:
    fake_llm.queue(
        cut(text="Working on it", tool_call=("csv_query", '{"sql": "SELECT 1"}'), how=how)
    )
    deltas, exc = await failure(make(fake_llm, sleeps))
    assert deltas == ["Working on it"], "the text already shown is not taken back"
    assert exc.kind == "stream_cut"
    assert str(exc) == (
        "the reply from openai was cut off before it finished; any tool call in it was dropped."
    )
    assert len(fake_llm.requests) == 1, "never retried after output"
    assert sleeps.waits == []


async def test_stall_after_output_times_out_without_retry(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(text("abc", chunks=3, stall_after=2))
    deltas, exc = await failure(make(fake_llm, sleeps, timeout=0.3))
    fake_llm.release()
    assert deltas == ["a"]
    assert exc.kind == "timeout"
    assert "0.3 s" in str(exc)
    assert len(fake_llm.requests) == 1
    assert sleeps.waits == []


async def test_cancelling_mid_stream_stops_and_the_model_stays_usable(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    model = make(fake_llm, sleeps)
    fake_llm.queue(text("one two six ", chunks=3, stall_after=2), text("again"))
    seen: list[str] = []
    first = asyncio.Event()

    async def consume() -> None:
        async for item in model.stream(HI, []):
            seen.append(item)  # type: ignore[arg-type]
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 10)
    assert await asyncio.to_thread(fake_llm.stalled.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["one "]
    fake_llm.release()
    _, reply = await collect(model)
    assert reply.text == "again"


async def test_api_key_goes_only_in_the_authorization_header(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    canary = "sk-canary-7f3e9a1b2c4d5e6f"
    fake_llm.queue(text("ok"))
    model = Model(fake_llm.model(), api_base=fake_llm.base_url, api_key=canary, sleep=sleeps)
    assert canary not in repr(model)
    await collect(model)
    assert fake_llm.headers[0]["authorization"] == f"Bearer {canary}"
    assert canary not in json.dumps(fake_llm.requests[0])


async def test_provider_text_echoing_the_key_is_scrubbed(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    canary = "canary-0123456789abcdef"
    body = {
        "error": {
            "message": f"bad field\x1b[31m for key {canary}\u202e",
            "type": "invalid_request_error",
        }
    }
    fake_llm.queue(error(400, body=body))
    model = Model(fake_llm.model(), api_base=fake_llm.base_url, api_key=canary, sleep=sleeps)
    _, exc = await failure(model)
    assert exc.kind == "bad_request"
    assert canary not in str(exc)
    assert "\x1b" not in str(exc) and "\u202e" not in str(exc)
    assert "bad field" in str(exc) and "(400)" in str(exc)


async def test_environment_key_is_used_when_none_is_given(
    fake_llm: FakeLLM, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-123")
    fake_llm.queue(text("ok"))
    await collect(make(fake_llm, sleeps))
    assert fake_llm.headers[0]["authorization"] == "Bearer sk-from-env-123"


async def test_local_openai_compatible_server_gets_a_placeholder_key(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    fake_llm.queue(text("ok"))
    await collect(make(fake_llm, sleeps))
    assert fake_llm.headers[0]["authorization"] == "Bearer sk-no-key"


async def test_missing_key_is_a_config_error_before_any_request(sleeps: Sleeps) -> None:
    model = Model("anthropic/claude-sonnet-4-5", sleep=sleeps)
    with pytest.raises(ModelError) as info:
        await anext(model.stream(HI, []))
    assert info.value.kind == "config"
    assert info.value.retryable is False
    assert "`assistant keys set ANTHROPIC_API_KEY`" in str(info.value)


async def test_unknown_provider_prefix_is_a_config_error(fake_llm: FakeLLM, sleeps: Sleeps) -> None:
    model = Model("meta-llama/Llama-3-8B", api_base=fake_llm.base_url, sleep=sleeps)
    _, exc = await failure(model)
    assert exc.kind == "config"
    assert "openai/meta-llama/Llama-3-8B" in str(exc)
    assert fake_llm.requests == []


@pytest.mark.parametrize(
    ("name", "api_base"),
    [
        ("", None),
        ("   ", None),
        ("openai/gpt 4", None),
        ("openai/x", "ftp://h/v1"),
        ("openai/x", "nonsense"),
    ],
)
def test_unusable_configuration_is_refused_clearly(name: str, api_base: str | None) -> None:
    with pytest.raises(ModelError) as info:
        Model(name, api_base=api_base)
    assert info.value.kind == "config"
    assert "model" in str(info.value) or "API base" in str(info.value)


def test_retry_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        Model("openai/x", max_attempts=0)
    with pytest.raises(ValueError):
        Model("openai/x", timeout=0)


async def test_a_burst_of_buffered_chunks_still_lets_the_event_loop_run(
    fake_llm: FakeLLM, sleeps: Sleeps
) -> None:
    """Chunks already in the socket buffer are parsed without a real wait; the stream must still
    hand the loop over now and then, or the screen (and Esc) would freeze until it ends."""
    content = "".join(f"w{i} " for i in range(3000))
    fake_llm.queue(text(content, chunks=3000, burst=True))
    model = make(fake_llm, sleeps)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    running = asyncio.create_task(ticker())
    seen: list[int] = []  # the ticks counted when each delta arrived
    try:
        async for item in model.stream([{"role": "user", "content": "go"}], []):
            if isinstance(item, str):
                seen.append(ticks)
    finally:
        running.cancel()
    assert len(seen) == 3000
    # without the hand-overs the ticker would not run between the first and the last delta
    assert seen[-1] - seen[0] >= 15, seen[-1] - seen[0]
