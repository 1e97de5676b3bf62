"""The packages of medssl import each other without a cycle (lazy imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

import medssl

ROOT = Path(medssl.__file__).parent


def _package_edges() -> dict[str, set[str]]:
    """package -> packages it imports anywhere (module level or inside functions)."""
    edges: dict[str, set[str]] = {}
    for file in ROOT.rglob("*.py"):
        parts = file.relative_to(ROOT).parts
        if len(parts) < 2:  # top-level modules (cli helpers, demo) are glue, not packages
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                bits = name.split(".")
                inner = len(bits) > 1 and bits[0] == "medssl" and (ROOT / bits[1]).is_dir()
                if inner and bits[1] != parts[0]:
                    edges.setdefault(parts[0], set()).add(bits[1])
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_import_cycle_between_packages():
    cycle = _cycle(_package_edges())
    assert cycle is None, " -> ".join(cycle or [])
