"""A working session and the rules every front end shares: opening one or resuming a stored one
(the resume rule), the model and switching it, the session's grants, undo. The CLI, the app and
recipes ask here and render the answer; none of them re-implements a rule. No Textual here.

MCP servers are part of a session: ``Session(mcp=McpStart(...))`` starts them when it opens
(their tools join the model's and the by-hand ones while they work; ``on_mcp`` hears one line
when one is ready or fails) and ``close`` stops every one of them.

Storing a secret lives beside it, in ``assistant.keys``; a Session passes its own redactor and
secret bindings there so a key set mid-session is used (and hidden) at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.agent.approval import Approver
    from assistant.agent.conversation import Conversation
    from assistant.agent.event_log import EventLog, Listener
    from assistant.agent.gate import CallOutcome, Gate
    from assistant.agent.loop import Agent, TurnOutcome
    from assistant.agent.model import Model
    from assistant.agent.policy import Grant, UnlockRule
    from assistant.keys import SecretStored
    from assistant.mcp.servers import McpStart
    from assistant.runtime import Runtime
    from tools.base import Tool

# The wiring (journal, gate, tools, litellm) is imported when a session opens or a model is
# built, so a front end that only shows settings never pays for it.


class SessionError(AssistantError):
    """A session rule refuses the request (undo elsewhere, no such rule, no model named)."""


class Session:
    """One session: ``open`` starts (or resumes) it; ``turn`` needs a model (``model``)."""

    def __init__(
        self,
        settings: Settings,
        workspace: str | Path | None = None,
        tools: Mapping[str, Tool] | None = None,
        *,
        allow_hosts: Iterable[str] = (),
        title: str | None = None,
        meta: dict[str, object] | None = None,
        mcp: McpStart | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        """``tools``: the model's tools (default: the built-in ones); every tool, restore
        included, can be run by hand through ``run_tool``. ``mcp``: which MCP servers to start
        when the session opens, and whether to wait for them (None: none). ``new_id``: the
        journal's session id factory (default: random; snapshots fix it)."""
        self.settings = settings
        self.workspace = workspace
        self.tools = tools
        self.allow_hosts = tuple(allow_hosts)
        self.title = title
        self.meta = meta
        self.mcp = mcp
        self.new_id = new_id
        self.on_mcp: Callable[[str], None] | None = None
        """Told one line when an MCP server is ready or fails (from a server's thread)."""
        self.resume_id: str | None = None
        """The stored session this one continues, when it was opened with ``resume``."""
        self.history: list[dict[str, Any]] = []
        """The resumed conversation's messages, as its journal left them."""
        self.conversation: Conversation | None = None
        """What the model reads, folded from every event of the session (its turns, the
        person's by-hand actions, a stopped turn): rebuilt the same way on resume."""
        self.runtime: Runtime | None = None
        self.tool_gate: Gate | None = None
        self._model: Model | None = None
        self._agent: Agent | None = None
        self._log: EventLog | None = None

    # -- opening and closing ----------------------------------------------------------------------

    def open(
        self,
        approver: Approver,
        listeners: Iterable[Listener] = (),
        *,
        resume: str | None = None,
    ) -> Runtime:
        """Open the journal and a session: new, or ``resume`` a stored one, which must pass the
        resume rule (unaltered, not an imported copy). Raises SetupError with the reason."""
        from assistant.agent.action_life import typed
        from assistant.agent.conversation import Conversation
        from assistant.agent.gate import Gate
        from assistant.errors import SetupError
        from assistant.journal import JournalError, NotResumable
        from assistant.runtime import start_session
        from tools import all_tools, builtin_tools

        self.close()
        model_tools = dict(self.tools) if self.tools is not None else builtin_tools()
        try:
            rt = start_session(
                self.settings,
                approver=approver,
                tools=model_tools,
                workspace=self.workspace,
                allow_hosts=self.allow_hosts,
                listeners=listeners,
                title=self.title,
                model=self.settings.model,
                resume=resume,
                meta=self.meta,
                mcp=self._mcp_start(),
                new_id=self.new_id,
            )
        except JournalError as exc:
            raise SetupError(str(exc)) from None
        conversation = Conversation()
        if resume:
            try:  # the one resume rule: an altered session or an imported copy is not continued
                rt.journal.check_resumable(rt.session_id)
                stored = rt.journal.events(rt.session_id)
            except (NotResumable, JournalError) as exc:
                rt.close()
                raise SetupError(str(exc)) from None
            conversation = Conversation.rebuild(typed(stored))
        # from here on every event of the session, whoever caused it, is folded as it happens
        rt.log.listeners.append(conversation.add)
        self.runtime, self.resume_id, self.conversation = rt, resume, conversation
        self.history = conversation.messages()
        self._log = rt.log
        self.workspace = rt.gate.ctx.workspace.root
        self._agent = None
        by_hand: Mapping[str, Tool] = {**all_tools(), **model_tools}
        if rt.mcp is not None:  # /tool SERVER__name reaches the MCP servers' tools too
            from assistant.mcp.servers import ToolBox

            by_hand = ToolBox(by_hand, rt.mcp)
        self.tool_gate = Gate(by_hand, rt.gate.ctx, rt.gate.policy, approver, rt.log)
        return rt

    def resume_problem(self, session_id: str) -> str:
        """Why ``session_id`` cannot be resumed here, or "" when it can: the resume rule
        (unaltered, not an imported copy) and its workspace still there. Asked while this
        session is open, so a front end can refuse before giving it up and the person keeps
        working where they were."""
        from assistant.errors import SetupError
        from assistant.journal import JournalError, NotResumable
        from assistant.runtime import open_workspace

        rt = self.require()
        try:
            info = rt.journal.check_resumable(session_id)
            open_workspace(info.workspace)
        except (NotResumable, JournalError, SetupError) as exc:
            return str(exc)
        return ""

    def close(self) -> None:
        """Stop the MCP servers this session started and close the journal."""
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None
            self.tool_gate = None

    def _mcp_start(self) -> McpStart | None:
        if self.mcp is None:
            return None
        return dataclasses.replace(self.mcp, on_change=self._mcp_changed)

    def _mcp_changed(self, line: str) -> None:
        told = self.mcp.on_change if self.mcp is not None else None
        for notice in (told, self.on_mcp):
            if notice is not None:
                notice(line)

    async def mcp_started(self) -> None:
        """Wait (off the loop) until the MCP servers that are starting are ready or failed, so
        a turn or a tool call sees their tools."""
        rt = self.runtime
        if rt is not None and rt.mcp is not None:
            await asyncio.to_thread(rt.mcp.wait_started)

    @property
    def recorded(self) -> bool:
        """Whether the journal holds this session: it is made with its first event, so a
        session where nothing happened is not kept."""
        return self._log is not None and self._log.started

    @property
    def session_id(self) -> str:
        return self.runtime.session_id if self.runtime else ""

    def require(self) -> Runtime:
        """The open runtime (SetupError when the session has not started)."""
        from assistant.errors import SetupError

        if self.runtime is None:
            raise SetupError("the session has not started")
        return self.runtime

    # -- the model --------------------------------------------------------------------------------

    @property
    def model_name(self) -> str | None:
        return self.settings.model

    def model(self) -> Model:
        """The configured model (built on first use; raises SetupError with the fix in words)."""
        from assistant.runtime import build_model

        if self._model is None:
            self._model = build_model(self.settings, self.runtime)
        return self._model

    def switch_model(self, name: str, api_base: str | None | bool = False) -> Model:
        """Use ``name`` from the next turn on (``api_base`` False keeps the current base). The
        new model is built first: one that cannot be used (no key, a bad model string) raises
        SetupError or ModelError and leaves the settings, the model and the agent as they were."""
        from assistant.runtime import build_model

        name = name.strip()
        if not name:
            raise SessionError("name a model, e.g. openai/gpt-4.1-mini")
        changes: dict[str, Any] = {"model": name}
        if api_base is not False:
            changes["api_base"] = api_base or None
        candidate = dataclasses.replace(self.settings, **changes)
        model = build_model(candidate, self.runtime)
        self.settings, self._model = candidate, model
        if self._agent is not None:
            self._agent.model = model
        return model

    def agent(self) -> Agent:
        """The agent for this session (one conversation across turns)."""
        from assistant.agent.loop import Agent, TurnLimits
        from assistant.prompt import system_prompt

        rt = self.require()
        if self._agent is None:
            s = self.settings
            limits = TurnLimits(s.max_tool_calls, s.max_identical_failures, s.budget_usd)
            self._agent = Agent(
                self.model(),
                rt.gate,
                rt.log,
                limits=limits,
                system_prompt=system_prompt(rt.gate.ctx.workspace.root),
                conversation=self.conversation,
            )
        return self._agent

    async def turn(self, prompt: str) -> TurnOutcome:
        """One agent turn (raises SetupError when no model can be used)."""
        return await self.agent().turn(prompt, ready=self._tools_started)

    async def _tools_started(self) -> None:
        """MCP servers still starting are waited for, and said to be (the prompt already
        shown): the model is offered their tools."""
        rt = self.runtime
        if rt is not None and rt.mcp is not None and (servers := rt.mcp.starting()):
            from assistant import present
            from assistant.agent.events import TurnWait

            rt.log.emit(TurnWait("starting", reason=present.starting(servers)))
        await self.mcp_started()

    # -- tools by hand, undo ----------------------------------------------------------------------

    async def run_tool(self, name: str, args: Mapping[str, Any]) -> CallOutcome:
        """A tool by hand: the same plan → policy → approval → journal path as the model's."""
        self.require()
        assert self.tool_gate is not None
        await self.mcp_started()
        return await self.tool_gate.execute(name, dict(args), None)

    def undo_args(self, action_id: str, *, force: bool = False) -> dict[str, Any]:
        """The restore arguments that undo ``action_id`` here: it must be undoable (a recorded
        file write, in a session that passes the resume rule) and have run in this workspace."""
        from assistant.undo import UndoError, undo_args

        rt = self.require()
        try:
            args, workspace = undo_args(rt.journal, action_id, force=force)
        except UndoError as exc:
            raise SessionError(str(exc)) from None
        here = Path(rt.gate.ctx.workspace.root).resolve()
        if workspace and Path(workspace).resolve() != here:
            raise SessionError(
                f"that action ran in {workspace}; open the app there (--workspace) to undo it"
            )
        return args

    async def undo(self, action_id: str, *, force: bool = False) -> CallOutcome:
        """Undo an action: the restore is previewed and approved like any write."""
        return await self.run_tool("restore", self.undo_args(action_id, force=force))

    # -- grants -----------------------------------------------------------------------------------

    def grants(self) -> list[Grant | UnlockRule]:
        """This session's rules ("allow for this session"), the rules saved for the workspace
        (r1...) and the unlocks, oldest first."""
        policy = self.require().gate.policy
        return [*policy.grants.values(), *policy.saved().values(), *policy.unlocks.values()]

    def rules_problem(self) -> str:
        """Why the saved rules cannot be used now (then none applies), or ""."""
        book = self.require().gate.policy.book
        return book.problem if book is not None else ""

    def revoke(self, rule_id: str) -> Grant | UnlockRule:
        """Take back a rule or an unlock (journaled); the next such call asks again."""
        try:
            return self.require().gate.revoke(rule_id)
        except KeyError as exc:
            raise SessionError(str(exc.args[0])) from None

    # -- secrets ----------------------------------------------------------------------------------

    def store_secret(self, name: str, value: str, hosts: Iterable[str] = ()) -> SecretStored:
        """Store a secret (see ``assistant.keys.store_secret``); with no keyring it is kept for
        this session only. Its value is hidden and its bindings used from now on."""
        from assistant.keys import store_secret

        rt = self.runtime
        stored = store_secret(
            self.settings,
            name,
            value,
            hosts,
            session_only=True,
            redactor=rt.redactor if rt is not None else None,
        )
        secrets = {**self.settings.secrets, name: stored.hosts}
        self.settings = dataclasses.replace(self.settings, secrets=secrets)
        if rt is not None:
            bind = getattr(rt.gate.ctx.secrets, "bind", None)
            if bind is not None:
                bind(name, stored.hosts)
        return stored

    def delete_secret(self, name: str) -> bool:
        """Remove a secret and its bindings (``assistant.keys.delete_secret``); from now on the
        handle is bound nowhere in this session either."""
        from assistant.keys import delete_secret

        removed = delete_secret(self.settings, name)
        secrets = {k: v for k, v in self.settings.secrets.items() if k != name}
        self.settings = dataclasses.replace(self.settings, secrets=secrets)
        rt = self.runtime
        bind = getattr(rt.gate.ctx.secrets, "bind", None) if rt is not None else None
        if bind is not None:
            bind(name, ())
        return removed
