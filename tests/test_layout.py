"""The gate's layout rules: no import cycles, no imports hidden in functions, no registries.

Each module is imported alone in a fresh interpreter, so a cycle that only works in one
import order fails here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

GATE = ROOT / "gate"
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in GATE.rglob("*.py")
    if path.name not in {"__main__.py", "wsgi.py"}
)
NO_HIDDEN_IMPORTS = sorted((GATE / "accounts").glob("*.py")) + [
    GATE / "site.py", GATE / "db.py", GATE / "health.py",
]


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


def _hidden_imports(path: Path) -> list[str]:
    """``gate`` imports inside functions of ``path`` (create_app may import what it registers)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name == "create_app":
            continue
        for inner in ast.walk(node):
            names = ([inner.module or ""] if isinstance(inner, ast.ImportFrom)
                     else [a.name for a in inner.names] if isinstance(inner, ast.Import) else [])
            found += [f"{path.name}:{inner.lineno} {n}" for n in names
                      if n == "gate" or n.startswith("gate.")]
    return found


@pytest.mark.parametrize("path", NO_HIDDEN_IMPORTS, ids=lambda p: str(p.relative_to(GATE)))
def test_no_gate_imports_inside_functions(path):
    assert _hidden_imports(path) == []


def test_healthz_runs_the_checks_create_app_hands_over(app):
    from gate import db, health, site

    assert not hasattr(site, "health_checks"), "no module-level registry"
    assert app.extensions[site.HEALTH_CHECKS] == (
        db.check_database, health.limiter_storage, health.mail_queue, health.sqlite_disk)
