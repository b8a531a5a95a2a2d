"""Deny rules cover what they name: folders cover their contents, ranges cover addresses; grants
cover only the kinds of change they were made on."""

from __future__ import annotations

import pytest

from assistant.agent.policy import Policy, target_matches
from assistant.config import DenyRule
from tools.base import Action, Effect, Preview, Scope


@pytest.mark.parametrize(
    ("pattern", "target", "expected"),
    [
        ("path:private", "path:private/key.txt", True),
        ("path:private", "path:private/deep/er/key.txt", True),
        ("path:private/*", "path:private/deep/key.txt", True),
        ("path:private", "path:privateer/key.txt", False),
        ("path:*.pem", "path:certs/site.pem", True),
        ("path:*.pem", "path:certs/site.pem.txt", False),
        ("host:10.0.0.0/8:*", "host:10.1.2.3:443", True),
        ("host:10.0.0.0/8:*", "host:11.1.2.3:443", False),
        ("host:10.0.0.0/8:443", "host:10.1.2.3:80", False),
        ("host:10.0.0.0/8:*", "host:::ffff:10.1.2.3:443", True),
        ("host:fd00::/8:*", "host:fd12::1:443", True),
        ("host:10.0.0.0/8:*", "host:example.com:443", False),
        ("host:*.prod.example.com:*", "host:api.prod.example.com:443", True),
    ],
)
def test_target_patterns(pattern: str, target: str, expected: bool) -> None:
    assert target_matches(pattern, target) is expected


def _action(kinds: set[str], key: str = "shell:cp:.") -> Action:
    return Action(
        tool="shell",
        args={},
        effect=Effect.WRITE,
        summary="",
        preview=Preview("text", ""),
        scope=Scope(key, "label", frozenset(kinds)),
    )


def test_a_grant_covers_only_the_kinds_it_was_made_on() -> None:
    policy = Policy()
    policy.add_grant(_action({"create"}))
    assert policy.decide(_action({"create"})).kind == "allow"
    assert policy.decide(_action({"overwrite"})).kind == "ask"
    assert policy.decide(_action({"create", "overwrite"})).kind == "ask"
    assert policy.decide(_action({"create"}, key="shell:cp:sub")).kind == "ask"


def test_a_denied_target_refuses_the_action_and_answers_tools() -> None:
    policy = Policy((DenyRule(tool="*", target="path:private", reason="keep out"),))
    assert policy.target_denied("shell", "path:private/a", Effect.READ) == "keep out"
    assert policy.target_denied("shell", "path:public/a", Effect.READ) is None
    action = Action(
        tool="shell",
        args={},
        effect=Effect.READ,
        summary="",
        preview=Preview("text", ""),
        targets=("path:private/a.txt",),
    )
    assert policy.decide(action).kind == "deny"
