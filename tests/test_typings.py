"""typings/ and the strict type check: the stubs match the installed libraries, and every gate
module is checked by ``mypy --strict`` in ``make lint``."""

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


def test_strict_paths_are_read_from_the_makefile() -> None:
    text = "X := 1\nMYPY_STRICT := calculators gate/api \\\n  gate/db.py\n\nlint:\n"
    assert strict_paths(text) == {"calculators", "gate/api", "gate/db.py"}


def test_every_gate_module_is_strict() -> None:
    strict = strict_paths((ROOT / "Makefile").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    silenced = [o["module"] for o in pyproject["tool"]["mypy"].get("overrides", [])
                if o.get("follow_imports") == "silent"]
    assert silenced == [], f"pyproject.toml reads these without reporting their errors: {silenced}"
    for path in sorted((ROOT / "gate").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        assert any(relative == p or relative.startswith(p + "/") for p in strict), (
            f"{relative} is not in the Makefile's MYPY_STRICT list")


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
