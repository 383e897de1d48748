"""The ``sop-portal`` console script: a plain click group.

The calculator commands (``prorate``, ``due-date``, ``prorate-change``) answer from here
without the web application: no Flask, no database, only the calculators and the settings
reader. Every other command, and ``sop-portal --help``, is handed over with its arguments to
the Flask group in :mod:`gate.cli`, which creates the app.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from gate.api.cli import COMMANDS

CALCULATOR_COMMANDS = ("prorate", "due-date", "prorate-change")


class PortalGroup(click.Group):
    """Calculator commands run here; anything else goes to the app's Flask group."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands this group answers itself."""
        return list(CALCULATOR_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A calculator command (the others are not this group's)."""
        if cmd_name not in CALCULATOR_COMMANDS:
            return None
        return COMMANDS[cmd_name]

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Run a calculator command here, or hand the arguments to the app's group."""
        argv = list(sys.argv[1:] if args is None else args)
        if not (argv[:1] and argv[0] in CALCULATOR_COMMANDS):
            # The one import inside a function: gate.cli loads Flask and the app factory,
            # which the calculator commands must not pay for (DESIGN, the 0.35 s budget).
            from gate.cli import main as app_group

            return app_group.main(argv, prog_name, complete_var, standalone_mode, **extra)
        return super().main(argv, prog_name, complete_var, standalone_mode, **extra)


@click.group(cls=PortalGroup)
def main() -> None:
    """SOP Portal: public SOP site, members gate and billing calculators."""
