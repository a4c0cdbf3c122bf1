"""The areas import each other in one direction: no cycle between packages of webapp and sync.

An area is a first-level package or module of ``webapp`` (``webapp.review``, ``webapp.models``,
``webapp.edge``...) or ``sync`` as a whole; ``webapp/__init__.py`` (create_app) is the top and
may import anything. Every import counts, at the top of a module or inside a function: a
function-local import hides a cycle from Python, not from a reader.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Edges allowed to close a cycle, each with why and who cuts it (none today: #16 cut the last
# ones). An entry whose import is gone fails the second test, so none is left to hide a new one.
ALLOWED: set[tuple[str, str]] = set()


def _area(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "sync":
        return "sync"
    if parts[0] != "webapp" or len(parts) < 2:
        return None
    first = parts[1]
    if (ROOT / "webapp" / first).is_dir() or (ROOT / "webapp" / f"{first}.py").is_file():
        return f"webapp.{first}"
    return None  # a name imported from webapp/__init__.py, not a module


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        here = module.split(".")
        up = here if is_package else here[:-1]
        up = up[: len(up) - (node.level - 1)]
        base = ".".join(up + ([base] if base else []))
    # "from webapp import edge" imports the module webapp.edge.
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph() -> dict[str, dict[str, list[str]]]:
    """area -> imported area -> where (path:line), for every import in webapp and sync."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for package in ("webapp", "sync"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = _module_name(path)
            source = _area(module)
            if source is None:
                continue  # webapp/__init__.py: create_app wires every area
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                for name in _imported(node, module, path.name == "__init__.py"):
                    target = _area(name)
                    if target and target != source:
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        if where not in graph[source][target]:
                            graph[source][target].append(where)
    return graph


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of areas, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_areas_import_each_other_without_a_cycle():
    """Leaving out only the commented allow-list, is the area import graph acyclic?"""
    graph = import_graph()
    edges = {
        src: {dst for dst in targets if (src, dst) not in ALLOWED} for src, targets in graph.items()
    }
    cycle = _cycle(edges)
    if cycle:
        steps = [
            f"{a} -> {b} ({', '.join(graph[a][b][:3])})"
            for a, b in zip(cycle, cycle[1:], strict=False)
        ]
        raise AssertionError("import cycle between areas:\n  " + "\n  ".join(steps))


def test_every_allowed_edge_still_exists():
    """Does each allow-listed import still exist? (Once cut, its entry must go.)"""
    graph = import_graph()
    gone = sorted((a, b) for a, b in ALLOWED if b not in graph.get(a, {}))
    assert not gone, f"these imports are gone: delete them from ALLOWED: {gone}"


def test_the_graph_sees_a_cycle_through_a_function_local_import():
    """Does the check find a cycle closed by an import inside a function?"""
    module = "webapp.home.views"
    tree = ast.parse("def f():\n    from webapp.review.views import home_for\n")
    names = [n for node in ast.walk(tree) for n in _imported(node, module, False)]
    assert "webapp.review" in {_area(n) for n in names}
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None
