"""docs/architecture.md names every package of the code and points only inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _packages() -> list[str]:
    found = []
    for top in ("assistant", "tools"):
        for init in sorted((ROOT / top).rglob("__init__.py")):
            found.append(init.parent.relative_to(ROOT).as_posix())
    return found


def test_every_package_is_described() -> None:
    """A package the page does not name is one a new reader cannot place (ui, export and
    recipes were missing once)."""
    missing = []
    for pkg in _packages():
        if pkg in ("assistant", "tools"):
            continue
        parent, _, name = pkg.rpartition("/")
        named = f"`{pkg}/`" in DOC or (f"`{name}/`" in DOC and f"`{parent}/`" in DOC)
        if not named:
            missing.append(pkg)
    assert missing == []


def test_every_path_it_names_exists() -> None:
    """Each file or folder the page names in backticks is in this repository; nothing points
    at a place a clone does not have."""
    assert "/work/" not in DOC and "shared/" not in DOC
    paths = set(re.findall(r"`((?:assistant|tools|tests|docs|bench)/[\w./]*)`", DOC))
    assert paths, "the page names no paths"
    gone = sorted(p for p in paths if not (ROOT / p).exists())
    assert gone == []
