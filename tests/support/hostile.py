"""A seeded generator of hostile tool arguments, as a scripted attacker model would send them.

Each call to :meth:`Hostile.args` returns the raw JSON text of one argument set for a tool. Most
sets fit the tool's schema with hostile contents (so planning and running are reached); the rest
break it: deep nesting, wrong types, NaN, numbers past every limit, lone surrogates, NULs, huge
strings, 300-byte names, path tricks and odd Unicode. The text is built by hand where JSON
encoders refuse (nesting 100,000 deep, NaN, 5,000-digit integers)."""

from __future__ import annotations

import json
import random
import shlex
from collections.abc import Callable
from typing import Any

LONE_SURROGATES = ["\udc80", "\udcff", "\ud800", "\udfff", "a\ud83db"]
ODD_UNICODE = [
    "\u202e",  # right-to-left override
    "\u200b",  # zero width space
    "\ufeff",  # byte order mark
    "e\u0301",  # combining accent
    "\uff0f",  # fullwidth solidus
    "\u2215",  # division slash
    "\U0001f600",
    "\uffff",
    "\U0010ffff",
    "\x1b]0;title\x07",  # window title OSC
    "\x1b]52;c;Y2xpcA==\x07",  # clipboard OSC 52
    "\x9b31m",  # C1 CSI
    "\r",
    "\n",
    "\t",
    "\u0085",
    "\u2028",
    "İ",
    "ß",
    "\u0000",
]
PATH_TRICKS = [
    "..",
    "../outside.txt",
    "../../../../etc/passwd",
    "/etc/passwd",
    "/proc/self/environ",
    "/",
    "~",
    "~/x",
    ".",
    "./",
    "",
    "a/../../b",
    "dir/../../x",
    "link_out/secret.txt",
    "link_out",
    "dir/",
    "notes.txt/",
    "notes.txt/..",
    "//server/share",
    "\\\\server\\share",
    "C:\\Windows",
    "-rf",
    "--",
    "*",
    "**/*",
    "[z-a]*",
    "[",
    "data.csv\x00.txt",
    "dir\x00",
    "con",
    ".git/config",
]
HUGE_NUMBERS = [
    "99999999999999999999",
    "-99999999999999999999",
    "1e400",
    "-1e400",
    "1e308",
    "5e-324",
    "NaN",
    "Infinity",
    "-Infinity",
    "18446744073709551616",
    "9" * 5000,
    "-0",
    "0.0000000000000000000001",
    "123456789012345678901234567890.5",
]
SHELL_COMMANDS = [
    "cat {a}",
    "ls {a}",
    "ls -la {a}",
    "ls -R {a}",
    "head -n {n} {a}",
    "head -c {n} {a}",
    "tail -c +{n} {a}",
    "tail -n {n} {a}",
    "tail +{n} {a}",
    "wc {a}",
    "wc -l {a}",
    "grep {p} {a}",
    "grep -rn {p} {a}",
    "grep -c -m {n} {p} {a}",
    "grep -E {p} {a}",
    "sort -k {n} {a}",
    "sort -n {a}",
    "uniq -c {a}",
    "cut -d , -f {n} {a}",
    "cut -c {n}-{n} {a}",
    "find {a} -name {p}",
    "find {a} -maxdepth {n}",
    "echo {a}",
    "echo {a} > {b}",
    "echo {a} >> {b}",
    "cat {a} > {b}",
    "mkdir -p {a}",
    "touch {a}",
    "rm -f {a}",
    "rm -r {a}",
    "cp {a} {b}",
    "cp -r {a} {b}",
    "mv {a} {b}",
    "pwd",
]


class Hostile:
    """Hostile argument sets; the same seed gives the same sequence."""

    def __init__(self, seed: int, *, http_base: str = "http://127.0.0.1:9") -> None:
        self.r = random.Random(seed)
        self.http_base = http_base
        self.serial = 0
        self.mild = False
        """No lone surrogates or NULs in text (so some sets reach the run, not only refusals)."""
        self.blobs: list[str] = []
        """Before-image hashes the journal holds (a test adds them) for restore to use."""

    # -- pieces -------------------------------------------------------------------------------

    def text(self) -> str:
        """A string made to hurt: surrogates, NULs, controls, odd Unicode, huge, or plain."""
        r = self.r
        kind = r.randrange(2, 9) if self.mild else r.randrange(9)
        if kind == 0:
            return r.choice(LONE_SURROGATES) * r.randint(1, 3)
        if kind == 1:
            return "a\x00b" * r.randint(1, 4)
        if kind == 2:
            return "".join(r.choice(ODD_UNICODE) for _ in range(r.randint(1, 6)))
        if kind == 3:
            return r.choice("xé\U0001f600/") * r.choice([300, 5000, 100_000, 1_000_000])
        if kind == 4:
            return r.choice(PATH_TRICKS)
        if kind == 5:
            return self.name()
        if kind == 6:
            return r.choice(["", " ", "-", "--help", "'", '"', "\\", "$(id)", "`id`", ";", "|"])
        if kind == 7:
            return r.choice(HUGE_NUMBERS)
        return "".join(chr(r.randrange(0x20, 0x3000)) for _ in range(r.randint(1, 20)))

    def name(self) -> str:
        """A file name: 300 bytes, path tricks, surrogates, Unicode, or an existing one."""
        r = self.r
        kind = r.randrange(7)
        if kind == 0:
            return r.choice(["a" * 300, "é" * 150, "dir/" + "b" * 300, ("c" * 250 + "/") * 20])
        if kind == 1:
            return r.choice(PATH_TRICKS)
        if kind == 2:
            return "f" + r.choice(LONE_SURROGATES) + ".txt"
        if kind == 3:
            return r.choice(ODD_UNICODE) + "name" + r.choice(ODD_UNICODE)
        if kind == 4:
            return r.choice(["new.txt", "dir/new.csv", "out.csv", "sp ace.txt", "new dir/x"])
        return r.choice(["notes.txt", "data.csv", "dir", "dir/inner.csv", "empty.csv", "bin.dat"])

    def number(self) -> str:
        """JSON text of a number (or something posing as one)."""
        r = self.r
        if r.random() < 0.5:
            return r.choice(HUGE_NUMBERS)
        return str(r.choice([0, 1, -1, 2, 50, 10**6, 2**31, 2**63, -(2**63), 3.5]))

    def count(self) -> str:
        """JSON text of a small whole number, or now and then a hostile one."""
        return str(self.r.randint(0, 60)) if self.r.random() < 0.7 else self.number()

    def wrong(self) -> str:
        """JSON text of a value of a type no field wants."""
        r = self.r
        return r.choice(
            [
                "null",
                "true",
                "[]",
                "{}",
                '[["x"]]',
                '{"$ref": "#"}',
                self.number(),
                self.deep(),
                json.dumps([self.text()]),
            ]
        )

    def deep(self) -> str:
        """JSON text nested from a few levels to 100,000 deep."""
        r = self.r
        depth = r.choice([40, 100, 1000, 5000, 100_000])
        if r.random() < 0.5:
            return "[" * depth + "]" * depth
        return '{"a":' * depth + "1" + "}" * depth

    def string(self, value: str | None = None) -> str:
        """JSON text of a string, sometimes with every non-ASCII character escaped."""
        value = self.text() if value is None else value
        return json.dumps(value, ensure_ascii=self.r.random() < 0.5)

    def field(self, make: Callable[[], str], wrong: float = 0.2) -> str:
        """A field's JSON text: usually ``make()``, sometimes (``wrong``) anything at all."""
        return make() if self.r.random() >= wrong else self.wrong()

    @staticmethod
    def obj(fields: dict[str, str]) -> str:
        return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in fields.items()) + "}"

    def maybe_extra(self, fields: dict[str, str]) -> dict[str, str]:
        if self.r.random() < 0.05:
            fields[self.text()[:50]] = self.wrong()
        if self.r.random() < 0.05 and fields:
            fields.pop(self.r.choice(list(fields)))
        return fields

    # -- per tool ---------------------------------------------------------------------------

    def args(self, tool: str) -> str:
        """The raw JSON text of one hostile argument set for ``tool``."""
        r = self.r
        roll = r.random()
        if roll < 0.04:
            return self.deep()
        if roll < 0.07:
            return self.wrong()
        if roll < 0.09:
            return r.choice(["", "{", '{"a":', "\x00", '{"a": NaN}', "[1,]", "{}}", "\udcff"])
        fields = getattr(self, "_" + tool)()
        return self.obj(self.maybe_extra(fields))

    def _operand(self) -> str:
        value = self.name() if self.r.random() < 0.7 else self.text()
        if len(value) > 3000:
            value = value[:3000]
        return shlex.quote(value) if self.r.random() < 0.7 else value

    def _shell(self) -> dict[str, str]:
        r = self.r
        stages = []
        for _ in range(r.randint(1, 3)):
            template = r.choice(SHELL_COMMANDS)
            stages.append(
                template.format(
                    a=self._operand(),
                    b=self._operand(),
                    n=r.choice(HUGE_NUMBERS[:4] + ["0", "1", "-1", "+1", "1e9", "0x10", "5"]),
                    p=shlex.quote(r.choice(["a", "^$", "(", "\\", "[[:alpha:]]", "x*", "\\1"])),
                )
            )
        command = " | ".join(stages)
        return {"command": self.field(lambda: self.string(command))}

    def _csv_read(self) -> dict[str, str]:
        fields = {"path": self.field(lambda: self.string(self.name()), 0.05)}
        for key in ("offset", "limit"):
            if self.r.random() < 0.5:
                fields[key] = self.field(self.count, 0.1)
        return fields

    def _sql(self) -> str:
        r = self.r
        name = self.name().replace("'", "''")
        return r.choice(
            [
                f"SELECT * FROM '{name}'",
                f"SELECT count(*) FROM read_csv('{name}')",
                f"SELECT * FROM '{name}' LIMIT {self.number()}",
                f"SELECT {self.number()} AS x",
                f"SELECT '{self.text()[:200]}' AS x",
                "SELECT * FROM 'dir/*.csv'",
                "SELECT * FROM read_csv('/etc/passwd')",
                "ATTACH 'x.db'",
                "COPY (SELECT 1) TO 'out.csv'",
                "SELECT repeat('x', 1000) AS x",
                f"SELECT * FROM '{name}' WHERE {self.text()[:100]}",
                "SELECT * FROM range(10) t(x) " + "JOIN range(2) USING (x) " * 3,
                "SELECT " + "(" * 500 + "1" + ")" * 500,
                self.text()[:500],
            ]
        )

    def _csv_query(self) -> dict[str, str]:
        fields = {"sql": self.field(lambda: self.string(self._sql()))}
        if self.r.random() < 0.5:
            fields["limit"] = self.field(self.count, 0.1)
        return fields

    def _cell(self, header: bool = False) -> str:
        r = self.r
        if header and r.random() < 0.8:
            return self.string(f"c{r.randrange(10**6)}{self.text()[:20]}")  # names must differ
        if r.random() < 0.1:
            return self.number()
        return r.choice([self.string, lambda: str(r.randrange(-9, 10**9)), lambda: "null"])()

    def _csv_write(self) -> dict[str, str]:
        r = self.r
        self.mild = r.random() < 0.5
        self.serial += 1
        fresh = f"w{self.serial}" + r.choice(["", self.text()[:40]]) + ".csv"
        mode = r.choice(["create", "create", "create", "overwrite", "append", "replace"])
        path = fresh if mode == "create" and r.random() < 0.7 else self.name()
        fields = {
            "path": self.field(lambda: self.string(path), 0.05),
            "mode": self.field(lambda: self.string(mode), 0.05),
        }
        if r.random() < 0.8:
            width = r.randint(1, 4)
            rows = [
                "[" + ",".join(self._cell(i == 0) for _ in range(r.choice([width] * 9 + [2]))) + "]"
                for i in range(r.randint(1, 6))
            ]
            fields["rows"] = self.field(lambda: "[" + ",".join(rows) + "]", 0.05)
        else:
            fields["sql"] = self.field(lambda: self.string(self._sql()))
        self.mild = False
        return fields

    def _url(self) -> str:
        r = self.r
        base = self.http_base
        tail = self.text()[:300]
        return r.choice(
            [
                f"{base}/{tail}",
                f"{base}/?q={tail}",
                f"http://{tail}/",
                f"http://127.0.0.1:{self.number()}/",
                f"http://[{tail}]/",
                f"{base}/" + "a" * 300,
                "http://user:pw@127.0.0.1/",
                "file:///etc/passwd",
                "gopher://127.0.0.1/",
                "http://0x7f000001/",
                "http://localhost:0/",
                f"http://{'a' * 64}.example/",
                "http://xn--80ak6aa92e.example/",
                tail,
            ]
        )

    def _http_request(self) -> dict[str, Any]:
        r = self.r
        fields = {
            "method": self.field(
                lambda: self.string(r.choice(["GET"] * 4 + ["POST", "DELETE", "HEAD", "TRACE"])),
                0.05,
            ),
            "url": self.field(lambda: self.string(self._url()), 0.05),
        }
        if r.random() < 0.4:
            fields["headers"] = self.field(
                lambda: self.obj({self.text()[:40]: self.string(self.text()[:2000])})
            )
        if r.random() < 0.3:
            fields["query"] = self.field(lambda: self.obj({self.text()[:40]: self._cell()}))
        if r.random() < 0.2:
            fields["json"] = r.choice([self.deep(), self.string(), self.number(), "[1,2]"])
        if r.random() < 0.2:
            fields["body"] = self.field(lambda: self.string())
        if r.random() < 0.3:
            fields["timeout"] = self.field(self.count, 0.1)
        if r.random() < 0.2:
            fields["save_to"] = self.field(lambda: self.string(self.name()))
        return fields

    def _restore(self) -> dict[str, str]:
        r = self.r

        def blob() -> str:
            return r.choice(
                [
                    self.string("0" * 64),
                    self.string(self.text()[:100]),
                    *(self.string(b) for b in self.blobs[-3:]),
                ]
            )

        def state() -> str:
            kind = r.choice(["file", "dir", "absent", self.text()[:20]])
            fields = {"kind": self.string(kind)}
            if r.random() < 0.5:
                fields["mode"] = self.field(self.count, 0.2)
            if r.random() < 0.5:
                fields["sha256"] = self.field(blob, 0.2)
            return self.obj(fields)

        def target() -> str:
            fields = {"kind": self.string(r.choice(["file", "dir", "absent", self.text()[:20]]))}
            if r.random() < 0.7:
                fields["blob"] = self.field(blob, 0.2)
            if r.random() < 0.4:
                fields["mode"] = self.field(self.count, 0.2)
            return self.obj(fields)

        def plain() -> str:
            """A well-formed entry for a file the workspace holds, so plans are reached too."""
            to = {"kind": self.string("absent")}
            if self.blobs and r.random() < 0.7:
                to = {"kind": self.string("file"), "blob": self.string(r.choice(self.blobs))}
            name = r.choice(["notes.txt", "data.csv", "dir/inner.csv", "new.txt"])
            return self.obj({"path": self.string(name), "to": self.obj(to), "left": "null"})

        paths = [
            plain()
            if r.random() < 0.5
            else self.obj(
                {
                    "path": self.field(lambda: self.string(self.name())),
                    "to": self.field(target),
                    "left": self.field(lambda: r.choice(["null", state()])),
                }
            )
            for _ in range(r.randint(1, 4))
        ]
        fields = {
            "source": self.field(lambda: self.string(self.text()[:200])),
            "paths": self.field(lambda: "[" + ",".join(paths) + "]"),
        }
        if r.random() < 0.5:
            fields["tool"] = self.field(lambda: self.string(r.choice(["shell", "csv_write"])))
        if r.random() < 0.3:
            fields["force"] = self.field(lambda: r.choice(["true", "false"]))
        return fields
