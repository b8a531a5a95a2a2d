"""Wiring one session from settings: journal, workspace, policy, gate and (when asked) the model.

The headless commands and the app both start sessions here, so they behave the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import paths
from assistant.agent.approval import Approver
from assistant.agent.event_log import EventLog, Listener
from assistant.agent.events import Event
from assistant.agent.gate import Gate
from assistant.agent.policy import Policy
from assistant.config import Settings
from assistant.errors import SetupError
from assistant.secrets import ConfiguredSecrets, Redactor, SecretStore, redactor
from tools.base import SecretSource, Tool, ToolContext, ToolError, Unlock
from tools.workspace import Workspace

if TYPE_CHECKING:
    from assistant.agent.model import Model
    from assistant.journal import Journal
    from assistant.mcp.servers import McpServers, McpStart


@dataclass
class Runtime:
    settings: Settings
    journal: Journal
    session_id: str
    log: EventLog
    gate: Gate
    store: SecretStore
    redactor: Redactor
    notes: list[str] = field(default_factory=list)
    """One-line notices for the person (e.g. no keyring here)."""
    mcp: McpServers | None = None
    """The MCP servers this session started (``start_session(mcp=...)``); ``close`` stops them."""

    def close(self) -> None:
        """Stop the MCP servers this session started, then close the journal."""
        try:
            if self.mcp is not None:
                self.mcp.close()
        finally:
            self.journal.close()


def parse_allow_hosts(values: Iterable[str]) -> frozenset[str]:
    """--allow-host HOST:PORT values, normalised; a missing port is an error, not a guess."""
    out = set()
    for raw in values:
        host, sep, port = raw.strip().rpartition(":")
        host = host.strip("[]").lower().rstrip(".")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SetupError(f"--allow-host {raw!r}: expected HOST:PORT, e.g. localhost:8000")
        out.add(f"{host}:{int(port)}")
    return frozenset(out)


def open_workspace(path: str | Path | None) -> Workspace:
    root = Path(path) if path else Path.cwd()
    try:
        return Workspace(root, protected=paths.protected_dirs())
    except (OSError, ToolError) as exc:
        raise SetupError(f"workspace {root}: {getattr(exc, 'strerror', None) or exc}") from None


def start_session(
    settings: Settings,
    *,
    approver: Approver,
    tools: Mapping[str, Tool],
    workspace: str | Path | None = None,
    allow_hosts: Iterable[str] = (),
    listeners: Iterable[Listener] = (),
    title: str | None = None,
    model: str | None = None,
    resume: str | None = None,
    meta: dict[str, object] | None = None,
    mcp: McpStart | None = None,
    new_id: Callable[[], str] | None = None,
) -> Runtime:
    """Open the journal and a session (new, or ``resume`` an existing one) with its gate; with
    ``mcp``, start the configured MCP servers too (their tools join ``tools`` while they work;
    the caller must ``Runtime.close()``). ``new_id``: the journal's session id factory."""
    from assistant.journal import Journal

    ws = open_workspace(workspace)
    red = redactor()
    journal = Journal(paths.journal_file(), redact=red.redact, new_id=new_id)
    create: Callable[[Event], object] | None = None
    if resume:
        session_id = journal.get_session(resume).id
    else:  # made with its first event: a launch where nothing happens leaves no session
        session_id = journal.new_session_id()

        def create(first: Event) -> object:
            return journal.create_session(
                model=model,
                workspace=str(ws.root),
                title=title or work_title(first),
                meta=meta,
                session_id=session_id,
            )

    store = SecretStore(settings.keyring_timeout)
    policy = session_policy(settings, allow_hosts, ws.root)
    ctx = tool_context(
        settings, ws, ConfiguredSecrets(store, settings.secrets, red), journal.get_blob
    )
    log = EventLog(
        journal,
        session_id,
        redact=red.redact,
        listeners=list(listeners),
        delta_window=red.window,
        create=create,
    )
    servers = None
    if mcp is not None:
        from assistant.mcp.servers import McpServers, ToolBox
        from tools.mcp import McpSettings

        mcp_settings = settings.for_tool(McpSettings)
        servers = McpServers(mcp_settings, store, red, ws.root, on_change=mcp.on_change)
        tools = ToolBox(tools, servers)
    gate = Gate(tools, ctx, policy, approver, log)
    rt = Runtime(settings, journal, session_id, log, gate, store, red, mcp=servers)
    if policy.book is not None:
        policy.book.rules()
        if policy.book.problem:
            rt.notes.append(f"no saved rule applies: {policy.book.problem}")
    if servers is not None and mcp is not None:
        rt.notes += servers.start(mcp.names, background=mcp.background)
    return rt


def work_title(first: Event) -> str | None:
    """A readable title for a session that starts with work done by hand ("shell: cat a.csv"),
    from what the gate made of the call; None leaves it to the first prompt."""
    from assistant.agent.events import ActionError, ActionProposed
    from assistant.journal import make_title

    if isinstance(first, ActionProposed) and first.call_id is None:
        return make_title(f"{first.tool}: {first.summary}")
    if isinstance(first, ActionError) and first.call_id is None:  # refused before it was planned
        return make_title(f"{first.tool}: {first.message}")
    return None


def session_policy(
    settings: Settings, allow_hosts: Iterable[str] = (), workspace: Path | None = None
) -> Policy:
    """The deny rules, and the hosts the config and --allow-host open (standing unlocks: never
    listed nor revocable, and private addresses among them need no person); with
    ``workspace``, the rules saved for it (``assistant.rules``) apply too."""
    from assistant.rules import RuleBook

    keys = parse_allow_hosts([*settings.allow_hosts, *allow_hosts])
    book = RuleBook(workspace) if workspace is not None else None
    return Policy(settings.deny, standing=standing_unlocks(keys), book=book)


def standing_unlocks(keys: Iterable[str]) -> list[Unlock]:
    """allow_hosts entries (normalised host:port) as the unlocks they stand for."""
    return [
        Unlock(f"host:{key}", key, f"{key}: allowed by the config or --allow-host", True)
        for key in sorted(keys)
    ]


def tool_context(
    settings: Settings,
    workspace: Workspace,
    secrets: SecretSource | None,
    read_blob: Callable[[str], bytes] | None,
) -> ToolContext:
    """What the tools get in a session: the workspace, secrets, each tool's settings; the gate
    adds the policy's deny rules and unlocks."""
    return ToolContext(
        workspace=workspace,
        secrets=secrets,
        tool_settings=settings.tool_settings,
        read_blob=read_blob,
    )


def build_model(settings: Settings, runtime: Runtime | None = None) -> Model:
    """The model adapter for the configured model, with its provider key from keyring or env."""
    from assistant.agent.model import Model, load_litellm, provider_key_name
    from assistant.agent.model_errors import ModelError
    from assistant.agent.model_providers import (
        KEY_NAMES,
        KEYLESS,
        litellm_provider,
        split_model,
        unknown_model_message,
    )

    if not settings.model:
        raise SetupError(
            "no model configured: pass --model (e.g. openai/gpt-4.1-mini), set ASSISTANT_MODEL, "
            'or put model = "..." in the config file (`assistant config path` shows where)',
            model_problem=True,
        )
    provider, explicit = split_model(settings.model)
    if not explicit and not settings.api_base and provider == "openai":
        # a bare name that is neither Claude nor Gemini: litellm's own resolution decides,
        # so "nonsense-model" is said to be unknown instead of asking for an OpenAI key
        resolved = litellm_provider(load_litellm(), settings.model)
        if resolved is None:
            raise SetupError(unknown_model_message(settings.model), model_problem=True)
    elif explicit and provider not in KEY_NAMES and provider not in KEYLESS:
        litellm = load_litellm()  # a prefix this app has no table for: is it litellm's?
        known = {str(getattr(p, "value", p)) for p in litellm.provider_list}
        if provider not in known:
            raise SetupError(
                f"unknown provider {provider!r} in {settings.model.strip()!r}: litellm has no "
                "such provider (its list: https://docs.litellm.ai/docs/providers); e.g. "
                "openai/gpt-4.1-mini or ollama_chat/llama3.1",
                model_problem=True,
            )
    key_name = provider_key_name(settings.model)
    api_key = None
    store = runtime.store if runtime else SecretStore(settings.keyring_timeout)
    red = runtime.redactor if runtime else redactor()
    if key_name:
        api_key, note = store.lookup(key_name)
        if note and runtime is not None:
            runtime.notes.append(note)
        if not api_key and not settings.api_base:
            raise SetupError(
                f"no API key for {settings.model}: run `assistant keys set {key_name}` "
                f"or set the {key_name} environment variable",
                model_problem=True,
            )
        red.add(key_name, api_key)
    try:
        return Model(settings.model, api_base=settings.api_base, api_key=api_key)
    except ModelError as exc:  # a malformed name or base URL: said as setup, like a missing key
        raise SetupError(str(exc), model_problem=True) from None
