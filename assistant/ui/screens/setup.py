"""First run: connect a model (a provider with a key kept in the keyring, or a local server found
on loopback, or any litellm model string), or skip into manual mode."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.ui.probe import LocalServer, probe
from assistant.ui.widgets.preview import safe

PROVIDERS = {
    "openai": ("OpenAI", "openai/gpt-4.1-mini"),
    "anthropic": ("Anthropic", "anthropic/claude-sonnet-4-5"),
    "local": ("Local server", ""),
    "other": ("Other (any litellm model string + base URL)", ""),
}


class SetupScreen(Screen[dict[str, Any] | None]):
    """Dismisses with {"model", "api_base", "notes"} on Connect, or None on Skip."""

    CSS_PATH = "setup.tcss"
    AUTO_FOCUS = "RadioSet"
    BINDINGS = [Binding("escape", "skip", "skip")]

    def __init__(
        self,
        settings: Settings,
        probe: Callable[[], Awaitable[list[LocalServer]]] | None = None,
    ) -> None:
        """``settings``: where keys go (keyring timeout, plaintext choice) is the app's."""
        super().__init__()
        self.settings = settings
        self._probe = probe or probe_default
        self.servers: list[LocalServer] = []
        self.choice = "openai"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="setup"):
            yield Static(Text("Connect a model", style="bold"), id="setup-title")
            with RadioSet(id="provider"):
                for key, (label, _) in PROVIDERS.items():
                    yield RadioButton(label, value=key == "openai", name=key, id=f"provider-{key}")
            yield Static("model (litellm string)", classes="label")
            yield Input(PROVIDERS["openai"][1], id="model")
            yield Static("API key", classes="label key")
            yield Input(
                password=True,
                id="key",
                placeholder="paste the key; where it is kept is said below",
                classes="key",
            )
            yield Static("base URL", classes="label base")
            yield Input(id="base", placeholder="http://127.0.0.1:8000/v1", classes="base")
            yield Static("looking for local servers…", id="found")
            yield OptionList(id="servers", classes="local")
            yield Static("", id="setup-error")
            with Horizontal(id="setup-buttons"):
                yield Button("Connect", id="connect", variant="primary")
                yield Button("Skip: use tools by hand", id="skip")
            yield Static("", id="keyring-note")

    def on_mount(self) -> None:
        self._show("openai")
        self.scan()
        self.check_keyring()

    # -- local servers and the keyring, off the loop -----------------------------------------------

    @work(exclusive=True, group="probe")
    async def scan(self) -> None:
        servers = await self._probe()
        self.servers = servers
        found = self.query_one("#found", Static)
        options = self.query_one("#servers", OptionList)
        options.clear_options()
        if not servers:
            found.update(
                "no local server answered (Ollama 11434, LM Studio 1234, llama.cpp 8080, vLLM 8000)"
            )
            return
        found.update(
            Text("found: " + ", ".join(f"{s.name} at {safe(s.api_base)}" for s in servers))
        )
        for index, server in enumerate(servers):
            for model in server.models or ("(no models listed)",):
                label = Text(f"{server.name}  {safe(model)}")
                options.add_option(Option(label, id=f"{index}\x1f{model}"))

    @work(thread=True, exclusive=True, group="keyring")
    def check_keyring(self) -> None:
        from assistant.secrets import KeyringUnavailable, SecretStore

        store = SecretStore(self.settings.keyring_timeout, self.settings.allow_plaintext_keyring)
        try:
            store.get("live-assistant-probe")
            where = store.backend()
            if where.kind == "file":
                note = (
                    f"Keys are stored in {where.describe()}, because allow_plaintext_keyring "
                    "is on: anyone who can read that file can read them."
                )
            else:
                note = f"Keys are stored in {where.describe()}, not in a file of ours."
        except KeyringUnavailable as exc:
            note = f"{exc}. A key pasted here is used for this session only."
        self.app.call_from_thread(
            self.query_one("#keyring-note", Static).update, Text(note, style="dim")
        )

    # -- choices ----------------------------------------------------------------------------------

    @on(RadioSet.Changed)
    def provider_changed(self, event: RadioSet.Changed) -> None:
        self._show(event.pressed.name or "openai")

    def _show(self, choice: str) -> None:
        self.choice = choice
        for cls, visible in (
            ("key", choice in ("openai", "anthropic", "other")),
            ("base", choice == "other"),
            ("local", choice == "local"),
        ):
            for widget in self.query(f".{cls}"):
                widget.display = visible
        default = PROVIDERS.get(choice, ("", ""))[1]
        if default:
            self.query_one("#model", Input).value = default

    @on(OptionList.OptionSelected)
    def server_chosen(self, event: OptionList.OptionSelected) -> None:
        index, _, model = (event.option.id or "").partition("\x1f")
        server = self.servers[int(index)]
        self.query_one("#model", Input).value = server.model_string(model)
        self.query_one("#base", Input).value = server.api_base

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#connect")
    def connect(self) -> None:
        error = self.query_one("#setup-error", Static)
        result = self.result()
        if isinstance(result, str):
            error.update(Text(result, style="bold red"))
            return
        self.dismiss(result)

    def result(self) -> dict[str, Any] | str:
        """What Connect does (kept apart for tests): store the key, save the model; or the error."""
        from assistant import config
        from assistant.agent.model_providers import provider_key_name
        from assistant.keys import store_secret

        model = self.query_one("#model", Input).value.strip()
        base = self.query_one("#base", Input).value.strip() or None
        key = self.query_one("#key", Input).value.strip()
        if not model or any(c.isspace() for c in model):
            return "enter a model, e.g. openai/gpt-4.1-mini or ollama_chat/llama3.1"
        if self.choice == "local":
            if not self.servers:
                return "no local server was found; start one, or pick another option"
            if base is None:
                return "pick a model from the list of local servers"
        elif self.choice != "other":
            base = None
        notes: list[str] = []
        key_name = provider_key_name(model)
        if key and key_name:
            try:  # no keyring: kept for this session only, and said so
                stored = store_secret(self.settings, key_name, key, session_only=True)
            except AssistantError as exc:
                return f"{key_name} was not stored: {exc}"
            if stored.session_only:
                notes.append(
                    f"{stored.session_only}. {key_name} is used for this session only "
                    "(not saved anywhere)."
                )
            else:
                notes.append(f"{key_name} stored in {stored.where}")
        elif key_name and not base and not os.environ.get(key_name):
            return f"{model} needs an API key ({key_name})"
        try:
            config.update_file({"model": model, "api_base": base})
        except (OSError, config.ConfigError) as exc:
            notes.append(f"could not save the choice to the config file: {exc}")
        return {"model": model, "api_base": base, "notes": notes}


async def probe_default() -> list[LocalServer]:
    try:
        return await probe()
    except (TimeoutError, OSError):
        return []
