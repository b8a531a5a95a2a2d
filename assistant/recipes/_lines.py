"""Which line of a TOML file holds a key, so a refusal can say "line 23" and not only "step 4".

``tomllib`` gives values without positions; this scans the text once for table headers and
``key =`` lines (skipping multi-line strings) and maps each key path, with array-of-tables
indexes resolved, to its line. A path it cannot place falls back to its nearest known parent.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_ARRAY_HEADER = re.compile(rf"\[\[\s*({_DOTTED})\s*\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(rf"\[\s*({_DOTTED})\s*\]\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"({_DOTTED})\s*=(.*)$")
_PART = re.compile(_KEY)


def _parts(dotted: str) -> list[str]:
    out = []
    for match in _PART.finditer(dotted):
        part = match.group(0)
        if part.startswith('"'):
            part = part[1:-1].encode("utf-8", "surrogatepass").decode("unicode_escape", "replace")
        elif part.startswith("'"):
            part = part[1:-1]
        out.append(part)
    return out


def _opens_multiline(rest: str) -> str | None:
    """The delimiter of a multi-line string opened (and not closed) on this line, if any."""
    for delim in ('"""', "'''"):
        if rest.count(delim) % 2 == 1:
            return delim
    return None


class Lines:
    """Key path -> line number for one TOML text."""

    def __init__(self, text: str) -> None:
        self.lines: dict[Path, int] = {}
        arrays: dict[Path, int] = {}
        table: Path = ()
        open_string: str | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            if open_string is not None:
                if raw.count(open_string) % 2 == 1:
                    open_string = None
                continue
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if match := _ARRAY_HEADER.match(line):
                parts = _parts(match.group(1))
                base = (*self._resolve(parts[:-1], arrays), parts[-1])
                arrays[base] = arrays.get(base, -1) + 1
                table = (*base, arrays[base])
                self.lines.setdefault(table, number)
                continue
            if match := _TABLE_HEADER.match(line):
                table = self._resolve(_parts(match.group(1)), arrays)
                self.lines.setdefault(table, number)
                continue
            if match := _ASSIGN.match(line):
                path = (*table, *_parts(match.group(1)))
                self.lines.setdefault(path, number)
                open_string = _opens_multiline(match.group(2))

    @staticmethod
    def _resolve(parts: list[str], arrays: dict[Path, int]) -> Path:
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in arrays:
                path = (*path, arrays[path])
        return path

    def of(self, path: Path) -> int | None:
        """The line of ``path`` or of its nearest parent the scan found; None if none."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None
