"""The fake OpenAI-compatible server itself: wire format, keep-alive, recording, scripting aids."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

import httpx
import pytest

from assistant.agent.model import Model, ModelReply, load_litellm
from tests.support.fake_llm import FakeLLM, Reply, cut, error, text, tool_call
from tests.support.model_calls import LITELLM_WARNINGS

pytestmark = LITELLM_WARNINGS


def sse_events(raw: bytes) -> list[Any]:
    """Parse an SSE body into JSON events, with "[DONE]" kept as a string."""
    events: list[Any] = []
    for line in raw.decode().splitlines():
        if line.startswith("data: "):
            data = line[len("data: ") :]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def post(conn: http.client.HTTPConnection, body: dict[str, Any]) -> http.client.HTTPResponse:
    conn.request(
        "POST",
        "/v1/chat/completions",
        body=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    return conn.getresponse()


def connect(server: FakeLLM) -> http.client.HTTPConnection:
    host, port = server.base_url.split("//")[1].split("/")[0].split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


async def test_non_streaming_text_and_tool_call_through_litellm(fake_llm: FakeLLM) -> None:
    litellm = load_litellm()
    fake_llm.queue(
        text("plain answer", usage=(3, 2)), tool_call("csv_read", '{"path": "a.csv"', call_id="c9")
    )
    common = {
        "model": fake_llm.model(),
        "api_base": fake_llm.base_url,
        "api_key": "sk-x",
        "max_retries": 0,
    }
    first = await litellm.acompletion(messages=[{"role": "user", "content": "hi"}], **common)
    assert first.choices[0].message.content == "plain answer"
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (3, 2)
    second = await litellm.acompletion(messages=[{"role": "user", "content": "hi"}], **common)
    call = second.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == (
        "c9",
        "csv_read",
        '{"path": "a.csv"',
    )
    assert [r.get("stream") for r in fake_llm.requests] == [None, None]


def test_stream_wire_format_with_and_without_usage(fake_llm: FakeLLM) -> None:
    fake_llm.queue(text("ab", chunks=2), text("ab", chunks=2))
    conn = connect(fake_llm)
    with_usage = sse_events(
        post(conn, {"stream": True, "stream_options": {"include_usage": True}, "model": "m"}).read()
    )
    without = sse_events(post(conn, {"stream": True, "model": "m"}).read())
    conn.close()
    for events in (with_usage, without):
        assert events[-1] == "[DONE]"
        contents = [e["choices"][0]["delta"].get("content") for e in events[:-1] if e["choices"]]
        assert "".join(c for c in contents if c) == "ab"
        finishes = [e["choices"][0]["finish_reason"] for e in events[:-1] if e["choices"]]
        assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
        assert all(e["model"] == "m" for e in events[:-1])
    usage_event = with_usage[-2]
    assert usage_event["choices"] == []
    assert usage_event["usage"] == {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    assert not any("usage" in e for e in without[:-1])


def test_keep_alive_serves_several_requests_on_one_connection(fake_llm: FakeLLM) -> None:
    fake_llm.queue(text("one", chunks=3), error(429, headers={"retry-after": "1"}), text("three"))
    conn = connect(fake_llm)
    first = post(conn, {"stream": True})
    assert first.read().endswith(b"data: [DONE]\n\n") and not first.will_close
    sock = conn.sock
    second = post(conn, {"stream": True})
    assert second.status == 429 and second.getheader("retry-after") == "1"
    second.read()
    third = post(conn, {"stream": False})
    assert json.loads(third.read())["choices"][0]["message"]["content"] == "three"
    assert conn.sock is sock, "all three went over the first connection"
    conn.close()


def test_unscripted_request_gets_a_loud_500_and_models_are_listed(fake_llm: FakeLLM) -> None:
    with httpx.Client(base_url=fake_llm.base_url, trust_env=False) as client:
        listed = client.get("/models").json()
        unscripted = client.post("/chat/completions", json={"stream": True})
        missing = client.post("/embeddings", json={})
    assert [m["id"] for m in listed["data"]] == ["fake-model"]
    assert unscripted.status_code == 500
    assert unscripted.json()["error"]["message"] == "fake_llm: no scripted reply"
    assert missing.status_code == 404
    assert fake_llm.paths == ["GET /v1/models", "POST /v1/chat/completions", "POST /v1/embeddings"]


def test_requests_are_recorded_raw_and_parsed(fake_llm: FakeLLM) -> None:
    fake_llm.queue(text("x"))
    with httpx.Client(trust_env=False) as client:
        client.post(
            f"{fake_llm.base_url}/chat/completions",
            content=b"not json",
            headers={"Authorization": "Bearer sk-canary-42"},
        )
    assert fake_llm.requests == [{"_raw": "not json"}]
    assert fake_llm.headers[0]["authorization"] == "Bearer sk-canary-42"
    assert "sk-canary-42" in fake_llm.text_received()
    assert "not json" in fake_llm.text_received()
    assert fake_llm.pending == 0


def test_wait_for_requests(fake_llm: FakeLLM) -> None:
    assert fake_llm.wait_for_requests(1, timeout=0.01) is False
    with httpx.Client(trust_env=False) as client:
        client.get(f"{fake_llm.base_url}/models")
    assert fake_llm.wait_for_requests(1, timeout=5) is True


def test_cut_reset_breaks_the_chunked_body(fake_llm: FakeLLM) -> None:
    fake_llm.queue(cut(text="half", tool_call=("csv_query", '{"sql": "SELECT 1"}')))
    conn = connect(fake_llm)
    response = post(conn, {"stream": True})
    with pytest.raises(http.client.IncompleteRead) as info:
        response.read()
    assert b"half" in info.value.partial and b'{\\"sql\\": \\' in info.value.partial
    assert b"[DONE]" not in info.value.partial


def test_builders_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        text("x", chunks=0)
    with pytest.raises(ValueError):
        cut(how="sideways")


async def test_per_chunk_delay(fake_llm: FakeLLM) -> None:
    fake_llm.queue(text("abcd", chunks=4, delay=0.02))
    start = time.perf_counter()
    deltas = [d async for d in Model(fake_llm.model(), api_base=fake_llm.base_url).stream([], [])]
    assert deltas[:-1] == ["a", "b", "c", "d"]
    assert time.perf_counter() - start >= 0.02 * 5  # role chunk + four text chunks


@pytest.mark.slow  # the UI bench's 4,000 chunks: about 2.5 s through litellm on 2 cores
async def test_four_thousand_chunks_stream_through_the_model(fake_llm: FakeLLM) -> None:
    content = "".join(chr(ord("a") + i % 26) for i in range(4000))
    fake_llm.queue(text(content, chunks=4000))
    model = Model(fake_llm.model(), api_base=fake_llm.base_url)
    items = [item async for item in model.stream([{"role": "user", "content": "go"}], [])]
    reply = items[-1]
    assert isinstance(reply, ModelReply)
    assert len(items) == 4001
    assert "".join(items[:-1]) == content == reply.text  # type: ignore[arg-type]


def test_a_failure_inside_the_server_is_raised_on_exit() -> None:
    server = FakeLLM()
    with pytest.raises(AssertionError, match="fake_llm failed while serving"), server:
        server.queue(Reply(text_parts=("x",), delay=-1.0))  # time.sleep(-1) raises in the handler
        with httpx.Client(trust_env=False) as client, pytest.raises(httpx.HTTPError):
            client.post(f"{server.base_url}/chat/completions", json={"stream": True})
    assert isinstance(server.errors[0], ValueError)
