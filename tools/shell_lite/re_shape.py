"""The shape of a translated regular expression: how much a backtracking engine may explore
from one start position. grep runs a pattern in Python's ``re`` (fast, but without a time limit)
only when its shape bounds that work, whatever the input (see ``grep_match``)."""

from __future__ import annotations

from dataclasses import dataclass

CAP = 1 << 20


@dataclass(frozen=True)
class Shape:
    """How much a backtracking engine may explore when one branch fails or succeeds: the
    grounds for running it in Python's ``re`` (no time limit) instead of ``regex``."""

    product: int = 1
    """Ways the bounded choices (a?, a{2,4}, (a|b)) can combine, capped at CAP."""
    unbounded: int = 0
    """Atoms repeated without bound (*, +, {m,}), or groups holding one."""
    last_unbounded: bool = False
    """The one unbounded atom is the branch's last: greedy, never given back."""
    nested: bool = False
    """A repetition of something that has choices itself ((a|b)*, (a*)*, a{2}{3})."""
    anchored: bool = False
    """Begins with '^': tried once per line, not at every position."""
    choices: int = 0
    """Atoms with more than one way to match, at any depth (-o needs at most one)."""
    alternation: bool = False
    """An alternative inside a group."""


@dataclass(frozen=True)
class Atom:
    """One atom of a branch (a character, a class, a group) with its repetition."""

    choices: int | None = 1
    """Ways it can match by itself; None when it holds an unbounded repetition."""
    nested: bool = False
    inner: int = 0
    """Atoms with choices inside it."""
    alternation: bool = False


SIMPLE = Atom()


def repeated(info: Atom, quantifiers: list[bytes]) -> Atom:
    """An atom after its repetition operators: how many ways it may now match."""
    if not quantifiers:
        return info
    q = quantifiers[0]
    unbounded = q in (b"*", b"+") or q.endswith(b",}")
    fixed = info.choices == 1
    if len(quantifiers) > 1 or not (fixed or (q == b"?" and info.choices is not None)):
        return Atom(None, True, info.inner + 1, info.alternation)
    if unbounded:
        return Atom(None, info.nested, info.inner + 1, info.alternation)
    if q == b"?":
        ways = (info.choices or 1) + 1
    else:
        low, _, high = q[1:-1].partition(b",")
        ways = int(high) - int(low or b"0") + 1 if _ else 1
    return Atom(ways, info.nested, info.inner + (ways > 1), info.alternation)


def shape(atoms: list[Atom], anchored: bool) -> Shape:
    product = 1
    for atom in atoms:
        if atom.choices is not None:
            product = min(CAP, product * atom.choices)
    loose = [i for i, atom in enumerate(atoms) if atom.choices is None]
    return Shape(
        product=product,
        unbounded=len(loose),
        last_unbounded=loose == [len(atoms) - 1],
        nested=any(atom.nested for atom in atoms),
        anchored=anchored,
        choices=sum(atom.inner for atom in atoms),
        alternation=any(atom.alternation for atom in atoms),
    )
