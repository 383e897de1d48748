"""The SOP Portal gate: serves the public site, restricted pages, downloads and the API."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gate import config as portal_config

if TYPE_CHECKING:  # Flask is imported when an app is made: `sop-portal prorate` never does
    from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    Defaults first, then the environment (``SOP_PORTAL_*``, ``SECRET_KEY`` and the other
    variables listed in the README), then ``test_config`` last so tests can shorten windows,
    lower hashing cost and raise rate limits.
    """
    from flask import Flask

    instance_path = os.environ.get("SOP_PORTAL_INSTANCE") or None
    if test_config and test_config.get("INSTANCE_PATH"):
        instance_path = str(test_config["INSTANCE_PATH"])
    app = Flask(__name__, instance_path=instance_path, static_folder=None)
    app.config.from_mapping(portal_config.defaults(app.instance_path))
    app.config.update(portal_config.from_environ(os.environ))
    if test_config is not None:
        app.config.update(test_config)
    app.config.update(portal_config.derived_defaults(app.config))
    portal_config.check_production(app.config)
    app.config["TRUSTED_HOSTS"] = portal_config.production_trusted_hosts(app.config) or []
    for name in portal_config.PATH_SETTINGS:  # relative to the working folder, once
        app.config[name] = str(portal_config.resolve_path(str(app.config[name])))
    os.makedirs(app.instance_path, exist_ok=True)

    from gate import (
        admin,
        db,
        errors,
        extensions,
        health,
        mail,
        members,
        newsletter,
        ops,
        security,
        site,
    )
    from gate.accounts import cli as accounts_cli
    from gate.accounts import routes as accounts_routes
    from gate.accounts import routes_reader, sessions, twofactor
    from gate.api import routes as api
    from gate.privacy import cli as privacy_cli

    # Shared infrastructure first: every part uses the headers, errors, database, mail and
    # ``current_user``.
    for infrastructure in (security, errors, extensions, db, sessions, mail):
        infrastructure.init_app(app)
    # The parts: each registers its blueprint, its commands and its hooks.
    for blueprint in (accounts_routes.bp, routes_reader.bp, twofactor.bp):
        app.register_blueprint(blueprint)
    app.cli.add_command(accounts_cli.requests_cli)
    for part in (ops, newsletter, members, api, admin, privacy_cli):
        part.init_app(app)
    # Blueprints with their own URL prefixes come first; the public site catches the rest.
    site.init_app(app, health_checks=(db.check_database, health.limiter_storage,
                                      health.mail_queue, health.sqlite_disk))
    return app
