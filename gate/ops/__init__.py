"""Running the portal: the commands an operator uses besides ``serve`` and ``build``.

- :mod:`~gate.ops.cli`: ``db upgrade`` / ``db revision``, ``mail list/retry/worker``, ``audit``.
- :mod:`~gate.ops.demo`: ``demo``, the demo accounts (refused in production).
- :mod:`~gate.ops.backup`: ``backup`` and ``restore`` (SQLite's backup API, or PostgreSQL's
  ``pg_dump``/``pg_restore``).
- :mod:`~gate.ops.nginx`: ``nginx-config`` and the public pages' policy include the build writes.
"""

from __future__ import annotations

from flask import Flask

from gate.ops import backup, cli, nginx


def init_app(app: Flask) -> None:
    """Register the operator's commands on ``app.cli``."""
    for part in (cli, backup, nginx):
        part.init_app(app)
