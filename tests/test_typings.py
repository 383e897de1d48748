"""typings/ and the strict type check: the stubs match the installed libraries, and every gate
module is either checked by ``mypy --strict`` in ``make lint`` or named as not yet strict."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TYPINGS = ROOT / "typings"
STUBBED = ["flask_login", "flask_wtf", "wtforms", "gunicorn.glogging"]


def strict_paths(makefile: str) -> set[str]:
    """The paths of ``MYPY_STRICT := ...`` in the Makefile's text (continuation lines joined)."""
    found = re.search(r"^MYPY_STRICT := ((?:.*\\\n)*.*)$", makefile, re.M)
    if found is None:
        raise AssertionError("the Makefile has no MYPY_STRICT list")
    return set(found.group(1).replace("\\\n", " ").split())


def pending_modules(pyproject: dict) -> set[str]:
    """The gate modules pyproject.toml reads silently (not strict yet)."""
    for override in pyproject["tool"]["mypy"]["overrides"]:
        if override.get("follow_imports") == "silent":
            return set(override["module"])
    return set()


def module_name(path: Path) -> str:
    """``gate/admin/routes.py`` -> ``gate.admin.routes``; a package's ``__init__`` -> its name."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def covered_by(module: str, names: set[str]) -> bool:
    """True when ``module`` is one of ``names`` or matches one of its ``pkg.*`` patterns
    (as in mypy: the package itself and everything under it)."""
    return module in names or any(
        name.endswith(".*") and (module == name[:-2] or module.startswith(name[:-1]))
        for name in names
    )


def test_strict_paths_are_read_from_the_makefile() -> None:
    text = "X := 1\nMYPY_STRICT := calculators gate/api \\\n  gate/db.py\n\nlint:\n"
    assert strict_paths(text) == {"calculators", "gate/api", "gate/db.py"}


@pytest.mark.parametrize(("module", "names", "expected"), [
    ("gate.sessions", {"gate.sessions"}, True),
    ("gate.accounts.routes", {"gate.accounts.*"}, True),
    ("gate.accounts", {"gate.accounts.*"}, True),
    ("gate.accounts_app", {"gate.accounts.*"}, False),
    ("gate.db", {"gate", "gate.sessions"}, False),
])
def test_module_patterns(module: str, names: set[str], expected: bool) -> None:
    assert covered_by(module, names) is expected


def test_every_gate_module_is_strict_or_pending() -> None:
    strict = strict_paths((ROOT / "Makefile").read_text(encoding="utf-8"))
    pending = pending_modules(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8")))
    assert pending, "pyproject.toml names no module that is not strict yet"
    for path in sorted((ROOT / "gate").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        is_strict = any(relative == p or relative.startswith(p + "/") for p in strict)
        is_pending = covered_by(module_name(path), pending)
        state = "both strict and pending" if is_strict else "neither strict nor pending"
        assert is_strict != is_pending, (
            f"{relative}: {state} (Makefile MYPY_STRICT, pyproject.toml [tool.mypy])")


@pytest.mark.slow
def test_stubs_match_the_installed_libraries() -> None:
    """mypy's stubtest: what typings/ declares exists in the installed release, with the
    same signatures (names the gate does not use may be missing from the stubs)."""
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "mypy.stubtest", "--ignore-missing-stub",
         "--allowlist", str(TYPINGS / "stubtest-allowlist.txt"), *STUBBED],
        cwd=ROOT, env={**os.environ, "MYPYPATH": str(TYPINGS)},
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
