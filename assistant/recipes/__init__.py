"""Recipes: a session's approved actions as a reviewable, re-runnable script, and its runner.

A recipe is a Python file whose RECIPE, PARAMS and STEPS are plain literals; it is read with
``ast`` (never executed) by ``assistant recipe run``, and ``python recipe.py`` hands over to that.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.recipes._make import make_recipe
from assistant.recipes._run import RunReport, dry_run, parse_overrides, run
from assistant.recipes._source import Recipe, RecipeError, Step, load


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe file (RecipeError says what is wrong and where)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise RecipeError(f"cannot read {p}: {exc.strerror or exc}") from None
    return load(data, str(p))


def script_main(path: str) -> int:
    """What a recipe's footer calls: `python recipe.py ARGS` = `assistant recipe run recipe.py ARGS`."""
    from assistant.cli import main

    return main(["recipe", "run", path, *sys.argv[1:]])


__all__ = [
    "Recipe",
    "RecipeError",
    "RunReport",
    "Step",
    "dry_run",
    "load",
    "load_recipe",
    "make_recipe",
    "parse_overrides",
    "run",
    "script_main",
]
