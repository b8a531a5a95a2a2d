"""The command-line parser: quoting like a POSIX shell, and a specific refusal for each shell feature."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.shell_oracle import tool_run
from tools.base import ToolContext, ToolError
from tools.shell_lite import ShellTool
from tools.shell_lite.lexer import ParseError, Word, parse
from tools.workspace import Workspace


def words(line: str) -> list[list[str]]:
    return [[w.text for w in stage.words] for stage in parse(line).stages]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ls -a  dir", [["ls", "-a", "dir"]]),
        ("echo 'a b' \"c d\" e\\ f", [["echo", "a b", "c d", "e f"]]),
        ("echo '' \"\"", [["echo", "", ""]]),
        ("echo 'it'\"'\"'s'", [["echo", "it's"]]),
        ('echo "a\\"b" "\\\\" "\\n"', [["echo", 'a"b', "\\", "\\n"]]),
        ("echo '$HOME' 'a;b' 'x|y' '>'", [["echo", "$HOME", "a;b", "x|y", ">"]]),
        ("cat f|grep x|wc -l", [["cat", "f"], ["grep", "x"], ["wc", "-l"]]),
        ("echo a~b c#d", [["echo", "a~b", "c#d"]]),
        ("grep 'a{2}' f", [["grep", "a{2}", "f"]]),
    ],
)
def test_quoting_and_pipes(line: str, expected: list[list[str]]) -> None:
    assert words(line) == expected


def test_redirects_are_parsed_and_only_at_the_end() -> None:
    pipeline = parse("sort f | uniq >> out.txt")
    assert pipeline.redirect is not None
    assert pipeline.redirect.append and pipeline.redirect.target.text == "out.txt"
    assert parse("echo hi>x").redirect.target.text == "x"  # type: ignore[union-attr]
    assert parse("> x echo hi").stages[0].words[0].text == "echo"
    with pytest.raises(ParseError, match="only allowed on the last command"):
        parse("echo hi > x | cat")
    with pytest.raises(ParseError, match="only one output redirect"):
        parse("echo hi > x > y")
    with pytest.raises(ParseError, match="must be followed by a file name"):
        parse("echo hi >")


def test_globs_keep_quoted_wildcards_literal() -> None:
    (word,) = parse("ls '*'").stages[0].words[1:]
    assert word == Word("*")
    (word,) = parse("ls a'*'*").stages[0].words[1:]
    assert word.text == "a**" and word.glob == "a\\**"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ls; rm -r x", "';'"),
        ("ls && rm x", "'&'"),
        ("ls & ", "'&'"),
        ("ls || true", "'||'"),
        ("ls |& cat", "'|&'"),
        ("echo $HOME", "'\\$'"),
        ("echo ${HOME}", "'\\$'"),
        ("echo $(id)", "'\\$'"),
        ('echo "$(id)"', "inside double quotes"),
        ("echo `id`", "backticks"),
        ('echo "`id`"', "backticks"),
        ("cat < f", "input redirection"),
        ("ls 2> err", "file-descriptor redirects"),
        ("ls 2>&1", "file-descriptor redirects"),
        ("ls >&2", "'>&'"),
        ("ls >| f", "'>|'"),
        ("(ls)", "subshells"),
        ("echo {a,b}", "brace"),
        ("ls ~", "'~'"),
        ("ls ~/x", "'~'"),
        ("ls # comment", "comments"),
        ("ls\nrm x", "one line"),
        ("echo 'open", "unterminated single quote"),
        ('echo "open', "unterminated double quote"),
        ("echo x\\", "lone backslash"),
        ("| ls", "empty command"),
        ("ls |", "empty command"),
        ("> f", "needs a command"),
        ("A=1 ls", "variable assignments"),
        ("! ls", "negating"),
        ("   ", "empty"),
        ("ls *'x'[", None),
    ],
)
def test_shell_features_are_refused_with_a_reason(line: str, message: str | None) -> None:
    if message is None:  # an unclosed '[' is a literal character, not an error in parsing
        parse(line)
        return
    with pytest.raises(ParseError, match=message):
        parse(line)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("bash -c ls", "unknown command 'bash'"),
        ("python3 x.py", "unknown command"),
        ("ls --color", "long option --color is not supported"),
        ("ls -lZ", "unknown flag -Z; ls supports"),
        ("grep -P x f", "unknown flag -P"),
        ("grep", "no pattern"),
        ("grep -E -F x f", "exclusive"),
        ("head -n ten f", "invalid number of lines"),
        ("head -n 5k f", "invalid number"),
        ("sort -k 0 f", "field numbers start at 1"),
        ("sort -k x f", "invalid key"),
        ("sort -t ab f", "single byte"),
        ("cut -f 0 f", "numbered from 1"),
        ("cut -f 3-1 f", "decreasing range"),
        ("cut f", "only one list may be specified: one -b, -c or -f"),
        ("cut -c 1 -d : f", "-d only makes sense with -f"),
        ("find . -exec rm {} ;", "braces"),
        ("find . -exec rm '{}' ';'", "-exec is not supported"),
        ("find . -exec rm", "-exec is not supported"),
        ("find . -delete", "-delete is not supported"),
        ("find . -size +1", "unknown or unsupported expression '-size'"),
        ("find . -type x", "-type 'x' is not supported"),
        ("find . -maxdepth", "missing argument"),
        ("echo -e 'a\\tb'", "unknown flag -e"),
        ("pwd x", "takes no arguments"),
        ("mkdir", "missing operand"),
        ("cp onlyone", "needs a source and a destination"),
        ("rm", "missing operand"),
        ("tail -2 a b", "unknown flag -2"),
        ("uniq a b", "output file is not supported"),
        ("grep 'a\\{2,1\\}' f", "minimum above maximum"),
        ("grep '[[:nope:]]' f", "invalid character class"),
        ("grep '[:space:]' f", "character class syntax is"),
        ("grep '\\(a' f", "unmatched"),
        ("grep -E 'a)' f", "not supported"),
        ("grep 'a\\' f", "trailing backslash"),
        ("grep '\\2\\(a\\)' f", "invalid back reference"),
        ("grep '\\d' f", "unsupported escape"),
        ("grep -E '*a' f", "not supported"),
        ("grep -m x a f", "invalid max count"),
        ("ls x*", "no files match"),
    ],
)
def test_bad_arguments_are_clear_errors_at_plan(
    workspace_dir: Path, command: str, message: str
) -> None:
    ctx = ToolContext(workspace=Workspace(workspace_dir))
    with pytest.raises(ToolError, match=message.replace("(", "\\(").replace("[", "\\[")):
        ShellTool().plan({"command": command}, ctx)


@pytest.mark.parametrize(
    "args", [{}, {"command": 5}, {"command": ""}, {"command": "ls", "x": 1}, []]
)
def test_arguments_are_checked_even_without_schema_validation(
    workspace_dir: Path, args: object
) -> None:
    ctx = ToolContext(workspace=Workspace(workspace_dir))
    with pytest.raises(ToolError):
        ShellTool().plan(args, ctx)  # type: ignore[arg-type]


def test_schema_is_strict() -> None:
    schema = ShellTool.parameters
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["command"]
    assert set(schema["properties"]) == {"command"}


def test_description_documents_every_command() -> None:
    from tools.shell_lite.pipeline import REGISTRY

    for name in REGISTRY:
        assert f"  {name} " in ShellTool.description or f"   {name}\n" in ShellTool.description, (
            name
        )


def test_runtime_errors_are_reported_not_raised(workspace_dir: Path) -> None:
    (workspace_dir / "a.txt").write_text("x\n")
    result = tool_run(workspace_dir, "cat missing.txt a.txt")
    assert not result.ok
    assert result.output == "x\ncat: missing.txt: No such file or directory\n[exit status 1]\n"
    assert result.data["exit_status"] == 1


def test_no_shell_or_subprocess_in_the_tool() -> None:
    """The commands are Python over the workspace: nothing may import or call a process starter."""
    import ast
    import subprocess
    import sys

    banned_modules = {"subprocess", "pty", "multiprocessing", "pexpect", "sh"}
    banned_os = ("system", "popen", "fork", "exec", "spawn", "posix_spawn")
    package = Path(__file__).resolve().parent.parent / "tools" / "shell_lite"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            else:
                names = set()
            assert not names & banned_modules, f"{source.name} imports {names & banned_modules}"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                assert not node.attr.startswith(banned_os), f"{source.name}: os.{node.attr}"
    code = "import sys, tools.shell_lite; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
