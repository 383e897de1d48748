"""The gate's layout rules: no import cycles, no imports hidden in functions, no registries.

Each module is imported alone in a fresh interpreter, so a cycle that only works in one
import order fails here.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.conftest import ROOT

GATE = ROOT / "gate"
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in GATE.rglob("*.py")
    if path.name not in {"__main__.py", "wsgi.py"}
)
SOURCES = sorted(
    path for folder in ("gate", "hooks", "calculators") for path in (ROOT / folder).rglob("*.py")
)
OURS = {"gate", "calculators", *(path.stem for path in (ROOT / "hooks").glob("*.py"))}
"""Top-level names of our own modules (the hooks import each other by their bare names)."""
ALLOWED_INSIDE = {
    ("gate/__init__.py", "create_app"): OURS,
    # The console script hands non-calculator commands to the app's group, imported only
    # then so that `sop-portal prorate` never loads Flask (gate/console.py says so).
    ("gate/console.py", "PortalGroup.main"): {"gate.cli"},
}
"""The functions that may import our modules, and which: the factory, and the console group."""


ALONE = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "gate" or m.startswith("gate.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def test_each_gate_module_imports_alone():
    """Every module imports first, with no other gate module loaded (libraries stay loaded)."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and module names
        [sys.executable, "-c", ALONE, *MODULES], cwd=ROOT, capture_output=True, text=True,
        check=False, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""


def _imported(node: ast.AST) -> list[str]:
    """The module names an import statement loads (``from .x import y`` counts as ``.x``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return ["." * node.level + (node.module or "")]
    return []


def _is_ours(name: str, allowed: set[str]) -> bool:
    """True when ``name`` is one of our modules and not among ``allowed``."""
    if name.startswith("."):
        return True  # relative: always one of ours
    if name in allowed or name.split(".")[0] in allowed:
        return False
    return name.split(".")[0] in OURS


def hidden_imports(source: str, relative: str) -> list[str]:
    """``LINE FUNCTION MODULE`` for each of our modules imported inside a function.

    ``relative`` is the file's path from the repository root, which says whether it holds
    one of the functions in :data:`ALLOWED_INSIDE`.
    """
    found: list[str] = []

    def visit(node: ast.AST, scope: str, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{scope}.{child.name}" if scope else child.name
                visit(child, name, in_function or not isinstance(child, ast.ClassDef))
                continue
            if in_function:
                allowed = ALLOWED_INSIDE.get((relative, scope), set())
                found.extend(f"{child.lineno} {scope} {module}"
                             for module in _imported(child) if _is_ours(module, allowed))
            visit(child, scope, in_function)

    visit(ast.parse(source), "", False)
    return found


def test_no_imports_of_our_modules_inside_functions():
    """Our modules are imported at the top; only create_app and the console group may wait."""
    found = []
    for path in SOURCES:
        relative = path.relative_to(ROOT).as_posix()
        found += [f"{relative}:{line}"
                  for line in hidden_imports(path.read_text(encoding="utf-8"), relative)]
    assert found == [], "imports inside functions:\n" + "\n".join(found)


@pytest.mark.parametrize(("source", "expected"), [
    ("import os\ndef f():\n    import json\n", []),
    ("def f():\n    from gate import mail\n", ["f gate"]),
    ("def f():\n    import calculators.money\n", ["f calculators.money"]),
    ("def f():\n    import nav_marks\n", ["f nav_marks"]),
    ("def f():\n    from . import x\n", ["f ."]),
    ("class C:\n    def m(self):\n        if True:\n            from gate.db import x\n",
     ["C.m gate.db"]),
    ("def f():\n    def g():\n        from gate import db\n", ["f.g gate"]),
    ("async def f():\n    import calc_syntax\n", ["f calc_syntax"]),
    ("def create_app():\n    from gate import db\n", ["create_app gate"]),
    ("from gate import db\nclass C:\n    from gate import mail\n", []),
])
def test_hidden_imports_finds_our_modules_in_any_function(source, expected):
    """The check itself: nested functions and methods count; libraries and the top do not."""
    found = [line.split(" ", 1)[1] for line in hidden_imports(source, "gate/example.py")]
    assert found == expected


@pytest.mark.parametrize(("relative", "function", "module", "allowed"), [
    ("gate/__init__.py", "create_app", "gate.admin", True),
    ("gate/console.py", "PortalGroup.main", "gate.cli", True),
    ("gate/console.py", "PortalGroup.main", "gate.api.cli", False),
    ("gate/console.py", "PortalGroup.get_command", "gate.cli", False),
    ("gate/cli.py", "create_app", "gate.admin", False),
])
def test_only_the_factory_and_the_console_group_are_excepted(relative, function, module,
                                                            allowed):
    """The exceptions hold for their own file and function, and nothing else."""
    exceptions = ALLOWED_INSIDE.get((relative, function), set())
    assert _is_ours(module, exceptions) is not allowed


def test_healthz_runs_the_checks_create_app_hands_over(app):
    from gate import db, health, site

    assert not hasattr(site, "health_checks"), "no module-level registry"
    assert app.extensions[site.HEALTH_CHECKS] == (
        db.check_database, health.limiter_storage, health.mail_queue, health.sqlite_disk)


def module_imports(path) -> set[str]:
    """The gate modules ``path`` imports at its top level (``from gate.x import y`` counts as
    ``gate.x.y`` when that is a module, else as ``gate.x``)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("gate"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gate"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in MODULES else str(node.module))
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle of ``graph`` found by a depth-first walk (each reported once, from its
    smallest module name)."""
    cycles: list[list[str]] = []

    def walk(start: str, node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                cycles.append([*trail, start])
            elif nxt > start and nxt not in trail:
                walk(start, nxt, [*trail, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return cycles


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"a"}}, [["a", "b", "a"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c", "a"]]),
])
def test_import_cycles_are_found(graph, expected):
    assert import_cycles(graph) == expected


def test_no_import_cycles_between_gate_modules():
    """No module imports, at its top, a module that imports it back (however far round):
    the package ``__init__`` files import their views and the views import what they need
    from modules below them, never from the package itself."""
    graph = {}
    for path in GATE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        graph[name] = module_imports(path) - {name}
    assert import_cycles(graph) == []
