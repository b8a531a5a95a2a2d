"""What approving a request unlocks: its host:port for reads, for the rest of the session; and,
approved by a person whose preview named a loopback/private address, that address too."""

from __future__ import annotations

from tools.base import Action, Unlock


def unlock_label(key: str, private: bool) -> str:
    """What an unlock of ``key`` lets run, in the words the person reads."""
    what = f"{key}, a loopback/private address," if private else key
    return (
        f"GET, HEAD and OPTIONS requests to {what} run without asking for the rest of this "
        "session (no body, no save_to); requests that write still ask"
    )


def host_unlock(key: str, private: bool) -> Unlock:
    """The unlock of one host:port (``private``: a person approved its private address)."""
    return Unlock(f"host:{key}", key, unlock_label(key, private), needs_person=private)


def request_unlocks(action: Action, by: str) -> tuple[Unlock, ...]:
    """``HttpRequestTool.unlocks``: the request's host, private only when a person approved an
    action that needed one (no rule or blanket mode can unlock a private address)."""
    private = bool(action.needs_person) and by == "human"
    hosts = [t.removeprefix("host:") for t in action.targets if t.startswith("host:")]
    return tuple(host_unlock(key, private) for key in hosts)


def reachable(unlocked: Unlock | None) -> bool:
    """A GET may go to the host without asking (an unlock covers it)."""
    return unlocked is not None


def private_allowed(unlocked: Unlock | None) -> bool:
    """Its loopback/private address may be reached (the config or a person allowed it)."""
    return unlocked is not None and unlocked.needs_person
