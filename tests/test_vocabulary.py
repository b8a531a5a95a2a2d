"""One vocabulary: event kinds are named only by ``assistant/agent/events.py`` and the journal's
storage. Every other reader matches on the event classes (``assistant.agent.events.parse`` turns
a stored kind and payload into one), so a new kind cannot be half-known across the tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from assistant.agent import events as ev

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = ("assistant/agent/events.py", "assistant/journal/")
"""The events module, and the journal's storage (its SQL, index and summary columns)."""
KIND_LIKE = re.compile(r"(action|turn|assistant|user|grant|host|tool)\.[a-z_]*")
CLASSES = {cls.__name__ for cls in ev.EVENT_TYPES.values()} | {"Unreadable"}


def _sources() -> list[Path]:
    files = [*ROOT.joinpath("assistant").rglob("*.py"), *ROOT.joinpath("tools").rglob("*.py")]
    return [p for p in files if not p.relative_to(ROOT).as_posix().startswith(ALLOWED)]


def kind_spellings(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for each string that names an event kind (or a family: "action.") and each
    ``SomeEvent.kind`` read: both mean a reader telling events apart by name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in ev.EVENT_TYPES or KIND_LIKE.fullmatch(node.value):
                found.append((node.lineno, repr(node.value)))
        elif isinstance(node, ast.Attribute) and node.attr == "kind":
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in CLASSES:
                found.append((node.lineno, f"{name}.kind"))
    return found


def test_no_event_kind_is_spelled_outside_the_events_module_and_the_journal() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _sources()
        for line, what in kind_spellings(ast.parse(path.read_text(), str(path)))
    ]
    assert found == [], "match on the event classes instead:\n" + "\n".join(found)


def test_the_check_sees_each_way_of_spelling_a_kind() -> None:
    """The check itself: it must fail on the readers this tree used to have."""
    code = """
if event.kind == "action.proposed": pass
if kind.startswith("action."): pass
if kind in ("turn.error", "tool.fault"): pass
if e.kind == ev.ActionResult.kind: pass
if e.kind == GrantRevoked.kind: pass
"""
    assert sorted(line for line, _ in kind_spellings(ast.parse(code))) == [2, 3, 4, 4, 5, 6]
    assert kind_spellings(ast.parse('if step.kind == "live": x = "3.5 s"')) == []


def test_every_kind_has_one_class_and_reads_back() -> None:
    for kind, cls in ev.EVENT_TYPES.items():
        assert cls.kind == kind and KIND_LIKE.fullmatch(kind), kind
    assert len(set(ev.EVENT_TYPES)) == len(ev.EVENT_TYPES)
