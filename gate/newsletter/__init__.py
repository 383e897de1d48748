"""Newsletter subscribers from FluentCRM: the webhook, the import and sync commands.

One module per job: :mod:`.sections` reads the newsletter map, :mod:`.fields` checks one
contact's values, :mod:`.csv_import` and :mod:`.webhook` read what FluentCRM sends,
:mod:`.api_client` reads its REST API, :mod:`.plan` checks a whole import, :mod:`.services`
applies it to users and grants, :mod:`.routes` is the webhook view and :mod:`.cli` the
``sop-portal subscribers`` commands.
"""

from __future__ import annotations

from flask import Flask

from gate.newsletter import api_client, cli, routes, sections


def init_app(app: Flask) -> None:
    """Load the newsletter map and check the API settings (refusing bad ones), register the
    webhook and the ``subscribers`` commands."""
    app.extensions[sections.MAP_EXTENSION] = sections.load_map(app.config)
    api_client.settings_from(app.config)
    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.subscribers_cli)
