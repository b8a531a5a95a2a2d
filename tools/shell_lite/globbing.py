"""Glob expansion (``*``, ``?``, ``[...]``) confined to the workspace, done by the tool, not a shell.

Patterns match bytes, as bash does in the C locale (``?`` is one byte, ``[z-a]`` matches nothing).
Listings come from the overlay (``VirtualFS.listdir``), so the app's own data and paths a deny
rule covers are never matched; a symbolic link is followed only where bash must know whether it
names a folder (``*/`` and every component before the last), and a link leading out of the
workspace there refuses the whole pattern rather than guessing what lies outside.
"""

from __future__ import annotations

import re
from pathlib import Path

from tools.base import ToolError
from tools.shell_lite.vfs import ABSENT, DIR, LINK, VirtualFS
from tools.workspace import PathEscapeError

MAX_MATCHES = 10_000


def _span(lo: int, hi: int) -> frozenset[int]:
    return frozenset(range(lo, hi + 1))


_CLASSES: dict[bytes, frozenset[int]] = {
    b"alpha": _span(65, 90) | _span(97, 122),
    b"digit": _span(48, 57),
    b"alnum": _span(48, 57) | _span(65, 90) | _span(97, 122),
    b"upper": _span(65, 90),
    b"lower": _span(97, 122),
    b"space": frozenset(b" \t\n\r\f\v"),
    b"blank": frozenset(b" \t"),
    b"punct": _span(33, 47) | _span(58, 64) | _span(91, 96) | _span(123, 126),
    b"xdigit": _span(48, 57) | _span(65, 70) | _span(97, 102),
    b"print": _span(32, 126),
    b"graph": _span(33, 126),
    b"cntrl": _span(0, 31) | {127},
}
_ALL = _span(0, 255)


class GlobError(ToolError):
    """A glob pattern shell-lite will not expand (or that matches nothing)."""


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def has_magic(part: str) -> bool:
    """True when a pattern part has an unescaped wildcard."""
    i = 0
    while i < len(part):
        if part[i] == "\\":
            i += 2
            continue
        if part[i] in "*?[":
            return True
        i += 1
    return False


def unescape(part: str) -> str:
    """The literal text of a pattern part without wildcards."""
    return re.sub(r"\\(.)", r"\1", part, flags=re.S)


def _byte(b: int) -> bytes:
    return b"\\x%02x" % b


def _lower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def _folded(chars: frozenset[int] | set[int], fold: bool) -> set[int]:
    """The bytes whose (case-folded, under ``fold``) value is among ``chars``."""
    if not fold:
        return set(chars)
    return {b for b in _ALL if _lower(b) in chars}


def _class(chars: set[int], negate: bool = False) -> bytes:
    """A regex matching one byte of the set (or of its complement)."""
    if negate:
        chars = set(_ALL) - chars
    if not chars:
        return b"(?!)"
    return b"[" + b"".join(_byte(b) for b in sorted(chars)) + b"]"


def _bracket(part: bytes, i: int, fold: bool = False) -> tuple[bytes, int] | None:
    """Translate ``[...]`` starting at ``part[i] == '['``; None when it is not closed (a literal
    '['). Under ``fold`` (glibc's FNM_CASEFOLD) letters and ranges compare case-folded while a
    class like [:upper:] tests the byte as it is."""
    if part.find(b"]", i + 2) < 0:
        return None  # never closed: the '[' is literal (checked first, so '[[[[...' is linear)
    j = i + 1
    negate = False
    if j < len(part) and part[j : j + 1] in (b"!", b"^"):
        negate = True
        j += 1
    chars: set[int] = set()
    first = True
    while j < len(part):
        c = part[j]
        if c == ord("]") and not first:
            return _class(chars, negate), j + 1
        first = False
        if c == ord("[") and part[j + 1 : j + 2] in (b":", b"=", b"."):
            kind = part[j + 1 : j + 2]
            end = part.find(kind + b"]", j + 2)
            if end > 0:
                name = part[j + 2 : end]
                if kind == b":":
                    if name not in _CLASSES:
                        raise GlobError(
                            f"unknown character class [:{name.decode('utf-8', 'replace')}:] in a "
                            "glob pattern"
                        )
                    chars |= _CLASSES[name]
                    j = end + 2
                    continue
                if len(name) != 1:
                    raise GlobError("only single characters are supported in [= =] and [. .]")
                chars |= _folded({_lower(name[0]) if fold else name[0]}, fold)
                j = end + 2
                continue
        if c == ord("\\") and j + 1 < len(part):
            j += 1
            c = part[j]
        if j + 2 < len(part) and part[j + 1] == ord("-") and part[j + 2] != ord("]"):
            hi = part[j + 2]
            end = j + 3
            if hi == ord("\\") and end < len(part):
                hi, end = part[end], end + 1
            if fold:
                c, hi = _lower(c), _lower(hi)
            chars |= _folded(_span(c, hi), fold)  # a reversed range like [z-a] is empty
            j = end
            continue
        chars |= _folded({_lower(c) if fold else c}, fold)
        j += 1
    return None


def translate(part: str, fold: bool = False) -> re.Pattern[bytes]:
    """A compiled bytes regex for one path component of a glob pattern (C locale); ``fold``
    matches as glibc's fnmatch with FNM_CASEFOLD does (find -iname)."""
    raw = encode(part)
    out: list[bytes] = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == ord("\\") and i + 1 < len(raw):
            out.append(_class(_folded({_lower(raw[i + 1]) if fold else raw[i + 1]}, fold)))
            i += 2
        elif c == ord("*"):
            out.append(b".*")
            i += 1
        elif c == ord("?"):
            out.append(b".")
            i += 1
        elif c == ord("["):
            got = _bracket(raw, i, fold)
            if got is None:
                out.append(_byte(c))
                i += 1
            else:
                out.append(got[0])
                i = got[1]
        else:
            out.append(_class(_folded({_lower(c) if fold else c}, fold)))
            i += 1
    return re.compile(b"".join(out), re.S)


def _join(prefix: str, name: str) -> str:
    if prefix == "":
        return name
    return prefix + name if prefix.endswith("/") else f"{prefix}/{name}"


def expand(fs: VirtualFS, pattern: str) -> list[str]:
    """The workspace paths a pattern matches, sorted bytewise (as bash sorts in the C locale);
    an error when none match or when it could reach outside (absolute, ``..``). Hidden names
    match only a pattern part starting with '.'."""
    if pattern.startswith("/"):
        raise PathEscapeError(
            f"{pattern!r}: absolute glob patterns are refused; use a relative one"
        )
    parts = pattern.split("/")
    if any(unescape(p) == ".." for p in parts):
        raise PathEscapeError(f"{pattern!r}: glob patterns may not contain '..'")
    resolve = _Resolver(fs)
    results = [""]
    for index, part in enumerate(parts):
        fs.check()
        last = index == len(parts) - 1
        if part == "":
            if index == 0:
                continue
            if last:  # a trailing slash: keep what is a folder
                results = [r + "/" for r in results if _folder(fs, resolve, r, pattern)]
            continue
        if not has_magic(part):
            literal = unescape(part)
            results = [_join(r, literal) for r in results]
            if last:
                results = [r for r in results if _exists(fs, resolve, r)]
            continue
        regex = translate(part)
        hidden_ok = part.startswith(".") or part.startswith("\\.")
        found: list[str] = []
        for prefix in results:
            if not _folder(fs, resolve, prefix or ".", pattern):
                continue
            base = resolve(prefix or ".")
            for name in fs.listdir(base):
                fs.check()
                if name.startswith(".") and not hidden_ok:
                    continue
                if not regex.fullmatch(encode(name)):
                    continue
                rel = _join(prefix, name)
                if not last and not _folder(fs, resolve, rel, pattern):
                    continue
                found.append(rel)
                if len(found) > MAX_MATCHES:
                    raise GlobError(f"{pattern!r} matches more than {MAX_MATCHES} paths")
        results = found
    results = sorted(set(results), key=encode)
    if not results:
        raise GlobError(
            f"no files match the glob pattern {pattern!r} (quote it to pass it as text)"
        )
    return results


class _Resolver:
    """Real paths of one expansion's candidates, each found from its parent's real path: a
    candidate through a link loop (``self/self/.../x``) costs one step, not one per level."""

    def __init__(self, fs: VirtualFS) -> None:
        self.fs = fs
        self.memo: dict[str, Path] = {}

    def __call__(self, rel: str) -> Path:
        key = rel.rstrip("/") or "."
        hit = self.memo.get(key)
        if hit is None:
            parent, _, name = key.rpartition("/")
            base = self.memo.get(parent or ".") if name not in ("", ".", "..") else None
            if base is None:
                hit = self.fs.resolve(rel)
            else:  # the same path the kernel walks: the parent, physically, then the name
                hit = self.fs.resolve(f"{self.fs.rel(base)}/{name}")
            self.memo[key] = hit
        return hit


def _folder(fs: VirtualFS, resolve: _Resolver, rel: str, pattern: str) -> bool:
    """Is ``rel`` a folder, following links as bash does? A link out of the workspace refuses
    the pattern: what it names cannot be checked without looking outside."""
    try:
        return fs.kind(resolve(rel)) == DIR
    except PathEscapeError:
        raise GlobError(
            f"the glob pattern {pattern!r} would follow {rel!r}, a symbolic link out of the "
            "workspace (or to the assistant's own data); name the paths instead"
        ) from None


def _exists(fs: VirtualFS, resolve: _Resolver, rel: str) -> bool:
    """A literal last component exists (a link counts even when dangling, as for lstat)."""
    parent, _, name = rel.rstrip("/").rpartition("/")
    try:
        base = resolve(parent or ".")
    except PathEscapeError:
        return False
    if fs.kind(base) != DIR:
        return False
    kind = fs.kind(base / name)
    if kind in (ABSENT,) or fs.hidden(base / name):
        return False
    if fs.denied(fs.rel(base / name)) is not None:
        fs.hidden_by_rule.add(fs.rel(base / name))
        return False
    return kind != LINK or not rel.endswith("/") or _folder(fs, resolve, rel, rel)
