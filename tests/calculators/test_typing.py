"""The engine type-checks under ``mypy --strict`` (pyproject.toml sets strict for it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_strict_on_the_engine():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "calculators"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
