"""No import cycle between packages: each package of `assistant` (agent, journal, ui, cli,
recipes, export, and each top-level module) and `tools` may depend on others only one way.
Every import counts, those inside functions and under TYPE_CHECKING too: a lazy import is still
a dependency, and a cycle through one is a knot waiting to be pulled tight."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module(path: Path, root: Path) -> str:
    name = ".".join(path.relative_to(root).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _unit(module: str) -> str | None:
    """The package a module belongs to: `tools`, or `assistant.<first part>`."""
    parts = module.split(".")
    if parts[0] == "tools":
        return "tools"
    if parts[0] == "assistant":
        return "assistant" if len(parts) == 1 else f"assistant.{parts[1]}"
    return None


def package_graph(root: Path) -> dict[str, dict[str, str]]:
    """unit -> {unit it imports: one file:line that does}."""
    files = [*root.glob("assistant/**/*.py"), *root.glob("tools/**/*.py")]
    modules = {_module(f, root) for f in files}
    graph: dict[str, dict[str, str]] = {}
    for path in files:
        source = _unit(_module(path, root))
        assert source is not None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                names += [f"{node.module}.{a.name}" for a in node.names]
                names = [n for n in names if n == node.module or n in modules]
            for name in names:
                target = _unit(name)
                if target is not None and target != source:
                    where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
                    graph.setdefault(source, {}).setdefault(target, where)
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one unit (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": []}) == []


def test_the_graph_sees_lazy_imports(tmp_path: Path) -> None:
    """A cycle made only of imports inside functions is still found."""
    for name, text in {
        "assistant/__init__.py": "",
        "assistant/recipes/__init__.py": "def f():\n    from assistant.cli import main\n",
        "assistant/cli/__init__.py": "from assistant.recipes import f\nmain = f\n",
        "tools/__init__.py": "",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cycles(package_graph(tmp_path)) == [["assistant.cli", "assistant.recipes"]]


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph(ROOT)
    found = cycles(graph)
    where = [
        " -> ".join(group)
        + ": "
        + "; ".join(
            f"{a} imports {b} at {graph[a][b]}"
            for a in group
            for b in group
            if b in graph.get(a, {})
        )
        for group in found
    ]
    assert found == [], "\n".join(where)
