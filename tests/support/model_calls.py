"""Calling the model adapter against the fake server: streams collected, failures caught,
retry waits recorded instead of slept."""

from __future__ import annotations

import pytest

from assistant.agent.model import Model, ModelError, ModelReply
from tests.support.fake_llm import FakeLLM

HI = [{"role": "user", "content": "hi"}]

#: Warnings litellm filters out itself at import; pytest resets filters for each test.
LITELLM_WARNINGS = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:litellm.*"),
    pytest.mark.filterwarnings("ignore:.*`ReadOnly` qualifier:UserWarning"),
]


class Sleeps:
    """An injected sleep that records the requested waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make(server: FakeLLM, sleeps: Sleeps, **kwargs: object) -> Model:
    return Model(server.model(), api_base=server.base_url, sleep=sleeps, **kwargs)  # type: ignore[arg-type]


async def collect(model: Model, tools: list[dict] | None = None) -> tuple[list[str], ModelReply]:
    """All deltas and the one final reply; fails if anything comes after the reply."""
    deltas: list[str] = []
    reply: ModelReply | None = None
    async for item in model.stream(HI, tools or []):
        assert reply is None, "nothing may follow the ModelReply"
        if isinstance(item, ModelReply):
            reply = item
        else:
            assert isinstance(item, str) and item
            deltas.append(item)
    assert reply is not None
    return deltas, reply


async def failure(model: Model) -> tuple[list[str], ModelError]:
    """The deltas shown before the call failed, and its error; a ModelReply fails the test."""
    deltas: list[str] = []
    with pytest.raises(ModelError) as info:
        async for item in model.stream(HI, []):
            assert not isinstance(item, ModelReply), "a failed call must not return a reply"
            deltas.append(item)
    return deltas, info.value
