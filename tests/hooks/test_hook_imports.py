"""Every MkDocs hook loads without the gate: building the site never imports Flask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(path.name for path in (ROOT / "hooks").glob("*.py"))
FORBIDDEN = ("flask", "sqlalchemy", "gate")

# Loaded as MkDocs loads a hook: by file path, with the hook's folder on sys.path.
PROBE = """
import importlib.util, sys
path = sys.argv[1]
sys.path.insert(0, sys.argv[2])
spec = importlib.util.spec_from_file_location("hook_under_test", path)
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[3:]))))
"""


def test_every_hook_is_checked():
    assert "calc_markers.py" in HOOKS and len(HOOKS) >= 10


@pytest.mark.parametrize("hook", HOOKS)
def test_a_hook_imports_neither_flask_sqlalchemy_nor_gate(hook):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "hooks" / hook), str(ROOT / "hooks"),
         *FORBIDDEN],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{hook} imports {result.stdout.strip()}"
