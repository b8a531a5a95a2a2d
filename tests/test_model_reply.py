"""Reassembling streamed chunks, including shapes the fake server does not send (unit level)."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

from assistant.agent.model_reply import Reassembly, ToolCall


def piece(index: Any = 0, id: Any = None, name: Any = None, arguments: Any = None) -> NS:
    return NS(index=index, id=id, function=NS(name=name, arguments=arguments))


def chunk(*pieces: NS, content: Any = None, finish: Any = None, usage: Any = None) -> NS:
    delta = NS(content=content, tool_calls=list(pieces) or None)
    return NS(choices=[NS(delta=delta, finish_reason=finish)], usage=usage)


def test_text_finish_and_usage() -> None:
    reply = Reassembly()
    assert reply.absorb(chunk(content="Hel")) == "Hel"
    assert reply.absorb(chunk(content="")) == ""
    assert reply.absorb(chunk(content=None)) == ""
    assert reply.absorb(chunk(content="lo", finish="stop")) == "lo"
    assert reply.absorb(NS(choices=[], usage=NS(prompt_tokens=1, completion_tokens=2))) == ""
    assert "".join(reply.text) == "Hello"
    assert reply.finish_reason == "stop"
    assert reply.usage.completion_tokens == 2


def test_calls_by_index_with_interleaved_arguments() -> None:
    reply = Reassembly()
    reply.absorb(chunk(piece(0, "a", "read", ""), piece(1, "b", "write", "")))
    reply.absorb(chunk(piece(1, arguments='{"x"'), piece(0, arguments='{"p"')))
    reply.absorb(chunk(piece(0, arguments=": 1}"), piece(1, arguments=": 2}")))
    assert reply.tool_calls() == (
        ToolCall("a", "read", '{"p": 1}'),
        ToolCall("b", "write", '{"x": 2}'),
    )


def test_repeated_name_is_not_concatenated_and_a_reused_index_with_a_new_id_is_a_new_call() -> None:
    reply = Reassembly()
    reply.absorb(chunk(piece(0, "a", "read", '{"p": 1}')))
    reply.absorb(chunk(piece(0, None, "read", "")))
    reply.absorb(chunk(piece(0, "b", "list", "{}")))
    assert reply.tool_calls() == (ToolCall("a", "read", '{"p": 1}'), ToolCall("b", "list", "{}"))


def test_missing_index_continues_the_last_call_and_ids_are_made_up_once() -> None:
    reply = Reassembly()
    reply.absorb(chunk(piece(None, None, "read", '{"p"')))
    reply.absorb(chunk(piece(None, None, None, ": 1}")))
    first = reply.tool_calls()
    assert [(c.name, c.arguments) for c in first] == [("read", '{"p": 1}')]
    assert first[0].id.startswith("call_")
    assert reply.tool_calls() == first, "the made-up id is stable"


def test_parsed_arguments_are_serialised_and_junk_fields_ignored() -> None:
    reply = Reassembly()
    reply.absorb(chunk(piece(0, 7, ["x"], {"p": 1})))
    reply.absorb(chunk(piece(True, None, None, 5)))
    reply.absorb(NS(choices=None))
    reply.absorb(NS())
    (call,) = reply.tool_calls()
    assert (call.name, call.arguments) == ("", '{"p": 1}')
    assert call.id.startswith("call_")
