"""Recipes: a session's approved actions as a reviewable, re-runnable, testable data file.

A recipe is ``NAME.recipe.toml``: TOML, read as data and never executed. ``make`` writes one
from a session; ``load``/``load_recipe`` read and check one; ``run`` replays its steps through
the same gate, journal and approvals as a live session (live steps hand one bounded task to the
model); ``dry_run`` previews them; ``run_recipe_test`` replays them against saved fixtures.
This package never imports the command line (``assistant.cli``); the CLI imports it.
"""

from __future__ import annotations

from pathlib import Path

from assistant.recipes._dry import dry_run
from assistant.recipes._fill import parse_overrides, resolve_params, valid_names
from assistant.recipes._fixtures import default_dir as default_fixtures_dir
from assistant.recipes._live import Person
from assistant.recipes._make import Made, live_defaults, make
from assistant.recipes._mark import LiveSpec, LiveStepError
from assistant.recipes._reader import load
from assistant.recipes._run import Options, RunReport, StepReport, run
from assistant.recipes._show import show
from assistant.recipes._spec import FORMAT, SUFFIX, NeedsModel, Param, Recipe, RecipeError, Step
from assistant.recipes._testing import RecipeTestResult, junit, run_recipe_test, save_fixtures


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe file (RecipeError says what is wrong and on which line)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise RecipeError(f"cannot read {p}: {exc.strerror or exc}") from None
    return load(data, str(p))


__all__ = [
    "FORMAT",
    "SUFFIX",
    "LiveSpec",
    "LiveStepError",
    "Made",
    "NeedsModel",
    "Options",
    "Param",
    "Person",
    "Recipe",
    "RecipeError",
    "RecipeTestResult",
    "RunReport",
    "Step",
    "StepReport",
    "default_fixtures_dir",
    "dry_run",
    "junit",
    "live_defaults",
    "load",
    "load_recipe",
    "make",
    "parse_overrides",
    "resolve_params",
    "run",
    "run_recipe_test",
    "save_fixtures",
    "show",
    "valid_names",
]
