"""No import circle among the connectors: the platform facts live on the connector
classes, and `credentials` reads them by kind name instead of importing a connector."""

from __future__ import annotations

import ast
from pathlib import Path

import connectors

PACKAGE = Path(connectors.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every `connectors.*` module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("connectors.")
            and (PACKAGE / f"{name.removeprefix('connectors.')}.py").exists()}


def _graph() -> dict[str, set[str]]:
    return {f"connectors.{p.stem}": _imports(p) for p in PACKAGE.glob("*.py")
            if p.stem != "__init__"}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module):], module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            if (cycle := visit(imported, [*path, module])) is not None:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        if (cycle := visit(module, [])) is not None:
            return cycle
    return None


def test_the_connectors_import_no_circle() -> None:
    graph = _graph()
    assert "connectors.credentials" in graph["connectors.twitter"]  # the graph is read
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_credentials_and_the_base_import_no_platform_connector() -> None:
    graph = _graph()
    for leaf in ("connectors.base", "connectors.credentials"):
        assert not graph[leaf] & {"connectors.twitter", "connectors.reddit",
                                  "connectors.twitter_errors", "connectors.reddit_client"}


def test_the_cycle_finder_finds_a_circle() -> None:
    # the check above can fail: the circle this branch removed is found
    old = {"connectors.credentials": {"connectors.twitter"},
           "connectors.twitter": {"connectors.twitter_errors"},
           "connectors.twitter_errors": {"connectors.credentials"}}
    assert _cycle(old) == ["connectors.credentials", "connectors.twitter",
                           "connectors.twitter_errors", "connectors.credentials"]
