"""shell-lite output is byte-for-byte GNU coreutils/grep output (run here as the oracle, LC_ALL=C)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.shell_oracle import make_tree, oracle, run_bytes, tool_run

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash and coreutils")

CASES = {
    "cat": [
        "cat words.txt",
        "cat -n words.txt noeol.txt",
        "cat noeol.txt words.txt",
        "cat -n empty.txt",
        "cat bin.dat high.txt crlf.txt",
        "cat -n noeol.txt noeol.txt",
        "echo hi | cat - words.txt",
    ],
    "head": [
        "head words.txt",
        "head -n 3 words.txt",
        "head -n -3 words.txt",
        "head -c 20 words.txt",
        "head -c -5 noeol.txt",
        "head -3 words.txt nums.txt",
        "head -n 0 words.txt",
        "head -n 100 noeol.txt",
        "head -n -1 noeol.txt",
        "head -n2 empty.txt noeol.txt",
        "cat words.txt | head -n 4",
        "head -n -3000 long.txt",
        "head -c -70000 long.txt",
        "head -n 4000 long.txt",
        "cat long.txt | head -n -2",
    ],
    "tail": [
        "tail words.txt",
        "tail -n 2 noeol.txt",
        "tail -n +3 words.txt",
        "tail -c 7 words.txt",
        "tail -c +5 noeol.txt",
        "tail -n 0 words.txt",
        "tail -2 words.txt",
        "tail -n +1 empty.txt",
        "tail -n +100000 words.txt",
        "tail -n 1 crlf.txt",
        "cat noeol.txt | tail -n 1",
        "tail -n 5000 long.txt",
        "tail -n +2000 long.txt",
        "tail -c 70000 long.txt",
        "tail -n 6000 long.txt",
        "tail -n 7000 long.txt",
        "cat long.txt | tail -n 3",
    ],
    "wc": [
        "wc words.txt",
        "wc -l words.txt",
        "wc -w bin.dat high.txt",
        "wc -c noeol.txt",
        "wc words.txt nums.txt empty.txt",
        "cat words.txt | wc",
        "cat words.txt | wc -l",
        "wc -lw noeol.txt",
        "wc -c words.txt nums.txt",
        "wc -wc crlf.txt high.txt",
        "wc empty.txt",
        "wc long.txt",
        "wc -w long.txt words.txt",
    ],
    "grep": [
        "grep the words.txt",
        "grep -i the words.txt",
        "grep -v the words.txt",
        "grep -n the words.txt",
        "grep -c the words.txt nums.txt",
        "grep -l the words.txt nums.txt",
        "grep -E 'ab+c|^x' words.txt",
        "grep -F . words.txt",
        "grep -w a words.txt",
        "grep -o 'a[bc]*' words.txt",
        "grep -x 'the cat' words.txt",
        "grep -h the words.txt dir/a.txt",
        "grep -H the words.txt",
        "grep -m 2 the words.txt",
        "grep -e cat -e mat words.txt",
        "grep '\\(ab\\)\\1' words.txt",
        "grep '[[:digit:]]\\+' words.txt",
        "grep '^a' words.txt",
        "grep 'e$' words.txt",
        "grep -c '^$' words.txt",
        "grep -c '' words.txt",
        "grep -vn the words.txt",
        "grep -on 'at' words.txt",
        "grep -ow 'the' words.txt",
        "grep -in 'ZETA' words.txt",
        "grep a bin.dat",
        "grep -c a bin.dat",
        "grep -v x noeol.txt",
        "grep line noeol.txt",
        "grep -E '(a|b)\\1' words.txt",
        "grep -E 'x{1,2}[0-9]' words.txt",
        "grep -E 'a{,1}b' words.txt",
        "grep '\\<t' words.txt",
        "grep 'e\\>' words.txt",
        "grep '\\bab\\b' words.txt",
        "grep '[^a-z ]' words.txt",
        "grep -c '[[:space:]]$' words.txt",
        "grep -E '^(the|a) ' words.txt",
        "grep -iw 'the' words.txt",
        "grep -x -E '[a-z]+' words.txt",
        "grep -F -x -e a -e b words.txt",
        "grep -vc the words.txt",
        "grep -lv the words.txt nums.txt",
        "grep -q the words.txt",
        "grep zzz words.txt",
        "grep -c zzz words.txt",
        "grep -n -m 3 -v the words.txt",
        "grep 'a.c' words.txt",
        "grep 'x*' empty.txt",
        "grep -o '' words.txt",
        "grep -E 'a|' words.txt",
        "grep '\\.' words.txt",
        "grep -i '[A-C]' words.txt",
        "grep -o -i 'T.E' words.txt",
        "grep 'caf' high.txt",
        "grep -c '[[:print:]]' high.txt",
        "grep -n '' crlf.txt",
        "grep 'one.$' crlf.txt",
        "grep -w 'foo' words.txt",
        "grep -w 'foo_bar' words.txt",
        "grep -o -E '[0-9]+|[a-z]+' words.txt",
        "grep -E 'a?b*c?' -c words.txt",
        "grep -E -o '(ab|a)(bc|c)?' words.txt",
        "cat words.txt | grep -c sat",
        "cat words.txt | grep the - nums.txt",
        "grep -s the missing.txt words.txt",
        "grep the dir",
        "grep -c x long.txt",
        "grep -n 'the x' long.txt",
        "grep -v x long.txt",
    ],
    "sort": [
        "sort words.txt",
        "sort -r words.txt",
        "sort -n nums.txt",
        "sort -rn nums.txt",
        "sort -u words.txt",
        "sort -f words.txt",
        "sort -fu words.txt",
        "sort -k2 words.txt",
        "sort -k2,2 words.txt",
        "sort -k2n words.txt",
        "sort -t: -k2 fields.txt",
        "sort -t: -k3,3 -k1,1r fields.txt",
        "sort -k1.2,1.3 words.txt",
        "sort -b -k2 words.txt",
        "sort -s -k2,2 words.txt",
        "sort -nu nums.txt",
        "sort noeol.txt",
        "sort empty.txt",
        "sort words.txt nums.txt",
        "sort -t: -k2,2 -u fields.txt",
        "sort -k2,2n -k1,1 tabs.tsv",
        "sort -n -k2 tabs.tsv",
        "sort -r -k1,1 fields.txt",
        "sort -k 1.3 words.txt",
        "sort -k2.2b,2.4 words.txt",
        "sort -t: -k2.1,2.1 -s fields.txt",
        "sort -k3 -k2 words.txt",
        "sort -rfu words.txt",
        "sort -bn nums.txt",
        "sort -t: -k2,3 fields.txt",
        "sort -k1,1 -k2,2nr words.txt",
        "sort bin.dat high.txt crlf.txt",
        "sort -f -k1,1 fields.txt",
        "sort -t '\t' -k2,2n tabs.tsv",
        "sort -k 3,2 words.txt",
        "sort -sfk1,1 words.txt",
        "sort -k2 long.txt",
        "sort -rn long.txt",
    ],
    "uniq": [
        "sort words.txt | uniq",
        "sort words.txt | uniq -c",
        "sort words.txt | uniq -d",
        "sort words.txt | uniq -u",
        "sort words.txt | uniq -cd",
        "uniq noeol.txt",
        "uniq -c fields.txt",
        "sort fields.txt | uniq -cu",
        "uniq empty.txt",
    ],
    "cut": [
        "cut -d: -f1 fields.txt",
        "cut -d: -f2- fields.txt",
        "cut -d: -f-2 fields.txt",
        "cut -d: -f1,3 fields.txt",
        "cut -d: -s -f2 fields.txt",
        "cut -c1-3 words.txt",
        "cut -b2 words.txt",
        "cut -f2 tabs.tsv",
        "cut -c 3- noeol.txt",
        "cut -d ' ' -f 2 words.txt",
        "cut -d: -f 3,1 fields.txt",
        "cut -d: -f2-3,5- fields.txt",
        "cut -c 2,1 high.txt",
        "cut -f1,3 tabs.tsv",
        "cut -c 1-2,4-5 words.txt",
        "cat fields.txt | cut -d: -f2",
    ],
    "ls": [
        "ls",
        "ls -a dir",
        "ls -A dir",
        "ls -R dir",
        "ls -p",
        "ls -1 dir",
        "ls -d dir words.txt",
        "ls dir words.txt emptydir",
        "ls -R",
        "ls -aR dir/sub",
        "ls -pA dir",
        "ls -dp dir emptydir",
        "ls dir/",
        "ls -R dir/",
        "ls *.txt",
        "ls -d d*",
        "ls dir/sub/../a.txt",
    ],
    "echo": [
        "echo hello   world",
        "echo -n a b",
        "echo 'a  b' \"c\"",
        "echo -- x",
        "echo -5",
        "echo",
        "echo -n",
        "echo 'it''s' \"q\\\"uote\"",
        "echo a\\ b \\* '$x'",
        "echo *.txt",
        "echo dir/*/",
        "echo dir/[ab]*",
        "echo [!w]*.txt",
        "echo -nn x",
    ],
    "pipelines": [
        "cat words.txt | grep -i the | sort | uniq -c | sort -rn | head -5",
        "grep -o '[a-z]*' words.txt | sort | uniq -c | sort -k1,1nr -k2 | head -n 20",
        "cut -d: -f2 fields.txt | sort -u | wc -l",
        "sort -t: -k1,1 fields.txt | uniq -c",
        "tail -n +2 tabs.tsv | sort -k2,2n | cut -f1",
        "ls dir | wc -l",
        "echo one two | wc -w",
        "head -c 100 bin.dat | wc -c",
    ],
}

ALL = [(group, cmd) for group, cmds in CASES.items() for cmd in cmds]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("oracle-ws"))


@pytest.mark.parametrize(("group", "command"), ALL, ids=[f"{g}:{c}" for g, c in ALL])
def test_matches_coreutils(tree: Path, group: str, command: str) -> None:
    expected = oracle(tree, command)
    got, status = run_bytes(tree, command)
    assert got == expected.stdout, (
        f"{command!r}\n--- coreutils\n{expected.stdout!r}\n--- ours\n{got!r}"
    )
    assert status == expected.returncode, expected.stderr


@pytest.mark.parametrize(
    "command", ["sort words.txt", "grep -n the words.txt", "wc words.txt nums.txt", "ls -R dir"]
)
def test_tool_output_is_the_same_text(tree: Path, command: str) -> None:
    """Through plan and run, the model reads exactly the coreutils output."""
    result = tool_run(tree, command)
    assert result.ok
    assert result.output == oracle(tree, command).stdout.decode("utf-8", "backslashreplace")


FIND_CASES = [
    "find .",
    "find dir -name '*.txt'",
    "find . -type d",
    "find dir -maxdepth 1",
    "find . -mindepth 2 -type f",
    "find dir -iname '*.txt'",
    "find . -path '*sub*'",
    "find . ! -name '*.txt' -type f",
    "find dir/ -type f",
    "find dir emptydir -maxdepth 0",
    "find . -name '.*'",
    "find dir -not -type d -name '[ab]*'",
    "find dir/sub -type f -name 'c.*'",
]


@pytest.mark.parametrize("command", FIND_CASES)
def test_find_matches_findutils_as_a_set(tree: Path, command: str) -> None:
    """GNU find prints in directory order; shell-lite prints in name order. Same lines."""
    expected = oracle(tree, command)
    got, status = run_bytes(tree, command)
    assert sorted(got.splitlines()) == sorted(expected.stdout.splitlines())
    assert got.splitlines() == sorted(got.splitlines(), key=lambda p: p.split(b"/"))
    assert status == expected.returncode


@pytest.mark.parametrize(
    "command",
    [
        "grep -r the",
        "grep -rn the dir",
        "grep -rc the dir",
        "grep -rl the .",
        "grep -ri 'the' dir/",
        "grep -rh the dir",
        "grep -r -i upper dir/B.TXT",
    ],
)
def test_grep_recursive_matches_as_a_set(tree: Path, command: str) -> None:
    expected = oracle(tree, command)
    got, status = run_bytes(tree, command)
    assert sorted(got.splitlines()) == sorted(expected.stdout.splitlines())
    assert status == expected.returncode
