"""The command-line parser: words, quotes, pipes and redirects; everything else a shell does is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.base import ToolError

GLOB_CHARS = frozenset("*?[")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


class ParseError(ToolError):
    """The command line uses a shell feature shell-lite does not have (or is malformed)."""


@dataclass(frozen=True)
class Word:
    """One argument after quote removal.

    ``glob`` is set only when the word has unquoted ``* ? [``: it is the pattern with every
    quoted wildcard or backslash escaped as ``\\c``, so only the unquoted ones act as wildcards.
    """

    text: str
    glob: str | None = None


@dataclass(frozen=True)
class Redirect:
    """``> target`` (append False) or ``>> target`` (append True); always at the end of the pipeline."""

    append: bool
    target: Word


@dataclass(frozen=True)
class Stage:
    """One command of a pipeline: its words (name first) and, on the last stage only, a redirect."""

    words: tuple[Word, ...]
    redirect: Redirect | None = None

    @property
    def name(self) -> str:
        return self.words[0].text


@dataclass(frozen=True)
class Pipeline:
    """Commands joined by ``|``; data flows left to right in memory."""

    stages: tuple[Stage, ...]

    @property
    def redirect(self) -> Redirect | None:
        return self.stages[-1].redirect


class _Op(str):
    """An operator token (``|``, ``>`` or ``>>``), kept apart from a word that merely spells one."""


_REFUSED = {
    ";": "';' (running several commands) is not supported: make one call per command",
    "&": "'&' and '&&' (background jobs, command chains) are not supported: make one call per command",
    "<": "input redirection '<' is not supported: name the file as an argument instead",
    "(": "'(' and ')' (subshells, grouping) are not supported",
    ")": "'(' and ')' (subshells, grouping) are not supported",
    "$": "'$' (variables, $(...) command substitution, $'...' quoting) is not supported: "
    "write values literally, inside single quotes if they contain special characters",
    "`": "backticks (command substitution) are not supported",
    "{": "unquoted braces are not supported (no brace expansion): quote the argument, e.g. 'a{1,2}'",
    "}": "unquoted braces are not supported (no brace expansion): quote the argument, e.g. 'a{1,2}'",
    "\n": "a command line is one line: newlines (several commands) are not supported",
    "\r": "a command line is one line: carriage returns are not supported",
}


class _WordBuilder:
    """Collects the characters of one word with, for each, whether it was quoted."""

    def __init__(self) -> None:
        self.chars: list[tuple[str, bool]] = []
        self.started = False

    def add(self, text: str, quoted: bool) -> None:
        self.started = True
        self.chars.extend((c, quoted) for c in text)

    def build(self) -> Word:
        text = "".join(c for c, _ in self.chars)
        _refuse_assignment_tilde(self.chars)
        if not any(c in GLOB_CHARS and not q for c, q in self.chars):
            return Word(text)
        pattern = []
        for c, quoted in self.chars:
            if quoted and c in "*?[]\\":
                pattern.append("\\" + c)
            else:
                pattern.append(c)
        return Word(text, "".join(pattern))


def _refuse_assignment_tilde(chars: list[tuple[str, bool]]) -> None:
    """bash expands '~' after the '=' of a word shaped like an assignment, and after each ':'
    in it (``echo a=~`` prints ``a=/home/me``), even as an argument: refused, not guessed."""
    prefix = "".join(c for c, _ in chars[:64])
    m = _ASSIGNMENT.match(prefix)
    if m is None or any(q for _, q in chars[: m.end()]):
        return
    for i in range(m.end(), len(chars)):
        c, quoted = chars[i]
        if c == "~" and not quoted and (i == m.end() or chars[i - 1] == (":", False)):
            raise ParseError(
                "'~' after '=' or ':' in NAME=VALUE is expanded by bash to a home directory: "
                "quote it ('~') to mean the character"
            )


def tokenize(line: str) -> list[Word | _Op]:
    """Split a command line into words and the operators ``|``, ``>``, ``>>``."""
    tokens: list[Word | _Op] = []
    word = _WordBuilder()
    i, n = 0, len(line)

    def finish() -> None:
        nonlocal word
        if word.started:
            tokens.append(word.build())
        word = _WordBuilder()

    while i < n:
        c = line[i]
        if c in " \t":
            finish()
            i += 1
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ParseError("unterminated single quote (')")
            word.add(line[i + 1 : end], True)
            i = end + 1
        elif c == '"':
            i = _double_quoted(line, i + 1, word)
        elif c == "\\":
            if i + 1 >= n:
                raise ParseError("the command line ends with a lone backslash")
            if line[i + 1] in "\n\r":
                raise ParseError(_REFUSED["\n"])
            word.add(line[i + 1], True)
            i += 2
        elif c == "|":
            if line.startswith("||", i):
                raise ParseError(
                    "'||' (run on failure) is not supported: make one call per command"
                )
            if line.startswith("|&", i):
                raise ParseError("'|&' (piping stderr) is not supported")
            finish()
            tokens.append(_Op("|"))
            i += 1
        elif c == ">":
            if word.started and word.chars and all(ch.isdigit() and not q for ch, q in word.chars):
                raise ParseError(
                    f"file-descriptor redirects like '{word.build().text}>' are not supported: "
                    "only '>' and '>>' for the output"
                )
            if line.startswith(">&", i) or line.startswith(">|", i):
                raise ParseError(f"'{line[i : i + 2]}' is not supported: only '>' and '>>'")
            finish()
            if line.startswith(">>", i):
                if line.startswith(">>>", i) or line.startswith(">>&", i):
                    raise ParseError(f"'{line[i : i + 3]}' is not supported: only '>' and '>>'")
                tokens.append(_Op(">>"))
                i += 2
            else:
                tokens.append(_Op(">"))
                i += 1
        elif c in _REFUSED:
            raise ParseError(_REFUSED[c])
        elif c == "#" and not word.started:
            raise ParseError("comments ('#' at the start of a word) are not supported: quote it")
        elif c == "~" and not word.started:
            raise ParseError(
                "'~' (home directory) is not expanded: use a path relative to the workspace"
            )
        else:
            word.add(c, False)
            i += 1
    finish()
    return tokens


def _double_quoted(line: str, i: int, word: _WordBuilder) -> int:
    """Read a "..." string starting after the quote; return the index after the closing quote."""
    word.add("", True)
    n = len(line)
    while i < n:
        c = line[i]
        if c == '"':
            return i + 1
        if c == "$":
            raise ParseError(_REFUSED["$"] + " (inside double quotes too)")
        if c == "`":
            raise ParseError(_REFUSED["`"])
        if c in "\n\r":
            raise ParseError(_REFUSED["\n"])
        if c == "\\" and i + 1 < n and line[i + 1] in '$`"\\':
            word.add(line[i + 1], True)
            i += 2
            continue
        word.add(c, True)
        i += 1
    raise ParseError('unterminated double quote (")')


def parse(line: str) -> Pipeline:
    """Parse a command line into a pipeline, with a specific message for each refused feature."""
    if not isinstance(line, str):
        raise ParseError("command must be a string")
    if not line.strip():
        raise ParseError("the command is empty")
    if "\x00" in line:
        raise ParseError("the command contains a NUL character")
    groups: list[list[Word | _Op]] = [[]]
    for tok in tokenize(line):
        if isinstance(tok, _Op) and tok == "|":
            groups.append([])
        else:
            groups[-1].append(tok)
    stages = []
    for index, group in enumerate(groups):
        last = index == len(groups) - 1
        stages.append(_stage(group, last, len(groups) > 1))
    return Pipeline(tuple(stages))


def _stage(tokens: list[Word | _Op], last: bool, piped: bool) -> Stage:
    words: list[Word] = []
    redirect: Redirect | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if isinstance(tok, _Op):
            if i + 1 >= len(tokens) or isinstance(tokens[i + 1], _Op):
                raise ParseError(f"'{tok}' must be followed by a file name")
            target = tokens[i + 1]
            assert isinstance(target, Word)
            if redirect is not None:
                raise ParseError("only one output redirect ('>' or '>>') is allowed")
            if not last:
                raise ParseError(
                    "a redirect ('>' or '>>') is only allowed on the last command of a pipeline"
                )
            if target.glob is not None:
                raise ParseError(f"the redirect target {target.text!r} may not be a glob pattern")
            if target.text == "":
                raise ParseError("the redirect target is an empty file name")
            redirect = Redirect(append=tok == ">>", target=target)
            i += 2
            continue
        words.append(tok)
        i += 1
    if not words:
        if piped:
            raise ParseError("empty command in a pipeline: '|' needs a command on both sides")
        raise ParseError("a redirect needs a command before it")
    first = words[0]
    if first.glob is not None:
        raise ParseError(f"the command name {first.text!r} may not be a glob pattern")
    if _ASSIGNMENT.match(first.text):
        raise ParseError("variable assignments (NAME=value) are not supported")
    if first.text == "!":
        raise ParseError("'!' (negating a pipeline) is not supported")
    return Stage(tuple(words), redirect)
