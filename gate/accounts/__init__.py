"""Wiring of the accounts part into ``create_app``: extensions, database, sessions, mail,
the ``/auth`` blueprints (sign-in; status, account, access requests) and the admin
commands, in the order they depend on each other."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the accounts part on ``app`` (before the parts that use ``current_user``)."""
    from gate import (
        admin_cli,
        auth,
        db,
        extensions,
        mail,
        reader,
        requests_cli,
        sessions,
        twofactor,
    )

    extensions.init_app(app)
    db.init_app(app)
    sessions.init_app(app)
    mail.init_app(app)
    auth.init_app(app)
    reader.init_app(app)
    requests_cli.init_app(app)
    twofactor.init_app(app)
    admin_cli.init_app(app)
