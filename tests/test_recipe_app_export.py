"""The app's history exports recipes too: `x`, then `r`, writes NAME.recipe.toml privately under
the data folder, and the file is a recipe `assistant recipe run` accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App

from assistant.agent import events as ev
from assistant.journal import Journal
from assistant.recipes import load_recipe
from assistant.ui.screens.history import HistoryScreen
from assistant.ui.screens.session_actions import ExportDialog


class Host(App[None]):
    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal
        self.notes: list[str] = []

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append(str(message))
        super().notify(message, **kwargs)

    def on_mount(self) -> None:
        self.push_screen(HistoryScreen(self.journal))


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def one_session(path: Path, workspace: Path) -> tuple[Journal, str]:
    journal = Journal(path)
    sid = journal.create_session(model="m", workspace=str(workspace), title="write a csv")
    args = {"path": "out.csv", "mode": "create", "rows": [["a", "b"], ["1", "2"]]}
    for event in (
        ev.UserMessage("write a csv"),
        ev.ActionProposed(
            "a1", "c1", "csv_write", args, "write", "create out.csv: 1 row added", {},
            ["path:out.csv"], "",
        ),
        ev.ActionDecided("a1", "approve", "human"),
        ev.ActionApproved("a1", "human"),
        ev.ActionResult("a1", True, "wrote out.csv", data={"rows_after": 1, "bytes": 8}),
    ):  # fmt: skip
        journal.append(sid, event.kind, event.to_json())
    return journal, sid


async def test_x_then_r_exports_a_recipe_file_from_the_history(
    tmp_path: Path, assistant_home: Path
) -> None:
    journal, sid = one_session(tmp_path / "j.sqlite3", tmp_path)
    app = Host(journal)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, ExportDialog)
            await pilot.press("r")
            await settle(pilot)
            target = assistant_home / "data" / "exports" / f"session-{sid[:12]}.recipe.toml"
            assert app.notes == [f"exported recipe to {target}"]
    finally:
        journal.close()
    assert target.stat().st_mode & 0o777 == 0o600
    recipe = load_recipe(target)
    (step,) = recipe.steps
    assert step.tool == "csv_write" and step.args["path"] == "${output_csv}"
    assert recipe.params["output_csv"].value == "out.csv"
