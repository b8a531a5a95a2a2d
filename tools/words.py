"""Counts and sizes as a person reads them, for tools' summaries and display lines (the app's
presentation layer, ``assistant.present``, reuses these: one home for each notation)."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 row", "2 rows", "1,234 rows", "0 rows"; ``many`` for a plural that is not word + s
    ("match", "matches")."""
    return f"{count:,} {noun(count, word, many)}"


def noun(count: int, word: str, many: str | None = None) -> str:
    """The word alone, agreeing with ``count``: "unknown argument: x", "unknown arguments: x, y"."""
    return word if count == 1 else (many or word + "s")


def size(n: int | None) -> str:
    """A byte count rounded for reading: "512 B", "48.2 KB", "3.1 MB", "2.0 GB" (powers of
    1,000, as the labels say); "-" when unknown."""
    if n is None:
        return "-"
    if n < 1000:
        return f"{n} B"
    for unit, scale in (("KB", 1e3), ("MB", 1e6)):
        if n / scale < 999.95:  # else it would read "1000.0 KB"
            return f"{n / scale:.1f} {unit}"
    return f"{n / 1e9:.1f} GB"


def exact_size(n: int) -> str:
    """A byte count to the byte, where one byte matters (a diff's before and after): "1,234 B"."""
    return f"{n:,} B"


def folder(rel: str) -> str:
    """A workspace folder as grants and rules name it: "the workspace top folder" for ".",
    else "the folder out/" (one wording for every tool's scope)."""
    return "the workspace top folder" if rel in (".", "") else f"the folder {rel.rstrip('/')}/"
