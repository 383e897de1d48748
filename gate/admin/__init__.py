"""The staff pages (``/admin/``): users, grants, accounts, imports, audit, mail, view as.

- :mod:`gate.admin.blueprint`: the blueprint, its staff-only and CSRF rules, page helpers;
- :mod:`gate.admin.routes`, :mod:`gate.admin.routes_ops`, :mod:`gate.admin.view_as`: the views;
- :mod:`gate.admin.services`, :mod:`gate.admin.queries`: the rules and the lists they show;
- :mod:`gate.admin.cli`: ``sop-portal users ...``, the same services from a shell.
"""

from __future__ import annotations

from flask import Flask

from gate.admin import cli, routes, routes_ops, view_as
from gate.admin.blueprint import bp
from gate.extensions import csrf

VIEWS = (routes, routes_ops, view_as)
"""The modules whose views are on :data:`bp` (imported above, so registered with it)."""


def init_app(app: Flask) -> None:
    """Register the staff pages and the ``users`` commands that share their services."""
    csrf.exempt(bp)  # checked by blueprint.staff_only, after the access check
    app.register_blueprint(bp)
    cli.init_app(app)
