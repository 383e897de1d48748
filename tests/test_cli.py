"""gate/cli.py: the app's command group says a database problem in one line, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gate.cli import main


@pytest.mark.parametrize("args", [
    ["users", "list"],
    ["users", "grant", "someone@example.com", "clients"],
    ["audit", "--format", "json"],
    ["prune", "--dry-run"],
])
def test_a_database_without_tables_says_to_upgrade_it(tmp_path, args):
    result = CliRunner().invoke(main, args, env={
        "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    })
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert lines == ["error: the database has no tables for this release yet: run "
                     "`sop-portal db upgrade` first"]
