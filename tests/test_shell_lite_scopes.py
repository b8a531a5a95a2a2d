"""'Allow for this session' on a shell write covers exactly what its label says: the command, the
folder and the kinds of change (create, overwrite, append, delete, move out of a folder) at the
depths it names. A person approves once with "remember"; later, broader actions must ask again.
Everything goes through the real gate and policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.agent.approval import Decision
from assistant.agent.event_log import EventLog
from assistant.agent.gate import Gate
from assistant.agent.policy import Policy
from tests.support.approvers import ScriptedApprover
from tools.base import Action, ToolContext
from tools.shell_lite import ShellTool
from tools.workspace import Workspace


class Session:
    """A gate whose scripted person says "approve, and allow for this session" the first time
    and plain "approve" after; ``asked`` lists the commands the person was asked about."""

    def __init__(self, ws: Path) -> None:
        self.remembered = False
        self.asked: list[str] = []
        self.approver = ScriptedApprover(self._answer)
        self.policy = Policy()
        ctx = ToolContext(workspace=Workspace(ws))
        self.gate = Gate(
            {"shell": ShellTool()}, ctx, self.policy, self.approver, EventLog(None, "s")
        )

    def _answer(self, action: Action) -> Decision:
        self.asked.append(action.args["command"])
        first = not self.remembered
        self.remembered = True
        return Decision("approve", remember=first)

    async def run(self, command: str) -> bool:
        """Run a command; True when the person was asked about it."""
        before = len(self.asked)
        outcome = await self.gate.execute("shell", {"command": command})
        assert outcome.status == "done", (command, outcome.text)
        return len(self.asked) > before


@pytest.fixture
def ws(workspace_dir: Path) -> Path:
    for name in ("a.txt", "b.txt", "c.txt"):
        (workspace_dir / name).write_text(f"{name}\n")
    (workspace_dir / "sub").mkdir()
    (workspace_dir / "sub" / "x.txt").write_text("x\n")
    (workspace_dir / "tree" / "deep").mkdir(parents=True)
    (workspace_dir / "tree" / "t.txt").write_text("t\n")
    (workspace_dir / "tree" / "deep" / "d.txt").write_text("d\n")
    return workspace_dir


async def test_a_grant_made_on_a_create_never_approves_an_overwrite_or_a_delete(ws: Path) -> None:
    s = Session(ws)
    assert await s.run("echo one > new1.txt")
    [grant] = s.policy.grants.values()
    assert grant.label == "shell redirect in the workspace top folder: create new files in it"
    assert not await s.run("echo two > new2.txt"), "another create in the folder is covered"
    assert await s.run("echo three > new1.txt"), "an overwrite must ask"
    assert await s.run("echo four >> new2.txt"), "an append to an existing file must ask"
    assert await s.run("echo five > sub/new.txt"), "another folder must ask"
    assert await s.run("rm new1.txt"), "a delete must ask"
    assert len(s.policy.grants) == 1


async def test_an_mv_grant_for_the_top_folder_never_moves_files_out_of_a_subfolder(
    ws: Path,
) -> None:
    s = Session(ws)
    assert await s.run("mv a.txt moved-a.txt")
    [grant] = s.policy.grants.values()
    assert grant.kinds == {"move@1", "create@1"}
    assert "move files or folders out of it" in grant.label
    assert "the workspace top folder" in grant.label and grant.label.startswith("shell mv ")
    assert not await s.run("mv b.txt moved-b.txt"), "the same kind of move is covered"
    assert await s.run("mv sub/x.txt x.txt"), "moving out of a subfolder must ask"
    assert await s.run("mv c.txt moved-b.txt"), "a move that overwrites must ask"


async def test_a_cp_grant_that_created_files_never_approves_a_cp_r_that_overwrites(
    ws: Path,
) -> None:
    s = Session(ws)
    assert await s.run("cp -r tree copy1")
    [grant] = s.policy.grants.values()
    assert grant.kinds == {"mkdir@1", "mkdir@2", "create@2", "create@3"}
    assert not await s.run("cp -r tree copy2"), "the same creations elsewhere are covered"
    (ws / "copy3" / "tree").mkdir(parents=True)
    (ws / "copy3" / "tree" / "t.txt").write_text("older\n")
    assert await s.run("cp -r tree copy3"), "a cp -r that overwrites must ask"
    assert (ws / "copy3" / "tree" / "t.txt").read_text() == "t\n"
    assert await s.run("cp a.txt copy1/t.txt"), "a plain overwrite must ask too"


async def test_a_cp_file_grant_does_not_cover_a_cp_r(ws: Path) -> None:
    s = Session(ws)
    assert await s.run("cp a.txt a-copy.txt")
    assert not await s.run("cp b.txt b-copy.txt")
    assert await s.run("cp -r tree tree-copy"), "new folders and deeper files must ask"


async def test_an_mkdir_grant_covers_exactly_the_depth_it_states(ws: Path) -> None:
    s = Session(ws)
    assert await s.run("mkdir -p n1/n2")
    [grant] = s.policy.grants.values()
    assert grant.label == (
        "shell mkdir in the workspace top folder: create new folders in it; "
        "create new folders 1 level below it"
    )
    assert not await s.run("mkdir -p m1/m2"), "the stated depth is covered"
    assert not await s.run("mkdir single"), "a shallower one too"
    assert await s.run("mkdir -p k1/k2/k3"), "one level deeper must ask"
    assert await s.run("mkdir sub/inner"), "another folder must ask"


async def test_rm_is_never_offered_for_the_session(ws: Path) -> None:
    s = Session(ws)
    assert await s.run("rm a.txt")
    assert not s.policy.grants
    assert await s.run("rm b.txt")
