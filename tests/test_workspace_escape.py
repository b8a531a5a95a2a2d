"""Every path form that leaves the workspace is refused: the resolver itself, then each shell command.

Forms: '..', absolute paths, '~', a symlink out, a symlinked parent, a sibling folder sharing the
workspace's name as a prefix (ws vs ws-evil), and the app's own data folder inside the workspace.
The csv and http tools add their own cases for their path arguments.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from assistant import paths
from tools.base import ToolContext, ToolError
from tools.shell_lite import ShellTool
from tools.workspace import PathEscapeError, Workspace


class Env:
    """A workspace with every kind of way out planted in it."""

    def __init__(self, tmp_path: Path, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ws = ws
        self.outside = tmp_path / "outside"
        self.outside.mkdir()
        (self.outside / "secret.txt").write_text("outside secret\n")
        self.sibling = Path(str(ws) + "-evil")  # shares the workspace's name as a prefix
        self.sibling.mkdir()
        (self.sibling / "secret.txt").write_text("sibling secret\n")
        (ws / "a.txt").write_text("inside\n")
        (ws / "sub").mkdir()
        (ws / "out_link").symlink_to(self.outside / "secret.txt")
        (ws / "out_dir").symlink_to(self.outside)
        (ws / "evil_dir").symlink_to(Path("..") / self.sibling.name)
        (ws / "dangling_out").symlink_to(self.outside / "not-yet.txt")
        # the app's own state lives inside the workspace here
        monkeypatch.setenv("ASSISTANT_HOME", str(ws / ".assistant"))
        paths.data_dir().mkdir(parents=True)
        paths.config_dir().mkdir(parents=True)
        paths.journal_file().write_bytes(b"journal")
        paths.config_file().write_text("model = 'x'\n")
        (ws / "data_link").symlink_to(paths.data_dir())
        self.workspace = Workspace(ws, protected=paths.protected_dirs())

    def snapshot(self) -> dict[str, bytes]:
        out = {}
        for root in (self.outside, self.sibling, self.ws / ".assistant"):
            for dirpath, _, files in os.walk(root):
                for name in files:
                    p = Path(dirpath, name)
                    out[str(p)] = p.read_bytes()
        return out


@pytest.fixture
def env(tmp_path: Path, workspace_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(tmp_path, workspace_dir, monkeypatch)


def file_forms(env: Env) -> dict[str, str]:
    return {
        "dotdot": "../outside/secret.txt",
        "dotdot-nested": "sub/../../outside/secret.txt",
        "absolute": str(env.outside / "secret.txt"),
        "absolute-inside": str(env.ws / "a.txt"),
        "tilde": "~/secret.txt",
        "symlink-out": "out_link",
        "dangling-symlink-out": "dangling_out",
        "symlinked-parent": "out_dir/secret.txt",
        "sibling-prefix": f"../{env.sibling.name}/secret.txt",
        "sibling-prefix-absolute": str(env.sibling / "secret.txt"),
        "symlink-to-sibling": "evil_dir/secret.txt",
        "app-data": ".assistant/data/journal.sqlite3",
        "app-config": ".assistant/config/config.toml",
        "symlink-to-app-data": "data_link/journal.sqlite3",
    }


def dir_forms(env: Env) -> dict[str, str]:
    return {
        "dotdot": "..",
        "dotdot-nested": "sub/../../outside",
        "absolute": str(env.outside),
        "root": "/",
        "tilde": "~",
        "symlinked-dir": "out_dir",
        "sibling-prefix": f"../{env.sibling.name}",
        "symlink-to-sibling": "evil_dir",
        "app-home": ".assistant",
        "app-data": ".assistant/data",
        "symlink-to-app-data": "data_link",
    }


FILE_COMMANDS = [
    "cat {p}",
    "head {p}",
    "tail -n 1 {p}",
    "wc {p}",
    "grep x {p}",
    "sort {p}",
    "uniq {p}",
    "cut -c1 {p}",
    "ls {p}",
    "find {p}",
    "cat a.txt {p}",
    "cat a.txt | grep -c x {p}",
    "echo x > {p}",
    "echo x >> {p}",
    "touch {p}",
    "rm {p}",
    "rm -f {p}",
    "cp a.txt {p}",
    "cp {p} copy.txt",
    "mv {p} moved.txt",
    "mv a.txt {p}",
    "mkdir {p}",
]
DIR_COMMANDS = [
    "ls {p}",
    "ls -R {p}",
    "find {p}",
    "grep -r x {p}",
    "mkdir -p {p}/new",
    "rm -r {p}",
    "rm -rf {p}",
    "cp -r {p} copy",
    "cp a.txt {p}",
    "mv {p} moved",
    "mv a.txt {p}",
    "touch {p}/t",
    "ls {p}/*",
    "cat {p}/*",
]
FILE_KEYS = [
    "dotdot",
    "dotdot-nested",
    "absolute",
    "absolute-inside",
    "tilde",
    "symlink-out",
    "dangling-symlink-out",
    "symlinked-parent",
    "sibling-prefix",
    "sibling-prefix-absolute",
    "symlink-to-sibling",
    "app-data",
    "app-config",
    "symlink-to-app-data",
]
DIR_KEYS = [
    "dotdot",
    "dotdot-nested",
    "absolute",
    "root",
    "tilde",
    "symlinked-dir",
    "sibling-prefix",
    "symlink-to-sibling",
    "app-home",
    "app-data",
    "symlink-to-app-data",
]


# -- the resolver itself --------------------------------------------------------------------


@pytest.mark.parametrize("form", FILE_KEYS)
def test_resolver_refuses_file_forms(env: Env, form: str) -> None:
    with pytest.raises(PathEscapeError):
        env.workspace.resolve(file_forms(env)[form])


@pytest.mark.parametrize("form", DIR_KEYS)
def test_resolver_refuses_folder_forms(env: Env, form: str) -> None:
    with pytest.raises(PathEscapeError):
        env.workspace.resolve(dir_forms(env)[form])


@pytest.mark.parametrize("rel", ["", "a\x00b"])
def test_resolver_refuses_empty_and_nul(env: Env, rel: str) -> None:
    with pytest.raises(PathEscapeError):
        env.workspace.resolve(rel)


@pytest.mark.parametrize(
    ("rel", "expected"),
    [("a.txt", "a.txt"), ("sub/../a.txt", "a.txt"), ("./sub/", "sub"), (".", ".")],
)
def test_resolver_allows_inside_paths(env: Env, rel: str, expected: str) -> None:
    assert env.workspace.relative(env.workspace.resolve(rel)) == expected


def test_sibling_prefix_is_compared_by_components_not_strings(env: Env) -> None:
    assert str(env.sibling).startswith(str(env.ws))
    with pytest.raises(PathEscapeError, match="outside the workspace"):
        env.workspace.resolve(f"../{env.sibling.name}")


def test_app_data_message_names_it(env: Env) -> None:
    with pytest.raises(PathEscapeError, match="assistant's own data"):
        env.workspace.resolve(".assistant/data")


def test_atomic_write_and_relative_refuse_outside_paths(env: Env) -> None:
    with pytest.raises(PathEscapeError):
        env.workspace.atomic_write(env.outside / "secret.txt", b"pwned")
    with pytest.raises(PathEscapeError):
        env.workspace.relative(env.outside)
    assert (env.outside / "secret.txt").read_text() == "outside secret\n"


def test_atomic_write_gives_new_files_ordinary_permissions(env: Env) -> None:
    previous = os.umask(0o022)
    try:
        env.workspace.atomic_write(env.ws / "new.txt", b"x")
    finally:
        os.umask(previous)
    assert (env.ws / "new.txt").stat().st_mode & 0o777 == 0o644
    os.chmod(env.ws / "a.txt", 0o600)
    env.workspace.atomic_write(env.ws / "a.txt", b"y")
    assert (env.ws / "a.txt").stat().st_mode & 0o777 == 0o600


def test_symlink_loop_is_an_error_not_a_hang(env: Env) -> None:
    (env.ws / "loop1").symlink_to("loop2")
    (env.ws / "loop2").symlink_to("loop1")
    ctx = ToolContext(workspace=env.workspace)
    tool = ShellTool()
    result = tool.run(tool.plan({"command": "cat loop1"}, ctx), ctx)
    assert not result.ok and "loop1" in result.output


# -- every shell command, every form ----------------------------------------------------------

FILE_CASES = [(c, f) for c in FILE_COMMANDS for f in FILE_KEYS]
# A new file directly in ASSISTANT_HOME (not in its config or data folder) is not the app's state.
DIR_CASES = [
    (c, f) for c in DIR_COMMANDS for f in DIR_KEYS if (c, f) != ("touch {p}/t", "app-home")
]


def _refused(env: Env, template: str, target: str) -> None:
    before = env.snapshot()
    command = template.format(p=shlex.quote(target))
    ctx = ToolContext(workspace=env.workspace)
    with pytest.raises(ToolError):
        ShellTool().plan({"command": command}, ctx)
    assert env.snapshot() == before


@pytest.mark.parametrize(("template", "form"), FILE_CASES, ids=[f"{c}|{f}" for c, f in FILE_CASES])
def test_shell_refuses_file_escapes(env: Env, template: str, form: str) -> None:
    _refused(env, template, file_forms(env)[form])


@pytest.mark.parametrize(("template", "form"), DIR_CASES, ids=[f"{c}|{f}" for c, f in DIR_CASES])
def test_shell_refuses_folder_escapes(env: Env, template: str, form: str) -> None:
    _refused(env, template, dir_forms(env)[form])


@pytest.mark.parametrize(
    "command",
    [
        "cat ../*",
        "ls /*",
        "cat */secret.txt",
        "cat .*/journal.sqlite3",
        "cat out_dir/*",
        "cat .assistant/*/*",
        "ls ../ws*",
    ],
)
def test_globs_never_reach_outside(env: Env, command: str) -> None:
    ctx = ToolContext(workspace=env.workspace)
    with pytest.raises(ToolError):
        ShellTool().plan({"command": command}, ctx)


@pytest.mark.parametrize(
    "command",
    [
        "find .",
        "ls -aR",
        "grep -r secret",
        "grep -r journal .",
        "ls -a",
        "find . -name '*.sqlite3'",
        "echo *",
    ],
)
def test_walks_and_globs_skip_links_out_and_the_app_data(env: Env, command: str) -> None:
    ctx = ToolContext(workspace=env.workspace)
    tool = ShellTool()
    result = tool.run(tool.plan({"command": command}, ctx), ctx)
    assert "secret" not in result.output.replace("grep -r secret", "")
    assert ".assistant" not in result.output and "journal" not in result.output


def test_rm_r_of_the_workspace_top_is_refused(env: Env) -> None:
    ctx = ToolContext(workspace=env.workspace)
    for command in ("rm -r .", "rm -rf sub/..", "mv . x"):
        with pytest.raises(ToolError):
            ShellTool().plan({"command": command}, ctx)
