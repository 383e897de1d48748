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
    portal_config.check_production(app.config)
    app.config["TRUSTED_HOSTS"] = portal_config.production_trusted_hosts(app.config) or []
    for name in portal_config.PATH_SETTINGS:  # relative to the working folder, once
        app.config[name] = str(portal_config.resolve_path(str(app.config[name])))
    os.makedirs(app.instance_path, exist_ok=True)

    from gate import errors, security, site

    security.init_app(app)
    errors.init_app(app)
    # Parts: each concern registers its blueprints, CLI commands and hooks here.
    # Accounts first (shared infrastructure, then its blueprints and commands by name): the
    # other parts use the database, mail and ``current_user``.
    from gate import db, extensions, mail  # noqa: I001
    from gate.accounts import cli as accounts_cli, routes as accounts_routes, routes_reader  # noqa: I001
    from gate.accounts import sessions, twofactor  # noqa: I001
    from gate import admin_cli  # noqa: I001
    extensions.init_app(app)
    db.init_app(app)
    sessions.init_app(app)
    mail.init_app(app)
    accounts_routes.init_app(app)
    routes_reader.init_app(app)
    twofactor.init_app(app)
    for blueprint in (accounts_routes.bp, routes_reader.bp, twofactor.bp):
        app.register_blueprint(blueprint)
    for group in (accounts_cli.requests_cli,):
        app.cli.add_command(group)
    admin_cli.init_app(app)
    from gate import deploy_cli; deploy_cli.init_app(app)  # noqa: E702, I001
    from gate import fluentcrm; fluentcrm.init_app(app)  # noqa: E702, I001
    from gate import members; members.init_app(app)  # noqa: E702, I001
    from gate.api import routes as api; api.init_app(app)  # noqa: E702, I001
    from gate import health; health.init_app(app)  # noqa: E702, I001
    from gate import backup; backup.init_app(app)  # noqa: E702, I001
    from gate import admin; admin.init_app(app)  # noqa: E702, I001
    from gate import prune_cli; prune_cli.init_app(app)  # noqa: E702, I001
    # (end of parts)
    # Blueprints with their own URL prefixes come first; the public site catches the rest.
    site.init_app(app, health_checks=(db.check_database, health.limiter_storage,
                                      health.mail_queue, health.sqlite_disk))
    return app
