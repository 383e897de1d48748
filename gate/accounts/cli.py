"""``sop-portal requests list|approve|decline``: the access requests people sent.

Approving or declining only records the decision (and audits it): access itself is given with
``sop-portal users add`` or ``users grant``, and the person is answered by mail.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import AppGroup

from gate.accounts import requests as access_requests
from gate.cli_errors import fail
from gate.db import get_session

requests_cli = AppGroup("requests", help="Access requests sent from /auth/request-access.")


@requests_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the requests as JSON.")
def list_requests(as_json: bool) -> None:
    """The requests staff have not decided yet, oldest first."""
    found = access_requests.pending(get_session())
    rows: list[dict[str, Any]] = [
        {"id": r.id, "created_at": r.created_at.isoformat(timespec="seconds"),
         "email": r.email, "name": r.name, "wanted": r.wanted, "message": r.message}
        for r in found
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No pending access requests.")
    for row in rows:
        click.echo(f"{row['id']:>5} {row['created_at'][:16]}Z {row['email']} "
                   f"({row['name'] or 'no name'}): {row['wanted'] or 'not said'}")
        if row["message"]:
            click.echo(f"      {' '.join(str(row['message']).split())[:300]}")


def _decide(request_id: int, status: str) -> None:
    try:
        record = access_requests.decide(get_session(), request_id, status)
    except (LookupError, ValueError) as exc:
        fail(str(exc.args[0]))
    click.echo(f"request {record.id} from {record.email}: {status}")


@requests_cli.command("approve")
@click.argument("request_id", type=int)
def approve(request_id: int) -> None:
    """Mark a request approved (give the access itself with `users add` or `users grant`)."""
    _decide(request_id, "approved")


@requests_cli.command("decline")
@click.argument("request_id", type=int)
def decline(request_id: int) -> None:
    """Mark a request declined."""
    _decide(request_id, "declined")

