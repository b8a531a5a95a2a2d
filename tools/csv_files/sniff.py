"""Encoding and dialect sniffing: what a CSV file is made of, so it is read and written back alike."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import Any

from tools.base import ToolError

# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DELIMITERS = (",", "\t", ";", "|")
_TERMINATORS = {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}
SAMPLE_BYTES = 256 * 1024


@dataclass(frozen=True)
class CsvFormat:
    """How a file is encoded and delimited. ``encoding`` is a codec without BOM handling; the BOM
    bytes, if any, are kept apart so a rewrite puts back exactly what was there."""

    encoding: str = "utf-8"
    bom: bytes = b""
    guessed: bool = False
    """True when the encoding is a guess (no BOM and not valid UTF-8)."""
    delimiter: str = ","
    quotechar: str = '"'
    lineterminator: str = "\n"

    def describe(self) -> str:
        """One line for people and the model: "cp1252 (a guess: not valid UTF-8), ';', CRLF"."""
        enc = self.encoding + (" with BOM" if self.bom else "")
        if self.guessed:
            enc += " (a guess: the bytes are not valid UTF-8)"
        delim = "tab" if self.delimiter == "\t" else repr(self.delimiter)
        ending = _TERMINATORS.get(self.lineterminator, repr(self.lineterminator))
        return f"encoding {enc}, delimiter {delim}, {ending} line endings"

    def to_json(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "bom": bool(self.bom),
            "guessed": self.guessed,
            "delimiter": self.delimiter,
            "quotechar": self.quotechar,
            "lineterminator": self.lineterminator,
        }

    def encode(self, text: str) -> bytes:
        """The text in this format's encoding, without the BOM (the caller places it once)."""
        return text.encode(self.encoding)


def sniff_encoding(head: bytes, *, at_eof: bool) -> tuple[str, bytes, bool]:
    """(codec, BOM bytes, guessed) from the first bytes of a file.

    A BOM decides; otherwise UTF-8 if the sample decodes, else cp1252 (or Latin-1, which decodes
    any byte, when cp1252 leaves a byte undefined), stated as a guess.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, bom, False
    if b"\x00" in head:
        raise ToolError(
            "the file contains NUL bytes: it is binary, or UTF-16/32 without a byte order mark, "
            "which csv tools cannot read"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=at_eof)
        return "utf-8", b"", False
    except UnicodeDecodeError:
        pass
    return guess_legacy(head), b"", True


def guess_legacy(data: bytes) -> str:
    """cp1252 when every byte is defined there, else Latin-1 (lossless for any byte)."""
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff_dialect(sample: str, *, complete: bool) -> tuple[str, str]:
    """(delimiter, line terminator) from decoded text at the start of a file.

    A delimiter wins when it splits the first records into the same number (more than one) of
    fields; the most fields wins among those. A file with one column gets ",".
    """
    lines = sample.splitlines(keepends=True)
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample may be partial
    best, best_fields = ",", 1
    for delim in _DELIMITERS:
        counts = _field_counts(lines, delim)
        if counts and len(set(counts)) == 1 and counts[0] > best_fields:
            best, best_fields = delim, counts[0]
    if best_fields == 1:
        # No delimiter is consistent: take the one with the most fields on the header line.
        header = lines[0] if lines else ""
        scores = {d: header.count(d) for d in _DELIMITERS}
        top = max(_DELIMITERS, key=lambda d: scores[d])
        best = top if scores[top] else ","
    return best, _terminator(lines)


def _field_counts(lines: list[str], delim: str, records: int = 30) -> list[int]:
    reader = csv.reader(io.StringIO("".join(lines), newline=""), delimiter=delim)
    counts: list[int] = []
    try:
        for row in reader:
            if row:
                counts.append(len(row))
            if len(counts) >= records:
                break
    except csv.Error:
        pass
    return counts


def _terminator(lines: list[str]) -> str:
    for line in lines:
        for ending in ("\r\n", "\n", "\r"):
            if line.endswith(ending):
                return ending
    return "\n"


def sniff_bytes(data: bytes, *, at_eof: bool = True) -> CsvFormat:
    """The format of a file from its bytes: all of them (``at_eof``) or its first ones.

    Given the whole file, the UTF-8 check covers every byte; given a head, a later invalid byte
    is the reader's to handle.
    """
    encoding, bom, guessed = sniff_encoding(data, at_eof=at_eof)
    sample = data[len(bom) : len(bom) + SAMPLE_BYTES]
    text = sample.decode(encoding, errors="ignore")
    complete = at_eof and len(data) - len(bom) <= SAMPLE_BYTES
    delimiter, terminator = sniff_dialect(text, complete=complete)
    return CsvFormat(encoding, bom, guessed, delimiter, '"', terminator)


def default_format(rel_path: str) -> CsvFormat:
    """The format of a file csv_write creates: UTF-8, LF, tab for .tsv and comma otherwise."""
    delimiter = "\t" if rel_path.lower().endswith((".tsv", ".tab")) else ","
    return CsvFormat(delimiter=delimiter)
