"""Fixtures of the newsletter tests: export files and the import command."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def csv_file(tmp_path):
    """``csv_file(text) -> Path``: write an export next to the test's instance folder."""
    counter = iter(range(1000))

    def write(text: str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"export-{next(counter)}.csv")
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def run(runner):
    """``run(*args)``: invoke ``sop-portal subscribers import`` and return the result."""

    def invoke(*args):
        return runner.invoke(args=["subscribers", "import", *map(str, args)])

    return invoke
