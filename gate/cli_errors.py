"""How every ``sop-portal`` command reports bad input: one line on standard error, exit 2.

It imports nothing of the gate, so any command module (and the console script, which loads
the calculator commands) can use it without an import cycle.
"""

from __future__ import annotations

from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    """Print a one-line error on standard error and exit with status 2."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


class OneLineUsage(click.Command):
    """A command whose usage errors (unknown option, missing value, stray argument) are one
    line on standard error, exit 2, like its other bad input."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            fail(exc.format_message())
