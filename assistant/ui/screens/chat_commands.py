"""The chat screen's slash commands: tool commands run through the gate in a worker; the app
commands (/model, /keys, /history, /undo, /grants, /help, /quit) act on the session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from textual.screen import Screen

    from assistant.agent.policy import Grant, UnlockRule
    from assistant.keys import KeyListed
    from assistant.session import Session
    from assistant.ui.slash import AppCommand
    from assistant.ui.widgets.conversation import ConversationView
    from assistant.ui.widgets.status import StatusLine

    _Base = Screen[None]
else:
    _Base = object


class SlashCommands(_Base):
    """Mixed into ChatScreen, which provides the session, the view and the status line."""

    session: Session
    session_error: str
    held_calls: list[tuple[str, dict[str, Any]]]

    if TYPE_CHECKING:

        @property
        def view(self) -> ConversationView: ...
        @property
        def status(self) -> StatusLine: ...
        def session_missing(self) -> bool: ...

    def run_slash(self, line: str) -> None:
        """Echo the command, then run it (errors become a notice, never a crash)."""
        from assistant.ui.slash import SlashError, ToolCommand, parse

        echo = Text("› ", style="bold")
        echo.append(line.strip())
        self.view.notice(echo)
        try:
            command = parse(line)
        except SlashError as exc:
            self.view.notice(str(exc), error=True)
            return
        if isinstance(command, ToolCommand):
            self.run_tool(command.tool, command.args)
            return
        handler = getattr(self, f"cmd_{command.name}")
        handler(command)

    def run_tool(self, tool: str, args: dict[str, Any], *, follow: bool = True) -> Any:
        """Run one tool by hand through the gate (its card and preview come from the events);
        typed while the session opens (at launch), it runs the moment the session is open.
        ``follow``: bring the conversation to its end, where the card and outcome come (not
        for a table's page reads: back from the table, the person is where they were)."""
        if self.session.runtime is None and not self.session_error:
            self.held_calls.append((tool, args))
            self.view.notice(f"the session is still opening: {tool} runs the moment it is open")
            return None
        if self.session_missing():
            return None
        if follow:  # asked for from anywhere (a table up the page, say)
            self.view.scroll_end(animate=False)
        return self.run_worker(
            self.session.run_tool(tool, args), name=f"/{tool}", group="tools", exit_on_error=False
        )

    # -- app commands -----------------------------------------------------------------------------

    def cmd_help(self, command: AppCommand) -> None:
        from assistant.ui.slash import help_text

        # the width a notice's text has: the view's, less its scrollbar and the notice's padding
        columns = self.view.scrollable_content_region.width - 2
        self.view.notice(help_text(key_help(self.app), columns=columns))

    def cmd_quit(self, command: AppCommand) -> None:
        self.app.call_later(self.app.action_quit)

    def cmd_history(self, command: AppCommand) -> None:
        from assistant.ui.app import AssistantApp

        app = self.app
        if isinstance(app, AssistantApp):
            app.action_history()

    def cmd_model(self, command: AppCommand) -> None:
        if not command.argv:
            current = self.session.model_name or "none (manual mode)"
            base = self.session.settings.api_base
            self.view.notice(
                f"model: {current}"
                + (f" at {base}" if base else "")
                + " · switch with /model NAME [API_BASE]"
            )
            return
        name = command.argv[0]
        new_base: str | None | bool = command.argv[1] if len(command.argv) > 1 else False
        try:
            self.session.switch_model(name, new_base)
        except AssistantError as exc:  # no key, a bad model string: nothing changed
            current = self.session.model_name or "none (manual mode)"
            why = str(exc).rstrip(".")
            self.view.notice(f"cannot use {name}: {why}; still using {current}", error=True)
            return
        self.status.update_status(model=self.session.model_name or "no model")
        self.view.notice(f"model for the next turn: {self.session.model_name}")

    def cmd_keys(self, command: AppCommand) -> None:
        from assistant.keys import bindings
        from assistant.secrets import validate_name

        argv = command.argv
        if not argv or argv == ["list"]:
            self.run_worker(self._list_keys(), name="/keys", group="keys", exit_on_error=False)
            return
        try:
            if argv[0] == "set" and len(argv) >= 2:
                validate_name(argv[1])
                hosts = bindings(host_options(argv[2:]))  # said before the value is asked
                self._ask_secret(argv[1], hosts)
                return
            if argv[0] == "delete" and len(argv) == 2:
                validate_name(argv[1])
                self._delete_secret(argv[1])
                return
        except AssistantError as exc:
            self.view.notice(str(exc), error=True)
            return
        self.view.notice(
            "usage: /keys | /keys set NAME [--host HOST ...] | /keys delete NAME", error=True
        )

    async def _list_keys(self) -> None:
        """Secrets and provider keys, off the loop (a keyring may be slow to answer)."""
        import asyncio

        from assistant.keys import list_keys

        entries, problem = await asyncio.to_thread(list_keys, self.session.settings)
        self.view.notice(keys_text(entries, problem))

    def _ask_secret(self, name: str, hosts: tuple[str, ...]) -> None:
        from assistant.ui.screens.dialogs import SecretInputScreen

        def store(value: str | None) -> None:
            if not value:
                return
            try:
                stored = self.session.store_secret(name, value, hosts)
            except AssistantError as exc:
                self.view.notice(f"not stored: {exc}", error=True)
                return
            self.view.notice(stored.message())

        self.app.push_screen(SecretInputScreen(name, where_kept()), store)

    def _delete_secret(self, name: str) -> None:
        try:
            removed = self.session.delete_secret(name)
        except AssistantError as exc:
            self.view.notice(str(exc), error=True)
            return
        self.view.notice(f"deleted {name}" if removed else f"the keyring held no {name}")

    def cmd_grants(self, command: AppCommand) -> None:
        """List this session's rules and unlocked hosts, or revoke one by id."""
        if self.session.runtime is None:
            self.view.notice("no session", error=True)
            return
        if command.argv[:1] == ["revoke"] and len(command.argv) == 2:
            try:
                rule = self.session.revoke(command.argv[1])
            except AssistantError as exc:
                self.view.notice(str(exc), error=True)
                return
            self.view.notice(f"the next such call asks again ({rule.id} was: {rule.label})")
            return
        if command.argv:
            self.view.notice("usage: /grants | /grants revoke ID", error=True)
            return
        self.view.notice(grants_text(self.session.grants()))
        problem = self.session.rules_problem()
        if problem:
            self.view.notice(f"no saved rule applies: {problem}", error=True)

    def cmd_mcp(self, command: AppCommand) -> None:
        """Each MCP server's state and tools (what the model may call, and what asks)."""
        from assistant.mcp.status import status_lines
        from tools.mcp import McpSettings

        rt = self.session.runtime
        configured = self.session.settings.for_tool(McpSettings)
        lines = status_lines(configured, rt.mcp if rt is not None else None)
        self.view.notice(
            "MCP servers (every call asks unless your config marks the tool read-only):\n"
            + "\n".join("  " + line for line in lines)
        )

    def cmd_undo(self, command: AppCommand) -> None:
        if self.session.runtime is None or len(command.argv) != 1:
            self.view.notice(
                "usage: /undo ACTION_ID (the id is on the action's card and in /history)",
                error=True,
            )
            return
        self.undo(command.argv[0])

    def undo(self, action_id: str) -> None:
        """Undo an action here: the session says whether it may be (same workspace, an
        unaltered session, a file write); the restore is then previewed like any write."""
        if self.session_missing():
            return
        self.view.scroll_end(animate=False)  # from a card up the page: the outcome is below
        try:
            args = self.session.undo_args(action_id)
        except AssistantError as exc:
            self.view.notice(str(exc), error=True)
            return
        self.run_tool("restore", args)


def where_kept() -> str:
    """What the /keys set dialog says about where the value goes: the backend in use, named
    only when it is one values are stored in as they are (a file backend or none is said once
    the value is stored, by the store that decides)."""
    from assistant.secrets import keyring_backend

    info = keyring_backend()
    if info.kind in ("system", "other"):
        return f"Stored in {info.describe()}."
    return "Where it is kept is said once it is stored (with no keyring: this session only)."


def key_help(app: Any) -> list[str]:
    """The keys /help lists, read from the bindings of the app, the chat, the prompt, the pane and
    the cards: what /help says is what the keys do."""
    from assistant.ui.keys import described, help_line
    from assistant.ui.screens.chat import ChatScreen
    from assistant.ui.widgets.action_card import ActionCard
    from assistant.ui.widgets.confirm_pane import ConfirmPane
    from assistant.ui.widgets.data_grid import DataGrid
    from assistant.ui.widgets.prompt import PromptInput

    return help_line(
        [
            ("chat", described([*PromptInput.KEYS_HELP, *ChatScreen.BINDINGS, *app.BINDINGS])),
            ("a waiting action (the pane)", described(ConfirmPane.BINDINGS)),
            ("a card (Tab or click to focus it)", described(ActionCard.BINDINGS)),
            ("a result table", described(DataGrid.BINDINGS)),
        ]
    )


def host_options(words: list[str]) -> list[str]:
    """The HOST values of ``--host HOST`` / ``--host=HOST`` words (SlashError otherwise)."""
    from assistant.ui.slash import SlashError

    hosts, rest = [], list(words)
    while rest:
        word = rest.pop(0)
        if word == "--host" and rest:
            hosts.append(rest.pop(0))
        elif word.startswith("--host="):
            hosts.append(word.removeprefix("--host="))
        else:
            raise SlashError(f"/keys set: unexpected {word!r}; bind hosts with --host HOST")
    return hosts


def keys_text(entries: Sequence[KeyListed], problem: str = "") -> str:
    """What /keys shows: the secrets (and where each may be sent) and the provider keys found,
    each with where it is kept; never a value."""
    from tools.http_request.handles import describe_bindings

    lines = []
    for e in entries:
        what = f"  → {describe_bindings(e.hosts)}" if e.hosts else ""
        kind = f"  ({e.provider} API key)" if e.provider else ""
        lines.append(f"  {e.name}{what}{kind}  [{e.where}]")
    return (
        "keys (names only; values stay in the keyring, or the environment):\n"
        + ("\n".join(lines) if lines else "  none configured")
        + (f"\n  the keyring could not be read: {problem}" if problem else "")
        + "\n/keys set NAME [--host HOST ...] stores one (masked input) and binds it to hosts "
        "(HOST is https on 443; HOST:PORT, or http://HOST[:PORT]); provider keys use names like "
        "OPENAI_API_KEY"
    )


def grants_text(rules: Sequence[Grant | UnlockRule]) -> str:
    """What /grants shows: every session rule, saved rule and unlocked host, with its id and
    its words (a saved rule says it lasts)."""
    lines = [
        f"  {r.id}  {r.label}"
        + ("  (saved for this workspace)" if getattr(r, "lasting", 0) else "")
        for r in rules
    ]
    if not lines:
        return (
            "no session rules or unlocked hosts, and no saved rules: on a waiting action, a "
            "allows its kind for this session, r saves it as a rule for this workspace"
        )
    return "session rules, saved rules and unlocked hosts (/grants revoke ID):\n" + "\n".join(lines)
