"""Storing and deleting a secret with the hosts it may be sent to: the one place `assistant keys`,
the app's /keys and the setup screen go through. The value goes to the keyring, the bindings to
the config; a value is never written anywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.config import Settings
from assistant.secrets import MIN_REDACT_LEN, KeyringUnavailable, Redactor, SecretError


@dataclass(frozen=True)
class SecretStored:
    """What became of a stored secret, for the front end to say."""

    name: str
    where: str
    """The keyring it went to, in words ("the system keyring (SecretService Keyring)")."""
    hosts: tuple[str, ...]
    """The origins it may be sent to (empty: a provider key, or bound later)."""
    in_file: bool = False
    """The keyring in use keeps values in a plain file (allow_plaintext_keyring is on)."""
    session_only: str = ""
    """Set when no keyring could take it: why; the value lives in this process only."""
    too_short: bool = False
    """The value is shorter than the Redactor can find without marking ordinary text."""

    def message(self) -> str:
        """One line (two with a warning) that says where the value is and where it may go."""
        bound = ", ".join(self.hosts) or "no hosts (a provider key, or bind it later with --host)"
        if self.session_only:
            return (
                f"{self.session_only}. {self.name} is used for this session only (nothing was "
                f"written to a file); set the {self.name} environment variable to keep it. "
                f"May be sent to: {bound}"
            )
        text = f"stored {self.name} in {self.where}; may be sent to: {bound}"
        if self.in_file:
            text += (
                "\nnote: anyone who can read that file can read the value "
                "(allow_plaintext_keyring is on)"
            )
        if self.too_short:
            text += (
                f"\nnote: values shorter than {MIN_REDACT_LEN} characters cannot be told apart "
                "from ordinary text, so this one is not scrubbed from output nor refused in calls"
            )
        return text


def bindings(raw: Iterable[str]) -> tuple[str, ...]:
    """--host values as the origins they mean: scheme, host and port (https:443 unless named).
    SecretError names a value that is not one."""
    from tools.http_request.handles import parse_binding

    out = []
    for entry in raw:
        if not entry.strip():
            continue
        try:
            out.append(str(parse_binding(entry)))
        except ValueError as exc:
            raise SecretError(f"--host {exc}") from None
    return tuple(dict.fromkeys(out))


def store_secret(
    settings: Settings,
    name: str,
    value: str,
    hosts: Iterable[str] = (),
    *,
    session_only: bool = False,
    redactor: Redactor | None = None,
) -> SecretStored:
    """Check the name, the value and the bindings, then store the value in the keyring and the
    bindings in the config (new bindings replace the old; none given keeps the old).

    With no usable keyring: KeyringUnavailable, unless ``session_only`` (a running app), where
    the value is kept in this process's environment and said so. ``redactor`` learns the value
    at once, so it is hidden from everything shown or journaled from now on."""
    from assistant import config
    from assistant.secrets import SecretStore, reset_redactor, validate_name

    validate_name(name)
    value = value.strip("\r\n")
    if not value.strip():
        raise SecretError("no value given; nothing stored")
    bound = bindings(hosts) or tuple(settings.secrets.get(name, ()))
    store = SecretStore(settings.keyring_timeout, settings.allow_plaintext_keyring)
    try:
        store.set(name, value)
    except KeyringUnavailable as exc:
        if not session_only:
            raise KeyringUnavailable(
                f"{exc}. Nothing was stored; set {name} as an environment variable instead"
            ) from None
        os.environ[name] = value  # nothing is written to a file, bindings included
        if redactor is not None:
            redactor.add(name, value)
        return SecretStored(
            name, "", bound, session_only=str(exc), too_short=len(value) < MIN_REDACT_LEN
        )
    config.set_secret_hosts(name, list(bound))  # the name is listed even with no host
    reset_redactor()
    if redactor is not None:
        redactor.add(name, value)
    where = store.backend()
    return SecretStored(
        name,
        where.describe(),
        bound,
        in_file=where.kind == "file",
        too_short=len(value) < MIN_REDACT_LEN,
    )


def delete_secret(settings: Settings, name: str) -> bool:
    """Remove the value from the keyring and its bindings from the config; False when neither
    held it. KeyringUnavailable when the keyring cannot be reached (the bindings stay)."""
    from assistant import config
    from assistant.secrets import SecretStore

    known = name in settings.secrets
    removed = SecretStore(settings.keyring_timeout, settings.allow_plaintext_keyring).delete(name)
    if known:
        config.set_secret_hosts(name, None)
    return removed or known


@dataclass(frozen=True)
class KeyListed:
    """One key as `assistant keys list` and /keys show it: never its value."""

    name: str
    hosts: tuple[str, ...]
    """Where a secret may be sent (empty for a provider key)."""
    where: str
    """"keyring", "environment", "keyring and environment", or "not found"."""
    provider: str = ""
    """The model provider that reads this key ("openai"), for a provider key."""


def list_keys(settings: Settings) -> tuple[list[KeyListed], str]:
    """The secrets the config names (with their bindings) and every provider key found in the
    keyring or the environment (OPENAI_API_KEY...), each with where it was found; values are
    looked at only to say whether they exist. The second item: why the keyring could not be
    read, or ""."""
    from assistant.agent.model_providers import KEY_NAMES
    from assistant.secrets import SecretStore

    store = SecretStore(settings.keyring_timeout, settings.allow_plaintext_keyring)
    providers: dict[str, str] = {}
    for provider, key in KEY_NAMES.items():
        providers.setdefault(key, provider)
    problem = ""
    out = []
    for name in sorted({*settings.secrets, *providers}):
        in_keyring = False
        if not problem:
            try:
                in_keyring = bool(store.get(name))
            except KeyringUnavailable as exc:
                problem = str(exc)
            except SecretError:
                in_keyring = False
        in_env = bool(os.environ.get(name))
        if name not in settings.secrets and not (in_keyring or in_env):
            continue  # a provider key that is nowhere: not listed
        where = " and ".join(
            w for w, on in (("keyring", in_keyring), ("environment", in_env)) if on
        )
        out.append(
            KeyListed(
                name,
                tuple(settings.secrets.get(name, ())),
                where or "not found",
                "" if name in settings.secrets else providers[name],
            )
        )
    return out, problem
