"""DuckDB's CSV reader errors, said briefly in the file's own terms.

DuckDB follows such an error with advice about reader options csv_query does not let anyone set
("types={'c2': 'VARCHAR'}", "sample_size=-1", "null_padding=true") and a dump of every option it
read the file with, and it names columns c0..cN as the views read them. None of that helps the
person or the model: the message keeps the file, the line, what failed and the column's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ON_LINE = re.compile(r"CSV Error on Line: (\d+)")
_FILE = re.compile(r"^\s*file = (.*?)\s*$", re.M)
_COLUMN = re.compile(r'column "c(\d+)"')
_CONVERTED = re.compile(r"^Column c(\d+) is being converted as type (.+)$")
_ADVICE = ("Possible ", "* ")
_NOISE = ("This type was ",)
MAX_LINE_SHOWN = 120


@dataclass(frozen=True)
class ReadFile:
    """One file DuckDB reads for a query: its name in the workspace, its header (the views read
    column i as ci) and whether DuckDB's line numbers are the file's own (False: a copy)."""

    rel: str
    header: list[str]
    own_lines: bool


def reader_error(text: str, files: dict[str, ReadFile]) -> str | None:
    """A short message for a CSV reader error of DuckDB's (None: ``text`` is not one).
    ``files``: what DuckDB reads, by the path it opens."""
    found = _ON_LINE.search(text)
    if found is None:
        return None
    path = _FILE.search(text)
    file = files.get(path.group(1)) if path else None
    lines = text[found.end() :].split("\n")
    original, details = "", []
    for line in lines:
        line = line.strip()
        if line.startswith("Original Line:"):
            original = line.removeprefix("Original Line:").strip()
        elif line.startswith(_ADVICE) or _FILE.match(line):
            break
        elif line and not line.startswith(_NOISE):
            details.append(_named(line, file))
    where = file.rel if file else path.group(1) if path else "a file"  # made relative later
    if file is None or file.own_lines:
        where += f", line {found.group(1)}"
    message = f"{where} could not be read: " + " ".join(_sentence(d) for d in details)
    if original:
        if len(original) > MAX_LINE_SHOWN:
            original = original[: MAX_LINE_SHOWN - 1] + "…"
        message += f" (the {'line' if file is None or file.own_lines else 'row'}: {original})"
    return message


def _named(line: str, file: ReadFile | None) -> str:
    """``line`` with the views' column names c0..cN replaced by the file's header."""

    def name(i: str) -> str:
        n = int(i)
        return file.header[n] if file is not None and n < len(file.header) else f"c{n}"

    converted = _CONVERTED.match(line)
    if converted:
        return f'column "{name(converted.group(1))}" is read as {converted.group(2)}'
    return _COLUMN.sub(lambda m: f'column "{name(m.group(1))}"', line)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
