"""ls as GNU coreutils 9.1 prints into a pipe in the C locale: one name per line, or -l's long
format (mode, links, owner, group, size, date in the recent/old formats, 'total' in 1K blocks,
'-> target' for links)."""

from __future__ import annotations

import grp
import os
import pwd
import stat
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from tools.base import ToolError
from tools.shell_lite.command import IO, Command, Output, Spec, getopt
from tools.shell_lite.lookup import ENOENT
from tools.shell_lite.vfs import ABSENT, DIR, LINK

SIX_MONTHS = 31556952 // 2
"""GNU's "recent" limit: half an average Gregorian year, in seconds."""
_SECURITY_XATTRS = ("security.selinux", "system.posix_acl_access", "system.posix_acl_default")


def _key(name: str) -> bytes:
    return os.fsencode(name)


def _child(parent: str, name: str) -> str:
    return parent + name if parent.endswith("/") else f"{parent}/{name}"


@dataclass
class _Entry:
    """One line of output: the name shown, where it is, its own kind (links not followed)."""

    name: str
    path: Path
    kind: str


def _parse_ls(argv: list[str]) -> Spec:
    opts = getopt("ls", argv, "aA1Rpdl")
    spec = Spec(opts, paths=list(opts.operands))
    last = [flag for flag, _ in opts.order if flag in "aA"]
    spec.extra["all"] = last[-1] if last else ""  # the later of -a and -A wins
    return spec


def _run_ls(spec: Spec, io: IO) -> Output:
    opts = spec.opts
    operands = opts.operands or ["."]
    long, directly = opts.has("l"), opts.has("d")
    status = 0
    files: list[_Entry] = []
    dirs: list[tuple[str, Path]] = []
    for operand in operands:
        found = io.lookup(operand)
        # GNU follows a link named on the command line only to list a folder, and not with -l or
        # -d (then it shows the link, whatever it points to); a dangling one is shown as a link
        shown_as_link = found.lkind == LINK and (
            long or directly or found.error == ENOENT or (found.error is None and found.kind != DIR)
        )
        if found.error is not None and not shown_as_link:
            io.err(f"cannot access '{operand}': {found.error}")
            status = 2
            continue
        if shown_as_link:
            files.append(_Entry(operand, found.entry, LINK))
        elif found.kind == DIR and not directly:
            dirs.append((operand, found.path))
        else:
            files.append(_Entry(operand, found.path, found.kind))
    files.sort(key=lambda e: _key(e.name))
    out: list[bytes] = []
    if files:  # -l: GNU sizes the columns over every operand, folders included
        every = files + [_Entry(name, path, DIR) for name, path in dirs]
        out.extend(_lines(io, spec, files, total=False, sized=every))
    header = opts.has("R") or bool(files) or len(operands) > 1
    if files and dirs:
        out.append(b"\n")
    first = True
    for operand, path in sorted(dirs, key=lambda d: _key(d[0])):
        first = yield from _list_dir(io, spec, operand, path, header, first, out)
    if out:
        yield b"".join(out)
    return status


def _list_dir(
    io: IO, spec: Spec, shown: str, path: Path, header: bool, first: bool, out: list[bytes]
) -> Generator[bytes, None, bool]:
    io.check()
    opts = spec.opts
    if header:
        out.append((b"" if first else b"\n") + _key(shown) + b":\n")
    names = io.fs.listdir(path)
    if spec.extra["all"] == "a":
        names = sorted([".", "..", *names], key=_key)
    elif spec.extra["all"] != "A":
        names = [n for n in names if not n.startswith(".")]
    entries = []
    for name in names:
        child = path if name == "." else path.parent if name == ".." else path / name
        kind = DIR if name in (".", "..") else io.fs.kind(child)
        entries.append(_Entry(name, child, kind))
    out.extend(_lines(io, spec, entries, total=True))
    if len(out) > 4096:
        yield b"".join(out)
        out.clear()
    if opts.has("R"):
        for entry in entries:
            if entry.kind == DIR and entry.name not in (".", ".."):
                yield from _list_dir(
                    io, spec, _child(shown, entry.name), entry.path, True, False, out
                )
    return False


def _lines(
    io: IO, spec: Spec, entries: list[_Entry], total: bool, sized: list[_Entry] | None = None
) -> list[bytes]:
    slash = spec.opts.has("p")
    if not spec.opts.has("l"):
        return [_key(e.name) + (b"/" if slash and e.kind == DIR else b"") + b"\n" for e in entries]
    return _long(io, entries, slash, total, sized or entries)


def _long(
    io: IO, entries: list[_Entry], slash: bool, total: bool, sized: list[_Entry]
) -> list[bytes]:
    """ls -l: columns as wide as the widest cell among ``sized`` (GNU's format, C locale)."""
    now = time.time_ns()
    rows = []
    blocks = 0
    infos = [_stat(io, e.path) for e in sized if e not in entries]
    for entry in entries:
        io.check()
        info = _stat(io, entry.path)
        blocks += info.blocks
        if stat.S_ISCHR(info.mode) or stat.S_ISBLK(info.mode):
            raise ToolError(f"ls -l: {entry.name} is a device; shell-lite does not list those")
        target = b""
        if stat.S_ISLNK(info.mode):
            target = b" -> " + os.readlink(os.fsencode(entry.path))
        elif slash and stat.S_ISDIR(info.mode):
            target = b"/"
        rows.append((info, _key(entry.name) + target))
    if not rows:
        return [b"total 0\n"] if total else []
    infos += [i for i, _ in rows]
    links_w = max(len(str(i.nlink)) for i in infos)
    owner_w = max(len(_owner(i.uid)) for i in infos)
    group_w = max(len(_group(i.gid)) for i in infos)
    size_w = max(len(str(i.size)) for i in infos)
    out = [b"total %d\n" % ((blocks + 1) // 2)] if total else []
    for info, name in rows:
        when = _date(info.mtime_ns, now)
        line = (
            f"{stat.filemode(info.mode)} {info.nlink:>{links_w}} {_owner(info.uid):<{owner_w}} "
            f"{_group(info.gid):<{group_w}} {info.size:>{size_w}} {when} "
        )
        out.append(line.encode() + name + b"\n")
    return out


@dataclass
class _Info:
    mode: int
    nlink: int
    uid: int
    gid: int
    size: int
    blocks: int
    mtime_ns: int


def _stat(io: IO, path: Path) -> _Info:
    """Metadata of the entry itself. A file the redirect just created or emptied (only in the
    overlay) is as bash left it: empty, no blocks, modified now; a new one is the user's, with
    mode 0666 less the umask."""
    st = io.fs.stat(path) if io.fs.kind(path) != ABSENT else None
    planned = io.fs.planned(path)
    if st is not None and stat.S_ISDIR(st.st_mode) and io.fs.grows(path):
        raise ToolError(
            f"ls -l would show {io.fs.rel(path)}/ while the redirect adds a file to it, which "
            "changes its size and time in a way only the file system knows: redirect elsewhere"
        )
    if st is not None:
        try:
            attrs = os.listxattr(path, follow_symlinks=False)
        except OSError:
            attrs = []
        if any(a in _SECURITY_XATTRS or a.startswith("security.") for a in attrs):
            raise ToolError(
                f"ls -l: {io.fs.rel(path)} has an ACL or a security label, which shell-lite does "
                "not show; use ls without -l"
            )
        if not planned:
            return _Info(
                st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_size, st.st_blocks,
                st.st_mtime_ns,
            )  # fmt: skip
        size = io.fs.size(path)
        return _Info(st.st_mode, st.st_nlink, st.st_uid, st.st_gid, size, 0, io.fs.opened_ns)
    kind = io.fs.kind(path)
    if kind == ABSENT:
        raise ToolError(f"ls: {io.fs.rel(path)} disappeared while listing")
    mode = (stat.S_IFDIR | 0o777) if kind == DIR else (stat.S_IFREG | 0o666)
    return _Info(
        mode & ~_umask(), 1, os.getuid(), os.getgid(), io.fs.size(path), 0, io.fs.opened_ns
    )


def _umask() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _date(mtime_ns: int, now_ns: int) -> str:
    """'%b %e %H:%M' within the last six months, else '%b %e  %Y' (GNU's two formats, C locale,
    local time), written out here so that no process locale can change it."""
    recent = now_ns - SIX_MONTHS * 10**9 < mtime_ns < now_ns
    t = time.localtime(mtime_ns // 10**9)
    day = f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday:>2}"
    return f"{day} {t.tm_hour:02d}:{t.tm_min:02d}" if recent else f"{day}  {t.tm_year}"


COMMANDS = [Command("ls", False, _parse_ls, _run_ls)]
