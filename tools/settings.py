"""How a tool declares its settings: a frozen dataclass named after its config table, each field
with its default and bounds written once. The app's config builds it from that table ([http])
and checks every value against these bounds (a field holding tables is read by the class itself,
``HasSubTables``); the tool reads it with ``ToolContext.settings_for``.
"""

from __future__ import annotations

import math
from dataclasses import Field, dataclass, field, fields
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Bounds:
    """The values a number setting accepts: ``minimum`` (excluded when ``above``) to ``maximum``."""

    minimum: float | None = None
    maximum: float | None = None
    above: bool = False
    """True: the value must be more than ``minimum``, not equal to it."""

    def admits(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.minimum is not None and (
            value <= self.minimum if self.above else value < self.minimum
        ):
            return False
        return self.maximum is None or value <= self.maximum


def setting(
    default: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: bool = False,
) -> Any:
    """A settings field with its default and, for numbers, its bounds (see ``Bounds``)."""
    return field(default=default, metadata={"bounds": Bounds(minimum, maximum, above)})


def bounds_of(f: Field[Any]) -> Bounds:
    found = f.metadata.get("bounds")
    return found if isinstance(found, Bounds) else Bounds()


class ToolSettings(Protocol):
    """What a tool's settings class provides: the config table it is read from."""

    table: ClassVar[str]


class HasSubTables(Protocol):
    """A settings class whose table also holds tables of its own (``[mcp.servers.NAME]``): the
    config hands it each field that is not a bool, number or string to read and check."""

    @classmethod
    def read_field(cls, name: str, raw: Any, source: str) -> Any:
        """Field ``name``'s value from ``raw``, read from the file ``source``; ValueError says
        what is wrong, in one line that names the file and the table."""
        ...


def check_bounds(settings: object) -> None:
    """Refuse a settings object built with an out-of-bounds number (ValueError names the field):
    code that builds one by hand meets the same bounds as the config file."""
    for f in fields(settings):  # type: ignore[arg-type]
        value = getattr(settings, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not bounds_of(f).admits(float(value)):
            raise ValueError(f"{type(settings).__name__}.{f.name}: {value!r} is out of bounds")
