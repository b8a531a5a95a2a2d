"""The HTML transcript: one self-contained page. Every untrusted string is control-escaped, then
HTML-escaped; the page loads nothing (a Content-Security-Policy forbids scripts and fetches)."""

from __future__ import annotations

from html import escape as _html_escape

from assistant import present
from assistant.agent import action_life
from assistant.export._transcript import (
    NOTES,
    Item,
    Transcript,
    action_facts,
    fault_line,
    header_facts,
)
from tools.base import escape_text

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
  color: #1d1d1f; background: #fff; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; font-family: ui-monospace, monospace; }
pre { background: #f5f5f7; padding: .6rem .8rem; overflow-x: auto; white-space: pre-wrap;
  word-break: break-word; border-radius: 4px; }
section.action { border-left: 4px solid #8e8e93; padding-left: .8rem; margin: 1rem 0; }
section.action.write { border-color: #d70015; } section.action.egress { border-color: #c93400; }
section.action.read { border-color: #248a3d; }
.tag { font: 600 .75rem ui-monospace, monospace; padding: .05rem .35rem; border-radius: 3px;
  background: #e5e5ea; }
.note { color: #6e6e73; } .bad { color: #d70015; font-weight: 600; }
""".strip()

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def esc(text: str) -> str:
    """Control characters shown as escapes, then HTML-escaped (quotes too)."""
    return _html_escape(escape_text(text), quote=True)


def _pre(text: str) -> str:
    # HTML drops one newline right after <pre>: give it one, so a leading blank line survives.
    return f"<pre>\n{esc(text)}</pre>"


def render(t: Transcript) -> str:
    """The whole transcript as one HTML page."""
    title = esc(t.info.title or "(untitled)")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Session {esc(t.info.id[:8])}: {title}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
        "<h1>Session transcript</h1>",
        '<dl class="facts">',
    ]
    for label, value in header_facts(t):
        cls = ' class="bad"' if label == "journal" and not t.check.ok else ""
        parts.append(f"<dt>{esc(label)}</dt><dd{cls}>{esc(value)}</dd>")
    parts.append("</dl>")
    for item in t.items:
        parts += _item(item)
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _when(ts: str) -> str:
    return f'<span class="note">{esc(present.utc(ts))}</span>'


def _item(item: Item) -> list[str]:
    if item.kind == "user":
        return [f"<h2>Prompt · {_when(item.ts)}</h2>", _pre(item.text)]
    if item.kind == "assistant":
        out = [f"<h3>Answer · {_when(item.ts)}</h3>"]
        if item.text:
            out.append(_pre(item.text))
        if item.cut:
            out.append(f'<p class="note"><em>{esc(item.cut)}</em></p>')
        if item.extra:
            out.append(f'<p class="note">Calls: <code>{esc(item.extra)}</code></p>')
        return out
    if item.kind == "action" and item.life is not None:
        return _action(item)
    if item.kind in NOTES:
        extra = f" (<code>{esc(item.extra)}</code>)" if item.extra else ""
        body = f": <code>{esc(item.text)}</code>" if item.text else ""
        out = [f'<p class="note"><strong>{NOTES[item.kind]}</strong>{extra}{body}</p>']
        if item.kind == "call_error":
            out += [
                f'<p class="note">Internal error: <code>{esc(fault_line(f))}</code></p>'
                for f in item.faults
            ]
        return out
    return []


def _action(item: Item) -> list[str]:
    life = item.life
    assert life is not None
    p = life.proposed
    effect = p.effect if p.effect in ("read", "write", "egress") else "other"
    out = [
        f'<section class="action {effect}">',
        f'<h3><span class="tag">{esc(present.effect_tag(p.effect))}</span> <code>{esc(p.tool)}</code> '
        f"· {esc(p.summary)}</h3>",
        '<dl class="facts">',
        f"<dt>action</dt><dd>{esc(p.action_id)}</dd>",
        f"<dt>proposed</dt><dd>{esc(present.utc(item.ts))}</dd>",
    ]
    bad = life.state in (action_life.FAILED, action_life.OUTCOME_UNKNOWN)
    for label, value in action_facts(life):
        cls = ' class="bad"' if label == "Outcome" and bad else ""
        out.append(f"<dt>{esc(label.lower())}</dt><dd{cls}>{esc(value)}</dd>")
    out.append("</dl>")
    preview = p.preview.get("text")
    if isinstance(preview, str) and preview:
        out += ['<p class="note">Preview</p>', _pre(preview)]
    if life.result is not None:
        if life.result.display:
            out.append(f'<p class="note">Result: <code>{esc(life.result.display)}</code></p>')
        if life.result.output:
            out.append(_pre(life.result.output))
    out.append("</section>")
    return out
