"""A scripted approver for tests: answers from a list (or a function) in order and records what
it was asked. Test-only: the product's approvers are the console, the modes and the TUI pane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.agent.approval import ApprovalRequest, Decision
from tools.base import Action


@dataclass
class ScriptedApprover:
    """``seen`` holds the actions asked about; ``requests`` the whole requests (ids, edits)."""

    answers: list[Decision] | Callable[[Action], Decision] = field(default_factory=list)
    seen: list[Action] = field(default_factory=list)
    requests: list[ApprovalRequest] = field(default_factory=list)

    async def decide(self, request: ApprovalRequest) -> Decision:
        self.seen.append(request.action)
        self.requests.append(request)
        if callable(self.answers):
            return self.answers(request.action)
        if not self.answers:
            raise AssertionError(f"ScriptedApprover: no answer left for {request.action.summary!r}")
        return self.answers.pop(0)
