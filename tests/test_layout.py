"""The tree matches the architecture the README shows: packages by stage, each saying what it owns,
imports only downward (dsl < engine < sales < explain < plan < time < plantest < cli), no import circles
(lazy imports inside functions count too), modules of readable size."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: the layers, lowest first: a module may import from its own layer or a lower one
LAYERS = ["dsl", "incentives.errors", "incentives.engine", "incentives.sales", "incentives.columnar",
          "incentives.explain",
          "incentives.plan", "incentives.time", "incentives.simulate", "incentives", "incentives.plantest", "incentives.service",
          "incentives.cli"]
PACKAGES = ["dsl", "incentives", "incentives.engine", "incentives.sales", "incentives.explain",
            "incentives.plantest", "incentives.cli", "incentives.time",
            "incentives.service", "incentives.service.routes", "incentives.columnar",
            "incentives.simulate"]
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("dsl", "incentives"):
        for p in (ROOT / top).rglob("*.py"):
            parts = p.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = p
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                found.add(sub if sub in modules else mod)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def _layer(module: str) -> int:
    best = -1
    for i, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            if best == -1 or len(prefix) > len(LAYERS[best]):
                best = i
    return best


GRAPH = {name: _imports(name, path, _modules()) for name, path in _modules().items()}


def test_imports_only_go_down_the_layers():
    upward = [(m, o) for m, outs in GRAPH.items() for o in outs
              if _layer(o) > _layer(m) and not (m == "incentives" and o.startswith("incentives."))]
    assert upward == []


def test_no_import_circles():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert circles == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_says_what_it_owns(package):
    module = __import__(package, fromlist=["_"])
    assert module.__doc__ and len(module.__doc__.split()) >= 12


def test_modules_stay_readable():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_readme_layout_names_every_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for package in PACKAGES:
        path = package.replace(".", "/") + "/"
        assert re.search(rf"^\s*[│├└─ ]*{re.escape(path.split('/')[-2])}/", section, re.M), path
