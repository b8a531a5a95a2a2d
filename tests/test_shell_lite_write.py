"""Writes: every touched path previewed (diffs, rm -r listing), before-images kept, undo exact, stale refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import undo_path
from tests.support.undo_path import snapshot
from tools.base import Action, Effect, StaleActionError, ToolContext, ToolError
from tools.shell_lite import ShellLimits, ShellTool
from tools.workspace import Workspace


@pytest.fixture
def ws(workspace_dir: Path) -> Path:
    (workspace_dir / "a.txt").write_bytes(b"pear\napple\nfig\n")
    (workspace_dir / "noeol.txt").write_bytes(b"one\ntwo")
    (workspace_dir / "bin.dat").write_bytes(b"\x00\x01\xffdata")
    (workspace_dir / "tree" / "sub").mkdir(parents=True)
    (workspace_dir / "tree" / "x.txt").write_bytes(b"x\n")
    (workspace_dir / "tree" / "sub" / "y.txt").write_bytes(b"y\r\n")
    (workspace_dir / "tree" / "sub" / "empty").mkdir()
    return workspace_dir


def ctx_for(ws: Path) -> ToolContext:
    return ToolContext(workspace=Workspace(ws))


def plan(ws: Path, command: str, tool: ShellTool | None = None) -> Action:
    return (tool or ShellTool()).plan({"command": command}, ctx_for(ws))


def run_and_undo(ws: Path, command: str) -> tuple[Action, dict[str, bytes | None]]:
    """Plan (and check that planning changed nothing), then the real path: run through the gate
    (`assistant tool`), undo with `assistant undo`, and check the tree is exactly as before."""
    before = snapshot(ws)
    action = plan(ws, command)
    assert snapshot(ws) == before, "plan must not touch the disk"
    assert action.effect == Effect.WRITE
    action_id = undo_path.tool(ws, "shell", {"command": command})
    images = undo_path.images_of(action_id)
    assert snapshot(ws) != before
    assert undo_path.undo(action_id, "--approve", "all") == 0
    assert snapshot(ws) == before, "undo must restore the exact bytes, folders and modes"
    return action, images


def test_redirect_creates_a_file_with_a_diff_preview(ws: Path) -> None:
    action = plan(ws, "sort a.txt > sorted.txt")
    assert action.targets == ("path:sorted.txt",)
    text = action.preview.text
    assert "create  sorted.txt (15 B)" in text
    assert "+++ b/sorted.txt" in text and "+apple\n+fig\n+pear" in text
    assert action.preview.data["changes"][0]["action"] == "create"
    assert action.scope is not None and action.scope.key == "shell:redirect:."
    assert action.scope.kinds == {"create@1"}
    result = ShellTool().run(action, ctx_for(ws))
    assert (ws / "sorted.txt").read_bytes() == b"apple\nfig\npear\n"
    assert dict(result.before_images) == {"sorted.txt": None}
    assert "changed: create sorted.txt" in result.output


def test_overwrite_shows_a_unified_diff_and_undo_restores_bytes(ws: Path) -> None:
    action, images = run_and_undo(ws, "sort a.txt > noeol.txt")
    assert images == {"noeol.txt": b"one\ntwo"}
    text = action.preview.text
    assert "modify  noeol.txt (7 B -> 15 B)" in text
    assert "--- a/noeol.txt" in text and "-two\n\\ No newline at end of file" in text


def test_sort_into_its_own_input_empties_it_as_bash_does(ws: Path) -> None:
    """bash opens (and empties) the redirect target before sort reads it: the result is an
    empty file, as in GNU (this used to sort in place, a silent difference), and the preview
    says why."""
    action = plan(ws, "sort a.txt > a.txt")
    assert "the redirect empties a.txt before sort reads it" in action.preview.text
    ShellTool().run(action, ctx_for(ws))
    assert (ws / "a.txt").read_bytes() == b""


def test_append(ws: Path) -> None:
    _, images = run_and_undo(ws, "echo more >> noeol.txt")
    assert images == {"noeol.txt": b"one\ntwo"}
    ShellTool().run(plan(ws, "echo more >> noeol.txt"), ctx_for(ws))
    assert (ws / "noeol.txt").read_bytes() == b"one\ntwomore\n"


def test_binary_overwrite_is_shown_by_size(ws: Path) -> None:
    action = plan(ws, "echo text > bin.dat")
    assert "binary: 7 B -> 5 B" in action.preview.text


def test_mkdir_p_records_new_folders(ws: Path) -> None:
    action, images = run_and_undo(ws, "mkdir -p new/deep/er tree/sub")
    assert images == {"new/": None, "new/deep/": None, "new/deep/er/": None}
    assert "mkdir   new/deep/er/" in action.preview.text


def test_mkdir_existing_without_p_is_an_error(ws: Path) -> None:
    with pytest.raises(ToolError, match="File exists"):
        plan(ws, "mkdir tree")


def test_touch(ws: Path) -> None:
    _, images = run_and_undo(ws, "touch a.txt fresh.txt")
    # a.txt keeps its bytes and mode (only its time changes), so there is nothing to put back
    assert images == {"fresh.txt": None}


def test_cp_file_and_tree(ws: Path) -> None:
    _, images = run_and_undo(ws, "cp a.txt tree/x.txt")
    assert images == {"tree/x.txt": b"x\n"}
    action, images = run_and_undo(ws, "cp -r tree copy")
    assert images == {
        "copy/": None,
        "copy/sub/": None,
        "copy/sub/empty/": None,
        "copy/sub/y.txt": None,
        "copy/x.txt": None,
    }
    assert action.scope is not None and action.scope.key == "shell:cp:."
    assert action.scope.kinds == {"mkdir@1", "mkdir@2", "mkdir@3", "create@2", "create@3"}
    assert action.scope.label.startswith("shell cp in the workspace top folder: ")


def test_cp_into_itself_and_without_r_are_refused(ws: Path) -> None:
    with pytest.raises(ToolError, match="into itself"):
        plan(ws, "cp -r tree tree/sub")
    with pytest.raises(ToolError, match="-r not specified"):
        plan(ws, "cp tree elsewhere")


def test_mv_keeps_both_source_and_destination(ws: Path) -> None:
    _, images = run_and_undo(ws, "mv a.txt noeol.txt")
    assert images == {"a.txt": b"pear\napple\nfig\n", "noeol.txt": b"one\ntwo"}
    _, images = run_and_undo(ws, "mv tree/sub .")
    assert images == {
        "tree/sub/": b"",
        "tree/sub/empty/": b"",
        "tree/sub/y.txt": b"y\r\n",
        "sub/": None,
        "sub/empty/": None,
        "sub/y.txt": None,
    }


def test_mv_into_non_empty_folder_is_refused(ws: Path) -> None:
    (ws / "dest" / "tree").mkdir(parents=True)
    (ws / "dest" / "tree" / "keep").write_text("k")
    with pytest.raises(ToolError, match="Directory not empty"):
        plan(ws, "mv tree dest")


def test_rm_r_lists_everything_that_goes(ws: Path) -> None:
    action, images = run_and_undo(ws, "rm -r tree")
    for line in [
        "rmdir   tree/",
        "delete  tree/x.txt (2 B)",
        "rmdir   tree/sub/",
        "rmdir   tree/sub/empty/",
        "delete  tree/sub/y.txt (3 B)",
    ]:
        assert line in action.preview.text
    assert set(action.targets) == {
        "path:tree",
        "path:tree/x.txt",
        "path:tree/sub",
        "path:tree/sub/empty",
        "path:tree/sub/y.txt",
    }
    assert images["tree/sub/y.txt"] == b"y\r\n" and images["tree/sub/empty/"] == b""
    assert action.scope is None, "rm is never allowed for a whole session"


def test_rm_rules(ws: Path) -> None:
    with pytest.raises(ToolError, match="Is a directory"):
        plan(ws, "rm tree")
    with pytest.raises(ToolError, match="No such file"):
        plan(ws, "rm nothing")
    assert plan(ws, "rm -f nothing").preview.text.endswith("no file would change")
    for bad in ("rm -r .", "rm -r tree/..", "rm -rf ./"):
        with pytest.raises(ToolError, match="refusing"):
            plan(ws, bad)


def test_symbolic_links_are_never_moved_or_removed(ws: Path) -> None:
    (ws / "link").symlink_to("a.txt")
    (ws / "tree" / "inner").symlink_to("../a.txt")
    with pytest.raises(ToolError, match="symbolic link"):
        plan(ws, "rm link")
    with pytest.raises(ToolError, match="link or special file"):
        plan(ws, "rm -r tree")
    with pytest.raises(ToolError, match="symbolic link"):
        plan(ws, "mv link b")
    # writing through a link inside the workspace writes its target, recorded by its real path
    _, images = run_and_undo(ws, "echo hi > link")
    assert images == {"a.txt": b"pear\napple\nfig\n"}


def test_stale_target_is_refused(ws: Path) -> None:
    action = plan(ws, "sort a.txt > noeol.txt")
    (ws / "noeol.txt").write_bytes(b"changed meanwhile")
    with pytest.raises(StaleActionError, match="nothing was written"):
        ShellTool().run(action, ctx_for(ws))
    assert (ws / "noeol.txt").read_bytes() == b"changed meanwhile"


def test_changed_input_is_stale_when_the_result_would_differ(ws: Path) -> None:
    action = plan(ws, "sort a.txt > out.txt")
    (ws / "a.txt").write_bytes(b"zebra\n")
    with pytest.raises(StaleActionError):
        ShellTool().run(action, ctx_for(ws))
    assert not (ws / "out.txt").exists()


def test_rm_r_is_stale_when_a_file_appears(ws: Path) -> None:
    action = plan(ws, "rm -r tree")
    (ws / "tree" / "late.txt").write_text("new")
    with pytest.raises(StaleActionError):
        ShellTool().run(action, ctx_for(ws))
    assert (ws / "tree" / "late.txt").exists()


def test_run_refuses_an_action_whose_effect_was_altered(ws: Path) -> None:
    action = plan(ws, "rm a.txt")
    forged = Action(
        tool="shell",
        args=action.args,
        effect=Effect.READ,
        summary="",
        preview=action.preview,
        fingerprint=action.fingerprint,
    )
    with pytest.raises(ToolError, match="planned as a read"):
        ShellTool().run(forged, ctx_for(ws))
    assert (ws / "a.txt").exists()


def test_reads_are_read_effect_and_name_their_paths(ws: Path) -> None:
    action = plan(ws, "grep -c p a.txt tree/x.txt | sort")
    assert action.effect == Effect.READ
    assert action.targets == ("path:a.txt", "path:tree/x.txt")
    assert action.scope is None


def test_limits_on_paths_and_bytes(ws: Path) -> None:
    with pytest.raises(ToolError, match="would touch 5 paths, over the limit of 3"):
        plan(ws, "rm -r tree", ShellTool(ShellLimits(paths=3)))
    with pytest.raises(ToolError, match="limit for one write"):
        plan(ws, "cat a.txt a.txt > noeol.txt", ShellTool(ShellLimits(write_bytes=35)))
    with pytest.raises(ToolError, match="for the redirect is over the 20 B limit"):
        plan(ws, "cat a.txt a.txt > big.txt", ShellTool(ShellLimits(write_bytes=20)))


def test_preview_escapes_control_and_bidi_characters(ws: Path) -> None:
    (ws / "evil\x1b[31m.txt").write_bytes(b"safe\n")
    action = plan(ws, "echo 'x\u202ey' > 'evil\x1b[31m.txt'")
    assert "\x1b" not in action.preview.text and "\u202e" not in action.preview.text
    assert "evil\\x1b[31m.txt" in action.preview.text and "x\\u202ey" in action.preview.text
    assert action.preview.data["changes"][0]["path"] == "evil\x1b[31m.txt"


def test_action_and_result_are_json_able(ws: Path) -> None:
    import json

    action = plan(ws, "sort a.txt > tree/out.txt")
    json.dumps(action.preview.to_json())
    json.dumps(dict(action.state))
    result = ShellTool().run(action, ctx_for(ws))
    json.dumps(dict(result.data))
    assert result.display == "exit 0 · 0 B · 1 path"


def test_session_scope_is_narrow(ws: Path) -> None:
    first = plan(ws, "echo a > tree/one.txt").scope
    same = plan(ws, "echo b > tree/two.txt").scope
    other_folder = plan(ws, "echo a > one.txt").scope
    overwrite = plan(ws, "echo a > tree/x.txt").scope
    append = plan(ws, "echo a >> tree/x.txt").scope
    assert first is not None and same is not None and other_folder is not None
    assert overwrite is not None and append is not None
    assert first.key == same.key == overwrite.key == append.key == "shell:redirect:tree"
    assert first.kinds == same.kinds == {"create@1"}
    assert overwrite.kinds == {"overwrite@1"} and append.kinds == {"append@1"}
    assert first.label == "shell redirect in the folder tree/: create new files in it"
    assert other_folder.key != first.key
