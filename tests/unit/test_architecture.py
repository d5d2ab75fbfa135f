"""The layers of docs/architecture.md hold: each package imports only the layers
below it, nothing imports in a circle, and an import inside a function says why.

    domain <- store <- application <- service        auth, projections beside:
    auth -> domain, store;  projections -> domain, store, auth
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "store", "auth", "projections", "application", "service")
ALLOWED = {
    "domain": {"domain"},
    "store": {"domain", "store"},
    "auth": {"domain", "store", "auth"},
    "projections": {"domain", "store", "auth", "projections"},
    "application": {"domain", "store", "auth", "application"},
    "service": set(PACKAGES),
}
# What the domain may use besides itself: the standard library and the library's aggregates.
DOMAIN_THIRD_PARTY = "eventsourcing.domain"


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path) -> list[tuple[str, int, bool, bool]]:
    """(module imported, line, inside a function, under TYPE_CHECKING) for each import."""
    tree = ast.parse(path.read_text())
    found: list = []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function, type_checking) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                # `from package import module` is an import of the module (the package's
                # __init__ runs first for any of its modules: that is not a dependency).
                submodules = [f"{child.module}.{a.name}" for a in child.names
                              if f"{child.module}.{a.name}" in MODULE_NAMES]
                targets = submodules if len(submodules) == len(child.names) else [child.module, *submodules]
                found.extend((target, child.lineno, in_function, type_checking) for target in targets)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, in_function, True)
            else:
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)),
                      type_checking)

    visit(tree, False, False)
    return found


MODULES = modules()
MODULE_NAMES = set(MODULES)


def project_edges(type_checking: bool) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _, _, under_type_checking in imports(path):
            if target in MODULES and target != name and (type_checking or not under_type_checking):
                edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_the_layers_below_it(name):
    package = name.split(".")[0]
    above = [f"{target} (line {line})" for target, line, _, _ in imports(MODULES[name])
             if target.split(".")[0] in PACKAGES and target.split(".")[0] not in ALLOWED[package]]
    assert above == [], f"{name} imports from a layer above it"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("domain")))
def test_the_domain_imports_no_web_database_or_auth_code(name):
    outside = [target for target, _, _, _ in imports(MODULES[name])
               if not target.startswith("domain") and target.split(".")[0] in {
                   "flask", "marshmallow", "psycopg", "psycopg_pool", "sqlite3", "authlib", "joserfc",
                   "eventsourcing"} and not target.startswith(DOMAIN_THIRD_PARTY)]
    assert outside == []


def test_nothing_imports_in_a_circle_at_run_time():
    assert cycles(project_edges(type_checking=False)) == []


def test_the_only_circle_for_the_type_checker_is_the_domains():
    assert all(all(name.startswith("domain.") for name in cycle) for cycle in cycles(project_edges(True)))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_an_import_inside_a_function_says_why(name):
    lines = MODULES[name].read_text().split("\n")
    silent = [f"line {line}: {target}" for target, line, in_function, _ in imports(MODULES[name])
              if in_function and target.split(".")[0] in PACKAGES
              and "#" not in lines[line - 1] and not lines[line - 2].strip().startswith("#")]
    assert silent == []
