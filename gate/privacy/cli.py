"""``sop-portal prune [--dry-run] [--json]``: remove personal data past its retention period.

The periods are the ``RETENTION_*`` settings (:mod:`gate.privacy.retention`); production runs the
command daily. It prints, per category, what it removed or anonymised (with ``--dry-run``: what
it would, changing nothing) and exits 0; a bad option exits 2 with one line.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from gate.cli_errors import OneLineUsage, fail
from gate.config import ConfigError, resolve_path
from gate.db import database
from gate.models import utcnow
from gate.privacy import prune, retention

LABELS = {
    "sent_mail": "delivered mail",
    "failed_mail": "undeliverable mail",
    "tokens": "expired or used links",
    "sessions": "ended sign-in sessions",
    "access_requests": "decided access requests",
    "audit": "audit rows (email, IP address)",
    "outbox_files": "outbox copies of delivered mail",
}
_SETTING_OF = {**retention.SETTINGS, "outbox_files": retention.SETTINGS["sent_mail"]}



def report(counts: dict[str, int], cut: retention.Cutoffs, *, dry_run: bool,
           at: Any) -> dict[str, Any]:
    """The ``--json`` answer: when, whether a dry run, and per category its setting, cut-off,
    what happens to its rows and how many."""
    categories = {}
    for category, count in counts.items():
        source = "sent_mail" if category == "outbox_files" else category
        categories[category] = {
            "setting": _SETTING_OF[category],
            "cutoff": cut[source].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "action": "anonymised" if category == "audit" else "removed",
            "count": count,
        }
    return {"at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "dry_run": dry_run,
            "categories": categories}


@click.command("prune", cls=OneLineUsage)
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@with_appcontext
def prune_command(dry_run: bool, as_json: bool) -> None:
    """Remove or anonymise personal data older than its retention period (RETENTION_*)."""
    config = current_app.config
    try:
        rules = retention.policy(config)
    except ConfigError as exc:
        fail(str(exc))
    now = utcnow()
    cut = retention.cutoffs(now, rules)
    outbox = resolve_path(str(config["OUTBOX_DIR"]))
    counts = prune.prune(database().sessions, cut, outbox=outbox, dry_run=dry_run)
    answer = report(counts, cut, dry_run=dry_run, at=now)
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    verb = "would be" if dry_run else "were"
    for category, entry in answer["categories"].items():
        click.echo(f"{LABELS[category]}: {entry['count']} {verb} {entry['action']} "
                   f"(cut-off {entry['cutoff']}, {entry['setting']})")


def init_app(app: Flask) -> None:
    """Check the retention settings and register ``sop-portal prune``."""
    retention.init_app(app)
    app.cli.add_command(prune_command)
