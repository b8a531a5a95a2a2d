"""Secrets: values in the OS keyring (never in a file of ours), and the Redactor that keeps them
out of everything the model, the journal and the screen see."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from assistant.errors import AssistantError
from tools.base import Action, Tool, ToolContext, ToolError
from tools.secret_match import MIN_VALUE_CHARS, SecretMatcher, walk_strings

SERVICE = "live-assistant"
HANDLE_RE = re.compile(r"\{\{secret:([A-Za-z0-9_.-]+)\}\}")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MIN_REDACT_LEN = MIN_VALUE_CHARS
"""Shorter values would turn ordinary text into markers; keyring refuses nothing, so we warn on set."""

T = TypeVar("T")


class KeyringUnavailable(AssistantError):
    """No working keyring: headless Linux, a locked or hanging backend. The message says which."""


class SecretError(AssistantError):
    """A secret could not be stored or read back; nothing was silently written elsewhere."""


def _with_timeout(fn: Callable[[], T], timeout: float, what: str) -> T:
    """Run a keyring call in a daemon thread so a locked keyring can never hang the app."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"keyring-{what}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise KeyringUnavailable(
            f"the system keyring did not answer within {timeout:g} s (is it locked?); "
            "using environment variables instead"
        )
    if "error" in box:
        import keyring.errors

        exc = box["error"]
        if isinstance(exc, keyring.errors.PasswordDeleteError):
            raise exc
        if isinstance(exc, keyring.errors.NoKeyringError):
            raise KeyringUnavailable(
                "no system keyring is available here; keys are read from environment "
                "variables (e.g. OPENAI_API_KEY) for this session only"
            ) from None
        if isinstance(exc, keyring.errors.KeyringError):
            raise KeyringUnavailable(f"the system keyring failed: {exc}") from None
        raise exc
    return box.get("value")  # type: ignore[return-value]


def validate_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise SecretError(
            f"invalid secret name {name!r}: use letters, digits, '_', '-' or '.', up to 64 characters"
        )
    return name


@dataclass(frozen=True)
class Backend:
    """The keyring backend in use, as the person must hear of it.

    ``kind``: "system" (an OS keyring: Secret Service, KWallet, macOS Keychain, Windows
    Credential Manager), "file" (values kept in a file, such as keyrings.alt's PlaintextKeyring,
    which only base64-encodes them), "none" (no keyring, or one that forgets), or "other"."""

    kind: str
    name: str
    """The backend's class, e.g. "keyrings.alt.file.PlaintextKeyring"."""
    location: str | None = None
    """The file a "file" backend keeps values in."""

    def describe(self) -> str:
        """Where a stored value goes, in the words shown at setup and by `keys set`."""
        if self.kind == "file":
            where = self.location or "a file"
            return f"a plaintext file, {where} (keyring backend {self.name}; not encrypted)"
        if self.kind == "system":
            return f"the system keyring ({self.name})"
        return f"the keyring backend {self.name}"


_SYSTEM_MODULES = ("SecretService", "kwallet", "libsecret", "macOS", "Windows")


def keyring_backend(backend: Any = None) -> Backend:
    """Classify the backend keyring would use (``keyring.get_keyring()`` by default). A chain
    that holds a file backend counts as that file: values may be read from or written to it."""
    if backend is None:
        import keyring

        backend = keyring.get_keyring()
    members = getattr(type(backend), "backends", None)
    if type(backend).__name__ == "ChainerBackend" and members is not None:
        found = [keyring_backend(b) for b in members]
        for kind in ("file", "system", "other"):
            for info in found:
                if info.kind == kind:
                    return info
        return Backend("none", _class_name(backend))
    cls = type(backend)
    name = _class_name(backend)
    modules = [c.__module__ for c in cls.__mro__]
    if any(m.startswith("keyrings.alt") for m in modules) or hasattr(backend, "file_path"):
        return Backend("file", name, str(getattr(backend, "file_path", "") or "") or None)
    if "plaintext" in name.lower():
        return Backend("file", name)
    if cls.__module__ in ("keyring.backends.fail", "keyring.backends.null"):
        return Backend("none", name)
    if cls.__module__.removeprefix("keyring.backends.") in _SYSTEM_MODULES:
        return Backend("system", str(getattr(backend, "name", name)))
    return Backend("other", name)


def _class_name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _plaintext_allowed() -> bool:
    """The person's choice in the config (allow_plaintext_keyring); unreadable config: no."""
    from assistant import config

    try:
        return config.load().allow_plaintext_keyring
    except config.ConfigError:
        return False


class SecretStore:
    """Keyring access under one service name, every call bounded by a timeout.

    A backend that keeps values in a plain file is used only when ``allow_plaintext`` is true
    (by default: the config's ``allow_plaintext_keyring``); otherwise it counts as no keyring."""

    def __init__(self, timeout: float = 3.0, allow_plaintext: bool | None = None) -> None:
        self.timeout = timeout
        self.allow_plaintext = allow_plaintext
        self._broken: KeyringUnavailable | None = None
        """Once the keyring failed, later calls fail at once instead of waiting again."""

    def backend(self) -> Backend:
        return keyring_backend()

    def describe(self) -> str:
        """Where values go, e.g. "the system keyring (SecretService Keyring)"."""
        return self.backend().describe()

    def _check_backend(self) -> None:
        info = self.backend()
        if info.kind != "file":
            return
        allowed = self.allow_plaintext
        if allowed is None:
            allowed = self.allow_plaintext = _plaintext_allowed()
        if not allowed:
            where = f" ({info.location})" if info.location else ""
            raise KeyringUnavailable(
                f"the keyring backend here, {info.name}, keeps values in a plain file{where}, "
                "not in a system keyring, so it is not used unless allow_plaintext_keyring = "
                "true is set in the config; keys are read from environment variables instead"
            )

    def _call(self, fn: Callable[[], T], what: str) -> T:
        if self._broken is not None:
            raise self._broken

        def checked() -> T:  # finding the backend may itself hang: inside the timeout too
            self._check_backend()
            return fn()

        try:
            return _with_timeout(checked, self.timeout, what)
        except KeyringUnavailable as exc:
            self._broken = exc
            raise

    def get(self, name: str) -> str | None:
        import keyring

        return self._call(lambda: keyring.get_password(SERVICE, name), "get")

    def set(self, name: str, value: str) -> None:
        """Store, then read back: a backend that accepts and forgets (the null one) fails loudly."""
        import keyring

        validate_name(name)
        if not value:
            raise SecretError("refusing to store an empty value")
        self._call(lambda: keyring.set_password(SERVICE, name, value), "set")
        if self.get(name) != value:
            raise SecretError(
                f"the keyring accepted {name} but did not return it when read back; it was not stored"
            )

    def delete(self, name: str) -> bool:
        """Remove a value; False when the keyring held none."""
        import keyring
        import keyring.errors

        try:
            self._call(lambda: keyring.delete_password(SERVICE, name), "delete")
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    def lookup(self, name: str) -> tuple[str | None, str | None]:
        """A value from the keyring, else the environment: (value, note about the keyring or None)."""
        note = None
        try:
            value = self.get(name)
            if value:
                return value, None
        except KeyringUnavailable as exc:
            note = str(exc)
        return os.environ.get(name) or None, note


class Redactor:
    """Replaces every known secret value, in every spelling ``tools.secret_match`` knows, with a
    marker (``[raw value of secret NAME]``), in strings nested anywhere.

    A handle the model wrote (``{{secret:NAME}}``) is not a value and stays as written; a raw
    value never becomes a handle, so nobody approves what looks like a handle while the real
    text carries the secret. Values are loaded lazily (a history listing never touches the
    keyring) and can be added at run time, e.g. the provider key a model call uses.
    """

    def __init__(self, loader: Callable[[], Iterable[tuple[str, str]]] | None = None) -> None:
        self._loader = loader
        self._values: dict[str, str] = {}
        self._matcher: SecretMatcher | None = None
        self._lock = threading.Lock()

    def add(self, name: str, value: str | None) -> None:
        if value and len(value) >= MIN_REDACT_LEN:
            with self._lock:
                if self._values.get(value) != name:
                    self._values[value] = name
                    self._matcher = None

    def matcher(self) -> SecretMatcher | None:
        """The matcher over every known value (None when there is none)."""
        matcher = self._matcher
        if matcher is not None and self._loader is None:
            return matcher or None  # the usual case, once per streamed delta: no lock
        if self._loader is not None:
            loader, self._loader = self._loader, None
            for name, value in loader():
                self.add(name, value)
        with self._lock:
            if self._matcher is None:
                self._matcher = SecretMatcher((n, v) for v, n in self._values.items())
            return self._matcher or None

    def redact_text(self, text: str) -> str:
        matcher = self.matcher()
        if matcher is None or not text:
            return text
        return matcher.sub(text)

    def redact(self, obj: Any) -> Any:
        """A copy of ``obj`` (str, dict, list, tuple, scalars) with secret values marked."""
        if isinstance(obj, str):
            return self.redact_text(obj)
        if isinstance(obj, dict):
            return {self.redact(k): self.redact(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.redact(v) for v in obj)
        return obj

    def raw_secret(self, obj: Any) -> tuple[str, str, str] | None:
        """(where, secret name, spelling) of the first raw value in ``obj``, or None."""
        matcher = self.matcher()
        if matcher is None:
            return None
        for where, text in walk_strings(obj):
            hit = matcher.first(text)
            if hit is not None:
                return where, hit.name, hit.form
        return None

    def window(self) -> DeltaWindow:
        """A redactor for one stream of text deltas (see ``DeltaWindow``)."""
        return DeltaWindow(self)


class DeltaWindow:
    """Redacts a stream of text pieces: characters that may be the start of a value cut by the
    end of a piece are held back until the next piece (or ``flush``) shows what they are, so a
    value split across two deltas never reaches a screen."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._held = ""

    def feed(self, text: str) -> str:
        """The part of ``held + text`` that is safe to show now, redacted."""
        matcher = self._redactor.matcher()
        buf = self._held + text
        if matcher is None:
            self._held = ""
            return buf
        cut = matcher.held_from(buf)
        self._held = buf[cut:]
        return matcher.sub(buf[:cut], tail=False)

    def flush(self) -> str:
        """What is still held, redacted as a finished text (a cut value's start is marked)."""
        buf, self._held = self._held, ""
        return self._redactor.redact_text(buf)


class ConfiguredSecrets:
    """The SecretSource tools see: values by handle name, and the hosts each may go to."""

    def __init__(
        self, store: SecretStore, hosts: dict[str, tuple[str, ...]], redactor: Redactor
    ) -> None:
        self._store = store
        self._hosts = hosts
        self._redactor = redactor

    def value(self, name: str) -> str | None:
        value, _ = self._store.lookup(name)
        self._redactor.add(name, value)
        return value

    def hosts(self, name: str) -> tuple[str, ...]:
        return self._hosts.get(name, ())

    def bind(self, name: str, hosts: tuple[str, ...]) -> None:
        """Use new bindings for ``name`` from now on (a key stored during the session)."""
        self._hosts = {**self._hosts, name: hosts}

    def raw_secret(self, obj: Any) -> tuple[str, str, str] | None:
        """(where, name, spelling) of the first raw value of any known secret in ``obj``."""
        return self._redactor.raw_secret(obj)

    def scrubber(self) -> SecretMatcher | None:
        """Every known secret's matcher, so a tool scrubs them all before it cuts a text."""
        return self._redactor.matcher()


_SPELLING = {"text": "", "hex": " (hex-encoded)", "base64": " (base64-encoded)"}


def _refuse_raw(where: str, name: str, form: str) -> ToolError:
    return ToolError(
        f"refused: {where} holds the raw value of secret {name}{_SPELLING.get(form, '')}. "
        f"A secret is only ever sent as its handle: use {{{{secret:{name}}}}}, which is filled in "
        "at send time and only for the hosts it is bound to. Nothing was run"
    )


def plan_checked(tool: Tool, args: Mapping[str, Any], ctx: ToolContext) -> Action:
    """``tool.plan`` with the outbound secret check around it, for every tool and approve mode.

    A raw value of a stored secret (any spelling ``tools.secret_match`` knows) in the arguments
    is refused before planning; one in what the action would do (its preview: file contents,
    shell redirects, csv rows, the request's URL, headers and body, save_to) is refused before
    anything is proposed to a person or run. The message names the handle to use instead and
    never the value.
    """
    scan = getattr(ctx.secrets, "raw_secret", None)
    if scan is not None:
        found = scan(dict(args))
        if found is not None:
            top = found[0].split("/", 1)[0]
            where = f"argument {top!r}" if top in args and scan(top) is None else "an argument"
            raise _refuse_raw(where, found[1], found[2])
    action = tool.plan(args, ctx)
    if scan is not None:
        shown = {
            "summary": action.summary,
            "preview": action.preview.to_json(),
            "targets": list(action.targets),
        }
        found = scan(shown)
        if found is not None:
            where = "the preview (what the action would write or send)"
            raise _refuse_raw(where, found[1], found[2])
    return action


_redactor: Redactor | None = None


def redactor() -> Redactor:
    """The process-wide Redactor, loading every configured secret and known provider key once."""
    global _redactor
    if _redactor is None:

        def load() -> list[tuple[str, str]]:
            from assistant import config

            try:
                settings = config.load()
            except config.ConfigError:
                return []
            store = SecretStore(settings.keyring_timeout)
            found = []
            names = set(settings.secrets) | {n for n in os.environ if n.endswith("_API_KEY")}
            for name in sorted(names):
                value, _ = store.lookup(name)
                if value:
                    found.append((name, value))
            return found

        _redactor = Redactor(load)
    return _redactor


def reset_redactor() -> None:
    """Forget the process-wide Redactor (tests, and after `keys set` in a long-lived app)."""
    global _redactor
    _redactor = None
