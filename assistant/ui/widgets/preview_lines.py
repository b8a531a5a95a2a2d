"""Every line of a preview as rich Text, nothing cut by the UI: what the confirm pane and the
full-preview screen scroll through before a person decides.

The compact renderer in ``preview.py`` serves the conversation's cards; this one serves the
decision, so it keeps every row, header, diff line and body character the tool put in the
preview. Where the tool itself summarised (csv_write lists its first changes, http_request cuts a
long body, shell-lite cuts long diffs), ``cuts`` says so in words, and where the action's own
arguments hold the rest (the rows or the body that will be sent) those are listed in full too.
Everything is untrusted and escaped; nothing is parsed as markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text

from assistant import present
from assistant.ui.widgets.preview import (
    HANDLE_RE,
    STYLE_ADD,
    STYLE_DEL,
    STYLE_DIM,
    STYLE_HUNK,
    STYLE_METHOD,
    STYLE_SECRET,
    STYLE_WARN,
    VERB_STYLE,
    safe,
)
from assistant.ui.widgets.preview_rows import aligned_rows, row_diff_lines

DIFF_CUT_RE = re.compile(r"^\[diff cut: ([0-9,]+) more lines?\]$")
CUT_MARK_RE = re.compile(
    r"\[[^\]]*\b(?:cut|not shown|omitted|truncated)\b[^\]]*\]"
    r"|^\s*… *(?:and )?[0-9][0-9,]* more\b"
    r"|\btoo large to diff\b",
    re.IGNORECASE,
)
"""How tools mark what they left out of a preview ("[preview cut at 20,000 characters]",
"… and 900 more changes", "[diff cut: 600 more lines]"): a mark no renderer here explains
still makes the pane say the preview is summarised."""


@dataclass
class PreviewLines:
    """A preview as display lines (each may still wrap), and what the tool summarised."""

    lines: list[Text] = field(default_factory=list)
    cuts: list[str] = field(default_factory=list)
    """One sentence per part the tool had to summarise, for the pane to say before the lines."""

    def add(self, text: str | Text, style: str = "") -> None:
        self.lines.append(text if isinstance(text, Text) else line(text, style))

    def extend(self, lines: Sequence[Text]) -> None:
        self.lines.extend(lines)


def line(text: str, style: str = "") -> Text:
    """One escaped line with secret handles in their own color (never parsed as markup)."""
    out = Text(safe(text), style=style)
    out.highlight_regex(HANDLE_RE, STYLE_SECRET)
    return out


def text_lines(text: str, style: str = "") -> list[Text]:
    return [line(part, style) for part in str(text).split("\n")]


def preview_lines(
    tool: str, args: Mapping[str, Any], preview: Mapping[str, Any] | Any
) -> PreviewLines:
    """The full display of an action's preview (``preview`` is a Preview or its JSON form)."""
    raw = preview.to_json() if hasattr(preview, "to_json") else preview
    out = PreviewLines()
    if not isinstance(raw, Mapping):
        out.extend(text_lines(str(raw)))
        return out
    kind, data, text = raw.get("kind"), raw.get("data"), str(raw.get("text") or "")
    renderer = _RENDERERS.get(kind) if isinstance(kind, str) else None
    if renderer is not None and isinstance(data, Mapping):
        try:
            renderer(out, data, text, args if isinstance(args, Mapping) else {})
            return _marked_cuts(out)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            out = PreviewLines()  # a tool's data in an unexpected shape: the text is honest
    out.extend(diff_lines(text, cuts=out.cuts) if kind == "diff" else text_lines(text))
    return _marked_cuts(out)


def _marked_cuts(out: PreviewLines) -> PreviewLines:
    """When no renderer explained a cut, a tool's own cut marks still say one happened."""
    if out.cuts:
        return out
    marks: list[str] = []
    for text in out.lines:
        if CUT_MARK_RE.search(text.plain):
            mark = text.plain.strip()
            mark = mark if len(mark) <= 80 else mark[:79] + "…"
            if mark not in marks:
                marks.append(mark)
    if marks:
        shown = "; ".join(f'"{m}"' for m in marks[:3]) + ("; …" if len(marks) > 3 else "")
        out.cuts.append(f"the tool left parts out of its preview ({shown})")
    return out


# -- diffs ----------------------------------------------------------------------------------------


def diff_lines(diff: str, path: str = "", cuts: list[str] | None = None) -> list[Text]:
    """A unified diff, colored line by line; a tool's "[diff cut: N more lines]" is reported."""
    out = []
    for raw in safe(diff).split("\n"):
        if raw.startswith(("+++", "---")):
            style = "bold"
        elif raw.startswith("@@"):
            style = STYLE_HUNK
        elif raw.startswith("+"):
            style = STYLE_ADD
        elif raw.startswith("-"):
            style = STYLE_DEL
        elif raw.startswith(("\\", "[")):
            style = STYLE_WARN if DIFF_CUT_RE.match(raw) else STYLE_DIM
        else:
            style = ""
        cut = DIFF_CUT_RE.match(raw)
        if cut and cuts is not None:
            more = int(cut.group(1).replace(",", ""))
            cuts.append(
                f"the tool cut the diff of {path or 'a file'}: {present.plural(more, 'more line')}"
                f" {present.noun(more, 'is', 'are')} not in its preview"
            )
        out.append(Text(raw, style=style))
    while out and not out[-1].plain:
        out.pop()
    return out


def _diff(out: PreviewLines, data: Mapping[str, Any], text: str, args: Mapping[str, Any]) -> None:
    files = data.get("files")
    if (
        not isinstance(files, Sequence)
        or not files
        or not all(isinstance(f, Mapping) for f in files)
    ):
        out.extend(diff_lines(text, cuts=out.cuts))  # restore's preview: diffs are in the text
        return
    for n, entry in enumerate(files):
        if n:
            out.add("")
        if entry.get("diff") == "rows":
            lines, cuts = row_diff_lines(entry, args)
            out.extend(lines)
            out.cuts.extend(cuts)
        elif isinstance(entry.get("diff"), str):
            path = safe(entry.get("path", "?"))
            out.add(Text(path, style="bold"))
            out.extend(diff_lines(entry["diff"], path, out.cuts))
        else:
            raise ValueError("unknown diff entry")


# -- http -----------------------------------------------------------------------------------------


def _full_body(args: Mapping[str, Any]) -> str | None:
    """The request body as the tool's preview would show it uncut (JSON pretty-printed)."""
    if args.get("json") is not None:
        return json.dumps(args["json"], indent=2, ensure_ascii=False, default=str)
    body = args.get("body")
    return body if isinstance(body, str) else None


def _http(out: PreviewLines, data: Mapping[str, Any], text: str, args: Mapping[str, Any]) -> None:
    method = safe(data.get("method", "?"))
    head = Text()
    head.append(f" {method} ", style=f"reverse {STYLE_METHOD.get(method, 'bold yellow')}")
    head.append(" ")
    head.append_text(line(str(data.get("url", ""))))
    out.add(head)
    host = safe(f"{data.get('host', '')}:{data.get('port', '')}")
    addresses = data.get("addresses") or []
    if addresses:
        out.add(f"{host} → {', '.join(safe(a) for a in addresses)} (pinned)", STYLE_DIM)
    if data.get("private"):
        out.add(f"PRIVATE ADDRESS: {safe(data['private'])}", STYLE_WARN)
    headers = data.get("headers") or []
    if headers:
        out.add("Headers", STYLE_DIM)
        for pair in headers:
            name, value = (list(pair) + ["", ""])[:2]
            row = Text("  ")
            row.append(safe(name) + ":", style="bold")
            row.append(" ")
            row.append_text(line(str(value)))
            out.add(row)
    body = data.get("body")
    if body is not None:
        kind = safe(data.get("body_kind") or "text")
        shown = str(body)
        full = _full_body(args)
        if full is not None and len(full) > len(shown):
            out.cuts.append(
                f"the tool cut the body at {len(shown):,} characters; all {len(full):,} "
                "follow, from the arguments"
            )
            shown = full
        out.add(f"Body ({kind}, {len(shown):,} characters)", STYLE_DIM)
        highlight = JSONHighlighter() if kind == "json" else None
        for part in shown.split("\n"):
            body_line = line(part)
            if highlight is not None:
                highlight.highlight(body_line)
            out.add(body_line)
        out.add("(end of body)", STYLE_DIM)
    save = data.get("save_to")
    if isinstance(save, Mapping):
        mode = "overwrites it" if save.get("exists") else "creates it"
        out.add(f"Saves the response body to {safe(save.get('path', '?'))} ({mode})")
    reasons = data.get("write_reasons") or []
    if reasons:
        out.add("Why this is a write: " + safe("; ".join(map(str, reasons))), "yellow")
    effect = data.get("effect")
    if effect == "write" or data.get("undoable") is False and effect != "read":
        out.add("HTTP requests cannot be undone.", STYLE_WARN)
    elif effect == "egress":
        out.add(f"First request to {host} in this session.", "blue")


# -- shell ----------------------------------------------------------------------------------------


def _shell(out: PreviewLines, data: Mapping[str, Any], text: str, args: Mapping[str, Any]) -> None:
    head = Text("$ ", style="bold")
    head.append_text(line(str(data.get("command", ""))))
    out.add(head)
    stages = data.get("stages") or []
    if stages:
        parsed = Text("parsed: ", style=STYLE_DIM)
        for i, argv in enumerate(stages):
            if i:
                parsed.append(" | ", style="bold")
            parsed.append(" ".join(repr(safe(a)) for a in argv))
        out.add(parsed)
    redirect = data.get("redirect")
    if isinstance(redirect, Mapping):
        verb = "appended to" if redirect.get("append") else "written to"
        out.add(f"output {verb} {safe(redirect.get('path', '?'))}", STYLE_DIM)
    reads = data.get("reads")
    if reads:
        out.add("reads: " + ", ".join(safe(p) for p in reads), STYLE_DIM)
    changes = data.get("changes") or []
    if changes:
        out.add(f"touches {present.plural(len(changes), 'path')}:")
        width = max(len(safe(ch.get("action", "?"))) for ch in changes)
        for ch in changes:
            verb = safe(ch.get("action", "?"))
            row = Text("  ")
            row.append(verb.ljust(width), style=VERB_STYLE.get(verb, "yellow"))
            row.append(" ")
            row.append(safe(ch.get("path", "?")))
            sizes = present.size_change(ch.get("size_before"), ch.get("size_after"))
            if sizes:
                row.append("  " + sizes, style=STYLE_DIM)
            out.add(row)
        for ch in changes:
            path = safe(ch.get("path", "?"))
            if isinstance(ch.get("diff"), str):
                out.add("")
                out.extend(diff_lines(ch["diff"], path, out.cuts))
            elif ch.get("note"):
                note = safe(ch["note"])
                out.add(f"{path}: {note}", STYLE_WARN)
                if "too large" in note:
                    out.cuts.append(f"the tool does not diff {path} ({note})")
    elif not reads:
        out.add("no file would change", STYLE_DIM)
    for message in data.get("messages") or []:
        out.add(f"! {safe(message)}", STYLE_WARN)


# -- table and text -------------------------------------------------------------------------------


def _table(out: PreviewLines, data: Mapping[str, Any], text: str, args: Mapping[str, Any]) -> None:
    columns = [str(c) for c in data["columns"]]
    rows = [list(r) for r in data["rows"]]
    out.extend(aligned_rows(columns, rows, numbered=False))


def _text(out: PreviewLines, data: Mapping[str, Any], text: str, args: Mapping[str, Any]) -> None:
    out.extend(text_lines(text))
    sql = data.get("sql")
    if isinstance(sql, str) and sql not in text:
        out.extend(text_lines(sql, STYLE_DIM))


_RENDERERS = {"http": _http, "diff": _diff, "shell": _shell, "table": _table, "text": _text}
