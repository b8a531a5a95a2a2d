"""The app's session: runtime, agent, model and the gate slash commands use. No Textual here.

The chat screen owns the workers and the painting; this object owns what the session is: the
journal and gate from :func:`assistant.runtime.start_session`, the model (built lazily, switchable
with /model), and a second gate over the same policy and log that also knows the ``restore`` tool
(undo), which the model is never offered.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings

# The wiring (journal, gate, tools) is imported when the session starts, after the first frame.

if TYPE_CHECKING:
    from assistant.agent.approval import Approver
    from assistant.agent.gate import Gate, Outcome
    from assistant.agent.loop import Agent, TurnOutcome
    from assistant.agent.model import Model
    from assistant.agent.session import Listener
    from assistant.runtime import Runtime
    from tools.base import Tool


class ChatSession:
    """One app session. ``start`` opens the journal; ``turn`` needs a model (see ``model_ready``)."""

    def __init__(
        self,
        settings: Settings,
        workspace: str | Path | None = None,
        tools: Mapping[str, Tool] | None = None,
    ) -> None:
        """``tools`` replaces the built-in tools (tests pass ones with a fixed DNS answer)."""
        self.settings = settings
        self.workspace = workspace
        self.tools = tools
        self.resume_id: str | None = None
        """Set before ``start`` to continue a stored session instead of a new one."""
        self.history: list[dict[str, Any]] = []
        """The resumed conversation's messages, handed to the agent."""
        self.runtime: Runtime | None = None
        self.tool_gate: Gate | None = None
        self._model: Model | None = None
        self._agent: Agent | None = None
        self.on_mcp: Callable[[str], None] | None = None
        """Told one line when an MCP server is ready or fails (from a server's thread)."""

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self, approver: Approver, listeners: Iterable[Listener]) -> Runtime:
        """Open the journal, the workspace and a session: new, or ``resume_id`` (raises SetupError)."""
        from assistant.agent.gate import Gate
        from assistant.mcp.servers import McpStart
        from assistant.runtime import start_session
        from tools import all_tools, builtin_tools

        model_tools = dict(self.tools) if self.tools is not None else builtin_tools()
        rt = start_session(
            self.settings,
            approver=approver,
            tools=model_tools,
            workspace=self.workspace,
            listeners=listeners,
            model=self.settings.model,
            resume=self.resume_id,
            meta={"app": "tui"},
            mcp=McpStart(background=True, on_change=self._mcp_changed),
        )
        if self.resume_id:
            from assistant.journal import NotResumable
            from assistant.runtime import SetupError

            try:  # the shared rule: an altered session or an imported copy is not continued
                rt.journal.check_resumable(rt.session_id)
            except NotResumable as exc:
                rt.close()
                raise SetupError(str(exc)) from None
        self.runtime = rt
        self._agent = None
        self.history = []
        if self.resume_id:
            from assistant.agent.conversation import messages_from_events

            stored = rt.journal.events(rt.session_id)
            self.history = messages_from_events((e.kind, e.payload) for e in stored)
        by_hand: Mapping[str, Tool] = {**all_tools(), **model_tools}
        if rt.mcp is not None:  # /tool SERVER__name reaches the MCP servers' tools too
            from assistant.mcp.servers import ToolBox

            by_hand = ToolBox(by_hand, rt.mcp)
        self.tool_gate = Gate(by_hand, rt.gate.ctx, rt.gate.policy, approver, rt.log)
        return rt

    def close(self) -> None:
        """Stop the MCP servers this session started and close the journal."""
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None

    def _mcp_changed(self, line: str) -> None:
        if self.on_mcp is not None:
            self.on_mcp(line)

    async def mcp_started(self) -> None:
        """Wait (off the loop) until the MCP servers that are starting are ready or failed, so
        a turn or a tool call sees their tools."""
        rt = self.runtime
        if rt is not None and rt.mcp is not None:
            await asyncio.to_thread(rt.mcp.wait_started)

    # -- the model --------------------------------------------------------------------------------

    @property
    def model_name(self) -> str | None:
        return self.settings.model

    @property
    def session_id(self) -> str:
        return self.runtime.session_id if self.runtime else ""

    def model(self) -> Model:
        """The configured model (built on first use; raises SetupError with the fix in words)."""
        from assistant.runtime import build_model

        if self._model is None:
            self._model = build_model(self.settings, self.runtime)
        return self._model

    def set_model(self, name: str, api_base: str | None | bool = False) -> None:
        """Use ``name`` from the next turn on (``api_base`` False keeps the current base)."""
        changes: dict[str, Any] = {"model": name.strip() or None}
        if api_base is not False:
            changes["api_base"] = api_base or None
        self.settings = dataclasses.replace(self.settings, **changes)
        self._model = None
        if self._agent is not None:
            self._agent.model = self.model()

    def agent(self) -> Agent:
        """The agent for this session (one conversation across turns)."""
        from assistant.agent.loop import Agent, Limits

        rt = self._require()
        if self._agent is None:
            s = self.settings
            limits = Limits(s.max_tool_calls, s.max_identical_failures, s.budget_usd)
            self._agent = Agent(
                self.model(), rt.gate, rt.log, limits=limits, messages=list(self.history)
            )
        return self._agent

    async def turn(self, prompt: str) -> TurnOutcome:
        """One agent turn (raises SetupError when no model can be used)."""
        await self.mcp_started()
        return await self.agent().turn(prompt)

    # -- tools by hand ----------------------------------------------------------------------------

    async def run_tool(self, name: str, args: dict[str, Any]) -> Outcome:
        """A slash command's tool call: the same plan → policy → approval → journal path."""
        self._require()
        assert self.tool_gate is not None
        await self.mcp_started()
        return await self.tool_gate.execute(name, args, None)

    def _require(self) -> Runtime:
        from assistant.runtime import SetupError

        if self.runtime is None:
            raise SetupError("the session has not started")
        return self.runtime
