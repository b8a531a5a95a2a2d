"""Random shell-lite command lines for the differential harness (``shell_diff``): 1-4 stage
pipelines, redirects, globs and every supported flag, over the names of its nasty workspace."""

from __future__ import annotations

import random
import shlex

WRITERS = ("mkdir", "touch", "cp", "mv", "rm", ">", "uniq")
"""Words that make a line write (a syntactic over-estimate)."""

FILES = [
    "words.txt", "nums.txt", "noeol.txt", "crlf.txt", "nul.bin", "empty.txt", "nl.txt",
    "'sp ace.txt'", "sp\\ ace.txt", '"sp ace.txt"', "a.txt", "b.txt", "B.TXT", "c.md",
    "big.txt", "fields.txt", "tabs.tsv", "high.txt", "link.txt", "dir/a.txt", "dir/.hid",
    "dir/sub/b.txt", "dir/up.txt", "'[ab].txt'", "'st*r.txt'", "café.txt", "./a.txt",
    "dir/../b.txt", "dir//a.txt", "dirlink/a.txt", "'sp dir/x y.txt'", "'d[1]/n.txt'",
    ".hidden", "dangling", "missing.txt", "noeol.txt/", "a.txt/", "dir/sub/deep/c.md",
]  # fmt: skip
DIRS = [
    ".", "dir", "dir/", "emptydir", "dir/sub", "'sp dir'", "dirlink", "dirlink/", "'d[1]'",
    "./dir", "dir/sub/deep", "dir/sub/",
]  # fmt: skip
GLOBS = [
    "*", "*.txt", "*.TXT", "d*", "dir/*", "*/*", "*/", "[a-c]*", "[c-a]*", "[z-a].txt",
    "[!a-z]*", "[[:upper:]]*", "?.txt", ".*", "dir/.*", "*[0-9]*", "[]ab]*", "[!]]*", "b*",
    "**", "*/b*", "[a-]*", "[-a]*", "\\**", "'*'.txt", '"d"*', "dir/*/*", "*.md", "s*",
    "[[:punct:]]*", "*e*", "dir/[a-z]*", "[b-b]*", "[^a]*.txt", "dir/sub/*/", "*[!t]",
    "new*", "t*", "'#'*", "*[[:space:]]*", "[[:cntrl:]]*", "*[[:digit:]]*", "[A-Z]*",
    "[[:alpha:][:digit:]]*", "[!.]*", "?", "??*", "*.*.*", "dir/sub/deep/*", "*/*/*",
]  # fmt: skip
OUTPUTS = ["out.txt", "a.txt", "empty.txt", "noeol.txt", "dir/new.txt", "dir/a.txt", "new dir.txt"]
PATTERNS_BRE = [
    "a", "the", "^", "$", "^$", "^^x", "^^", "x*", ".", "\\(a\\)\\1", "a\\|b", "[[:space:]]",
    "^.*$", "\\bthe", "\\<a", "e\\>", "[^a-z]", "\\w\\+", "a\\{2\\}", "a**", ".*", "''", "\\.",
    "[.]", "x\\?", "^*", "\\(^a\\)", "a$b", "e$", "^t", "T", "[[:upper:]]", "\\(\\)", "c.t",
    "$x", "x$$", "\\$", "[a-c]", "[c-a]", "\\(a\\|b\\)*", "b*", "\\W", "[0-9]", "1\\|^",
    "\\(.\\)\\1", "[[:alpha:]]\\{3\\}", "^[^ ]*$", "\\s", "\\S\\+", "x\\{1,\\}", "[]a]",
    "[^]a]", "a\\{,2\\}", "\\<the\\>", "the\\b", "\\Bh", "[.*]", "\\*", "^-", "\\t", "line",
]  # fmt: skip
PATTERNS_ERE = [
    "a", "the|cat", "(a|b)\\1", "(a|b)\\2", "a{2}", "{1", "a{1,}", "^(the|a)", "x+", "a?",
    "(x*)*", "()", "a|", "|a", "[[:digit:]]+", "\\.", "(^a)", "^^x", "a$|b", "e$", "^$",
    "(a)(b)\\2", "\\(", "a{,2}", "[^[:alpha:]]", "t.e", "(T|t)he", "$", "^", ".*",
    "(.)\\1", "a|b|c", "[[:upper:]]+", "x{2,3}", "(^|[^a])the", "\\<(a|the)\\>", "a{0}",
    "(a|)+", "[0-9]{2,}", "\\.$", "^.{3}$", "[-]", "a**", "(x)?y", "line|new",
]  # fmt: skip
TEXTS = ["hello", "'a  b'", '"x y"', "a\\ b", "the", "-", "--", "a=~", "X=a:~", "'~'", "x~y"]


def _q(word: str) -> str:
    """Words from the lists above are already shell-quoted; a bare word goes in single quotes."""
    return word


def _pick(rng: random.Random, pool: list[str]) -> str:
    return rng.choice(pool)


def _path(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return _pick(rng, FILES)
    if roll < 0.8:
        return _pick(rng, GLOBS)
    return _pick(rng, DIRS)


def _paths(rng: random.Random, low: int, high: int) -> list[str]:
    return [_path(rng) for _ in range(rng.randint(low, high))]


def _flags(rng: random.Random, letters: str, p: float = 0.25) -> list[str]:
    chosen = [c for c in letters if rng.random() < p]
    if not chosen:
        return []
    if rng.random() < 0.5:
        return ["-" + "".join(chosen)]
    return ["-" + c for c in chosen]


def _number(rng: random.Random) -> str:
    return rng.choice(["0", "1", "2", "3", "5", "10", "100", "999999", "01", "+2", "-2", "-0"])


def _head_tail(rng: random.Random, cmd: str) -> list[str]:
    args: list[str] = []
    for _ in range(rng.choice([0, 1, 1, 1, 2])):
        kind = rng.choice(["-n", "-c", "-n", "legacy"])
        if kind == "legacy":
            args.append(rng.choice(["-3", "-1", "-0", "+2", "-12"]))
        else:
            value = _number(rng)
            args += [kind + value] if rng.random() < 0.4 else [kind, value]
    return args


def _sort_key(rng: random.Random) -> str:
    first = rng.randint(1, 3)
    key = str(first)
    if rng.random() < 0.3:
        key += f".{rng.randint(1, 3)}"
    key += "".join(rng.sample("bfnr", rng.randint(0, 2)))
    if rng.random() < 0.6:
        key += f",{rng.randint(first, 4)}"
        if rng.random() < 0.3:
            key += f".{rng.randint(0, 3)}"
        key += "".join(rng.sample("bnr", rng.randint(0, 1)))
    return key


def _find(rng: random.Random) -> list[str]:
    args = [_pick(rng, DIRS + FILES[:6] + GLOBS[:6]) for _ in range(rng.choice([0, 1, 1, 2]))]
    for _ in range(rng.randint(0, 3)):
        test = rng.choice(["-name", "-iname", "-path", "-type", "-maxdepth", "-mindepth", "!"])
        if test == "!":
            args.append(rng.choice(["!", "-not"]))
            test = rng.choice(["-name", "-type"])
        if test == "-type":
            args += ["-type", rng.choice("fdl")]
        elif test in ("-maxdepth", "-mindepth"):
            args += [test, rng.choice(["0", "1", "2"])]
        else:
            pattern = rng.choice(["'*.txt'", "'[a-c]*'", "'[z-a]*'", "'*b*'", "'.*'", "'d*'",
                                  "'*/sub*'", "'[[:upper:]]*'", "'?'", "'*'", "'[!a]*'", "'B*'"])  # fmt: skip
            args += [test, pattern]
    if rng.random() < 0.1:
        args.append("-print")
    return args


def _stage(rng: random.Random, first: bool) -> list[str]:
    """One command with random flags and operands; later stages usually read the pipe."""
    reads_pipe = not first and rng.random() < 0.8
    cmds = ["cat", "head", "tail", "wc", "grep", "sort", "uniq", "cut"]
    if first:
        cmds += ["ls", "ls", "find", "echo", "mkdir", "touch", "cp", "mv", "rm", "grep", "ls"]
    cmd = rng.choice(cmds)
    files = ([] if reads_pipe and rng.random() < 0.85 else _paths(rng, 1, 3)) + (
        ["-"] if reads_pipe and rng.random() < 0.1 else []
    )
    if cmd == "cat":
        return ["cat", *_flags(rng, "n", 0.3), *files]
    if cmd in ("head", "tail"):
        return [cmd, *_head_tail(rng, cmd), *files]
    if cmd == "wc":
        return ["wc", *_flags(rng, "lwc", 0.3), *files]
    if cmd == "grep":
        ere = rng.random() < 0.35
        flags = _flags(rng, "ivnclwxohHqsF" + ("r" if not reads_pipe else ""), 0.12)
        if ere:
            flags.append("-E")
        elif rng.random() < 0.1:
            flags.append("-G")
        pool = PATTERNS_ERE if ere else PATTERNS_BRE
        patterns = [shlex.quote(_pick(rng, pool)) for _ in range(rng.choice([1, 1, 1, 2]))]
        if rng.random() < 0.15:
            flags += ["-m", rng.choice(["0", "1", "2", "5"])]
        if len(patterns) > 1 or rng.random() < 0.2:
            pat = [x for p in patterns for x in ("-e", p)]
        else:
            pat = patterns
        if "-r" in "".join(flags) and rng.random() < 0.3:
            files = []
        return ["grep", *flags, *pat, *files]
    if cmd == "sort":
        args = _flags(rng, "nrufbs", 0.15)
        if rng.random() < 0.3:
            args.append("-t" + rng.choice([":", "' '", ","]))
        for _ in range(rng.choice([0, 0, 1, 2])):
            args += ["-k", _sort_key(rng)]
        return ["sort", *args, *files]
    if cmd == "uniq":  # a second operand would be uniq's output file: one plain file at most
        one = [_pick(rng, FILES)] if files and files != ["-"] else files
        return ["uniq", *_flags(rng, "cdu", 0.25), *one]
    if cmd == "cut":
        mode = rng.choice(["-f", "-c", "-b"])
        lst = rng.choice(["1", "2", "1,3", "2-", "-2", "1-2,4-", "3,1", "1-1"])
        args = [mode, lst]
        if mode == "-f":
            if rng.random() < 0.7:
                args.append("-d" + rng.choice([":", "' '", ",", "a"]))
            if rng.random() < 0.3:
                args.append("-s")
        return ["cut", *args, *files]
    if cmd == "ls":
        return ["ls", *_flags(rng, "aA1Rpdl", 0.2), *_paths(rng, 0, 3)]
    if cmd == "find":
        return ["find", *_find(rng)]
    if cmd == "echo":
        words = [_pick(rng, TEXTS + GLOBS[:8]) for _ in range(rng.randint(0, 3))]
        return ["echo", *(["-n"] if rng.random() < 0.2 else []), *words]
    if cmd == "mkdir":
        names = [rng.choice(["new", "newd", "dir/x", "a/b/c", "dir", "a.txt", "new/", "x/y"])
                 for _ in range(rng.randint(1, 2))]  # fmt: skip
        return ["mkdir", *_flags(rng, "p", 0.4), *names]
    if cmd == "touch":
        names = [rng.choice(["new.txt", "a.txt", "dir", "dir/n.txt", "no/x", "a.txt/", "link.txt",
                             "dangling", "empty.txt"]) for _ in range(rng.randint(1, 2))]  # fmt: skip
        return ["touch", *_flags(rng, "c", 0.2), *names]
    if cmd in ("cp", "mv"):
        sources = _paths(rng, 1, 2)
        dest = rng.choice(["new.txt", "dir", "dir/", "emptydir", "a.txt", "newdir/", "b.txt",
                           "dir/sub", "'sp dir'", "x/", "emptydir/y"])  # fmt: skip
        flags = _flags(rng, "r", 0.5) if cmd == "cp" else []
        return [cmd, *flags, *sources, dest]
    assert cmd == "rm"
    return ["rm", *_flags(rng, "rf", 0.4), *_paths(rng, 1, 2)]


def generate(rng: random.Random) -> str:
    """One random command line: 1-4 stages, sometimes a redirect (write commands mostly alone:
    in a pipeline, bash races them against the other stages and shell-lite refuses them)."""
    stages = [_stage(rng, True)]
    alone = stages[0][0] in WRITERS and rng.random() < 0.9
    for _ in range(0 if alone else rng.choice([0, 0, 0, 1, 1, 2, 3])):
        stages.append(_stage(rng, False))
    line = " | ".join(" ".join(words) for words in stages)
    if any(w.startswith("-") and "l" in w for s in stages if s[0] == "ls" for w in s[1:]):
        return line  # ls -l into a new file would print "now", which differs between the runs
    roll = rng.random()
    if roll < 0.12:
        line += " > " + shlex.quote(rng.choice(OUTPUTS))
    elif roll < 0.18:
        line += " >> " + shlex.quote(rng.choice(OUTPUTS))
    return line
