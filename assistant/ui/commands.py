"""The command palette's slash commands: ones that need words go into the prompt to finish,
the others run at once (through the same path as typing them)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

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
                # the palette reads help as markup: escaped, "/http [METHOD] URL" keeps its brackets
                help=escape_markup(command.usage + " · " + command.help),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in COMMANDS:
            label = f"/{command.name}  {command.help}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    highlight(matcher, label),
                    partial(self._run, command),
                    text=label,
                    help=escape_markup(command.usage),
                )


def highlight(matcher: Matcher, label: str) -> Content:
    """The label with the matched letters marked, read as plain text (``Matcher.highlight``
    reads it as markup, and a usage string's [BODY] would vanish)."""
    content = Content(label)
    _, offsets = matcher.fuzzy_search.match(matcher.query, label)
    for offset in offsets:
        if not label[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def escape_markup(text: str) -> str:
    """``text`` as Textual markup that shows it as written: a backslash before every "[" (the
    parser drops that one backslash and keeps any before it; Textual's own ``escape`` leaves
    "[METHOD]" alone, and the parser then eats it as a tag)."""
    return text.replace("[", "\\[")
