"""The command palette's slash commands: ones that need words go into the prompt to finish,
the others run at once (through the same path as typing them)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from assistant.ui.slash import COMMANDS, CommandHelp


class SlashProvider(Provider):
    """Lists /http, /csv, /sh, /model, /keys, /history, /undo, /grants, /help, /quit."""

    def _run(self, command: CommandHelp) -> None:
        from assistant.ui.screens.chat import ChatScreen

        chat = self.app.chat  # type: ignore[attr-defined]
        if not isinstance(chat, ChatScreen):
            return
        if command.needs_args:
            prompt = chat.prompt
            prompt.load_text(f"/{command.name} ")
            prompt.move_cursor(prompt.document.end)
            prompt.focus()
        else:
            chat.run_slash(f"/{command.name}")

    async def discover(self) -> Hits:
        for command in COMMANDS:
            yield DiscoveryHit(
                f"/{command.name}",
                partial(self._run, command),
                help=command.usage + " · " + command.help,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in COMMANDS:
            label = f"/{command.name}  {command.help}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(label), partial(self._run, command), help=command.usage
                )
