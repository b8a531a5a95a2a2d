"""The app's keys as /help lists them, read from the bindings themselves so the two cannot
disagree, and the rule every binding must keep: a key a terminal can actually send.

A terminal sends Ctrl+H as Backspace, Ctrl+I as Tab, Ctrl+M as Enter and Ctrl+[ as Esc: a binding
on one of those can never fire (and a help line naming it is a lie). :func:`unsendable` says
which keys of a binding are of that kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.binding import Binding, BindingType

SAME_AS = {
    "ctrl+h": "backspace",
    "ctrl+i": "tab",
    "ctrl+m": "enter",
    "ctrl+[": "escape",
    "ctrl+left_square_bracket": "escape",
    "ctrl+2": "ctrl+@",
}
"""Keys a terminal sends as another key: the binding on the left never sees a press."""

NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "slash": "/",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "space": "Space",
}


def keys_of(binding: BindingType) -> list[str]:
    """The keys of one binding (a Binding or a ("keys", "action", ...) tuple)."""
    raw = binding.key if isinstance(binding, Binding) else binding[0]
    return [key.strip() for key in raw.split(",") if key.strip()]


def unsendable(key: str) -> str | None:
    """What a terminal sends instead of ``key``, when it cannot send ``key`` itself."""
    key = key.lower()
    if key in SAME_AS:
        return SAME_AS[key]
    return None


def key_name(key: str) -> str:
    """A key as a person reads it: ``ctrl+p`` -> ``Ctrl+P``, ``escape`` -> ``Esc``."""
    parts = key.split("+")
    *mods, last = parts
    shown = NAMES.get(last, last.upper() if len(last) == 1 or last[:1] == "f" else last)
    if len(last) == 1 and not mods:
        shown = last  # a plain letter key is typed as is: y, n, u
    return "+".join([m.capitalize() for m in mods] + [shown])


def described(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(keys, description) for each binding that has a description, keys joined by "/"."""
    out = []
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        out.append(("/".join(key_name(k) for k in keys_of(binding)), binding.description))
    return out


def help_line(groups: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> list[str]:
    """One line per group ("Chat: Esc stop · F2 history ...")."""
    return [
        f"{title}: " + " · ".join(f"{keys} {what}" for keys, what in pairs)
        for title, pairs in groups
        if pairs
    ]
