"""The ``sop-portal`` console script: a plain click group.

The calculator commands (``prorate``, ``due-date``, ``prorate-change``) answer from here
without the web application: no Flask, no database, only the calculators and the settings
reader. Every other command, and ``sop-portal --help``, is handed over with its arguments to
the Flask group in :mod:`gate.cli`, which creates the app.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

CALCULATOR_COMMANDS = ("prorate", "due-date", "prorate-change")


def fail(message: str) -> NoReturn:
    """Print a one-line error on standard error and exit with status 2."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


class PortalGroup(click.Group):
    """Calculator commands run here; anything else goes to the app's Flask group."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands this group answers itself."""
        return list(CALCULATOR_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A calculator command, imported on first use."""
        if cmd_name not in CALCULATOR_COMMANDS:
            return None
        from gate.api.cli import COMMANDS

        return COMMANDS[cmd_name]

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Run a calculator command here, or hand the arguments to the app's group."""
        argv = list(sys.argv[1:] if args is None else args)
        if not (argv[:1] and argv[0] in CALCULATOR_COMMANDS):
            from gate.cli import main as app_group

            return app_group.main(argv, prog_name, complete_var, standalone_mode, **extra)
        return super().main(argv, prog_name, complete_var, standalone_mode, **extra)


@click.group(cls=PortalGroup)
def main() -> None:
    """SOP Portal: public SOP site, members gate and billing calculators."""
