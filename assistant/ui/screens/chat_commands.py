"""The chat screen's slash commands: tool commands run through the gate in a worker; the app
commands (/model, /keys, /history, /undo, /grants, /help, /quit) act on the session."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

if TYPE_CHECKING:
    from textual.screen import Screen

    from assistant.agent.policy import Policy
    from assistant.ui.session import ChatSession
    from assistant.ui.slash import AppCommand
    from assistant.ui.widgets.conversation import ConversationView
    from assistant.ui.widgets.status import StatusLine

    _Base = Screen[None]
else:
    _Base = object


class SlashCommands(_Base):
    """Mixed into ChatScreen, which provides the session, the view and the status line."""

    session: ChatSession

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

    def run_tool(self, tool: str, args: dict[str, Any]) -> Any:
        """Run one tool by hand through the gate (its card and preview come from the events)."""
        if self.session_missing():
            return None
        return self.run_worker(
            self.session.run_tool(tool, args), name=f"/{tool}", group="tools", exit_on_error=False
        )

    # -- app commands -----------------------------------------------------------------------------

    def cmd_help(self, command: AppCommand) -> None:
        from assistant.ui.slash import help_text

        self.view.notice(help_text())

    def cmd_quit(self, command: AppCommand) -> None:
        self.app.call_later(self.app.action_quit)

    def cmd_history(self, command: AppCommand) -> None:
        self.app.action_history()

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
        from assistant.runtime import SetupError

        name = command.argv[0]
        new_base: str | None | bool = command.argv[1] if len(command.argv) > 1 else False
        try:
            self.session.set_model(name, new_base)
        except SetupError as exc:
            self.view.notice(str(exc), error=True)
        except Exception as exc:  # a bad model string (ModelError): say why, keep the old one
            self.view.notice(f"cannot use {name}: {exc}", error=True)
            return
        self.status.update_status(model=self.session.model_name or "no model")
        self.view.notice(f"model for the next turn: {self.session.model_name}")

    def cmd_keys(self, command: AppCommand) -> None:
        from assistant.secrets import SecretError, validate_name

        argv = command.argv
        if not argv or argv[0] == "list":
            secrets = self.session.settings.secrets
            lines = [
                f"  {n}" + (f"  → {', '.join(h)}" if h else "") for n, h in sorted(secrets.items())
            ]
            self.view.notice(
                "keys (names only; values stay in the keyring, or the environment):\n"
                + ("\n".join(lines) if lines else "  none configured")
                + "\n/keys set NAME stores one (masked input); provider keys use names like OPENAI_API_KEY"
            )
            return
        if argv[0] in ("set", "delete") and len(argv) == 2:
            try:
                validate_name(argv[1])
            except SecretError as exc:
                self.view.notice(str(exc), error=True)
                return
            if argv[0] == "set":
                self._ask_secret(argv[1])
            else:
                self._delete_secret(argv[1])
            return
        self.view.notice("usage: /keys | /keys set NAME | /keys delete NAME", error=True)

    def _ask_secret(self, name: str) -> None:
        from assistant.ui.screens.dialogs import SecretInputScreen

        def store(value: str | None) -> None:
            if value:
                self.view.notice(store_secret(self.session, name, value.strip()))

        self.app.push_screen(SecretInputScreen(name), store)

    def _delete_secret(self, name: str) -> None:
        from assistant.secrets import KeyringUnavailable, SecretStore

        try:
            settings = self.session.settings
            store = SecretStore(settings.keyring_timeout, settings.allow_plaintext_keyring)
            removed = store.delete(name)
        except KeyringUnavailable as exc:
            self.view.notice(str(exc), error=True)
            return
        self.view.notice(f"deleted {name}" if removed else f"the keyring held no {name}")

    def cmd_grants(self, command: AppCommand) -> None:
        """List this session's rules and unlocked hosts, or revoke one by id."""
        rt = self.session.runtime
        if rt is None:
            self.view.notice("no session", error=True)
            return
        if command.argv[:1] == ["revoke"] and len(command.argv) == 2:
            try:
                rule = rt.gate.revoke(command.argv[1])
            except KeyError as exc:
                self.view.notice(str(exc.args[0]), error=True)
                return
            self.view.notice(f"the next such call asks again ({rule.id} was: {rule.label})")
            return
        if command.argv:
            self.view.notice("usage: /grants | /grants revoke ID", error=True)
            return
        self.view.notice(grants_text(rt.gate.policy))

    def cmd_mcp(self, command: AppCommand) -> None:
        """Each MCP server's state and tools (what the model may call, and what asks)."""
        from assistant.mcp.status import status_lines

        rt = self.session.runtime
        lines = status_lines(self.session.settings.mcp, rt.mcp if rt is not None else None)
        self.view.notice(
            "MCP servers (every call asks unless your config marks the tool read-only):\n"
            + "\n".join("  " + line for line in lines)
        )

    def cmd_undo(self, command: AppCommand) -> None:
        from assistant.undo import UndoError, undo_args

        rt = self.session.runtime
        if rt is None or len(command.argv) != 1:
            self.view.notice(
                "usage: /undo ACTION_ID (the id is on the action's card and in /history)",
                error=True,
            )
            return
        try:
            args, workspace = undo_args(rt.journal, command.argv[0])
        except UndoError as exc:
            self.view.notice(str(exc), error=True)
            return
        here = rt.gate.ctx.workspace.root
        if workspace and Path(workspace).resolve() != Path(here).resolve():
            self.view.notice(
                f"that action ran in {workspace}; open the app there (--workspace) to undo it",
                error=True,
            )
            return
        self.run_tool("restore", args)


def grants_text(policy: Policy) -> str:
    """What /grants shows: every session rule and unlocked host, with its id and its words."""
    lines = [f"  {g.id}  {g.label}" for g in policy.grants.values()]
    lines += [f"  {u.id}  {u.label}" for u in policy.unlocks.values()]
    if not lines:
        return "no session rules or unlocked hosts: press a on a waiting action to allow its kind"
    return "session rules and unlocked hosts (/grants revoke ID):\n" + "\n".join(lines)


def store_secret(session: ChatSession, name: str, value: str) -> str:
    """Store in the keyring; without one, use it for this session only and say so honestly."""
    import os

    from assistant.secrets import KeyringUnavailable, SecretError, SecretStore, reset_redactor

    store = SecretStore(session.settings.keyring_timeout, session.settings.allow_plaintext_keyring)
    try:
        store.set(name, value)
    except KeyringUnavailable as exc:
        os.environ[name] = value
        if session.runtime is not None:
            session.runtime.redactor.add(name, value)
        return (
            f"{exc}. {name} is used for this session only (nothing was written to a file); "
            f"set the {name} environment variable to keep it."
        )
    except SecretError as exc:
        return f"not stored: {exc}"
    reset_redactor()
    if session.runtime is not None:
        session.runtime.redactor.add(name, value)
    return f"stored {name} in {store.describe()}"
