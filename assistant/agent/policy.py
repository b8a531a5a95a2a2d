"""Policy: who may let an action run. Reads run, writes and egress ask, deny rules win, and a
person's "allow for this session" becomes a narrow, revocable rule. Never the model's say."""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.config import DenyRule
from tools.base import Action, Effect

Outcome = Literal["allow", "ask", "deny"]


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    by: str
    """Who decided: "policy:read", "policy:deny", "rule:<id>", or "" when a person must."""
    reason: str = ""


@dataclass(frozen=True)
class Grant:
    """A session rule from "allow for this session": it covers actions whose scope key matches."""

    id: str
    tool: str
    key: str
    label: str


class Policy:
    def __init__(self, deny_rules: Sequence[DenyRule] = ()) -> None:
        self.deny_rules = tuple(deny_rules)
        self.grants: dict[str, Grant] = {}
        self._ids = itertools.count(1)

    def decide(self, action: Action) -> Verdict:
        for rule in self.deny_rules:
            if self._matches(rule, action):
                return Verdict("deny", "policy:deny", rule.reason)
        if action.needs_person:
            # Only a person approving this exact action may unlock it; no rule, no read shortcut.
            return Verdict("ask", "", action.needs_person)
        if action.effect is Effect.READ:
            return Verdict("allow", "policy:read")
        grant = self.matching_grant(action)
        if grant is not None:
            return Verdict("allow", f"rule:{grant.id}", grant.label)
        return Verdict("ask", "")

    def matching_grant(self, action: Action) -> Grant | None:
        if action.scope is None:
            return None
        for grant in self.grants.values():
            if grant.tool == action.tool and grant.key == action.scope.key:
                return grant
        return None

    def add_grant(self, action: Action) -> Grant:
        """Create the rule an "allow for this session" on ``action`` stands for."""
        if action.scope is None or action.needs_person:
            raise ValueError(f"{action.tool}: this action offers no session rule")
        existing = self.matching_grant(action)
        if existing is not None:
            return existing
        grant = Grant(f"g{next(self._ids)}", action.tool, action.scope.key, action.scope.label)
        self.grants[grant.id] = grant
        return grant

    def revoke(self, grant_id: str) -> Grant:
        try:
            return self.grants.pop(grant_id)
        except KeyError:
            raise KeyError(f"no session rule {grant_id!r}") from None

    @staticmethod
    def _matches(rule: DenyRule, action: Action) -> bool:
        if not fnmatch.fnmatchcase(action.tool, rule.tool):
            return False
        if rule.effect and rule.effect != action.effect.value:
            return False
        if rule.target == "*":
            return True
        return any(fnmatch.fnmatchcase(t, rule.target) for t in action.targets)
