"""``sop-portal subscribers import`` and ``sync``: FluentCRM contacts applied from a shell.

Both build one plan (:func:`gate.newsletter.plan.build_plan`) and apply it with
:func:`gate.newsletter.services.run_import` in one transaction; bad input exits 2 with one line
per problem and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from gate.cli_errors import fail
from gate.db import current_version, get_session
from gate.newsletter import api_client
from gate.newsletter.csv_import import MAX_BYTES, decode_export, export_contacts
from gate.newsletter.plan import Entry, ExportError, build_plan
from gate.newsletter.sections import current_map
from gate.newsletter.services import run_import

subscribers_cli = AppGroup("subscribers", help="Newsletter subscribers from FluentCRM.")


def _read_export(path: Path) -> bytes:
    """The bytes of one export file; exit 2 with one line when it cannot be read."""
    try:
        if path.is_dir():
            fail(f"{path} is a folder, not a CSV file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            fail(f"{path} is {size:,} bytes; the limit is {MAX_BYTES:,} bytes (export it "
                 "in slices with the export dialog's limit and offset, and import every "
                 "slice in one command)")
        with path.open("rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    raise AssertionError("unreachable")  # pragma: no cover


def _report_export_error(label: str, exc: ExportError) -> None:
    """Print an import's problems on standard error and exit 2."""
    click.echo(f"error: {label}: {exc.message}; nothing was changed", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(2)


def _require_schema() -> None:
    """Exit 2 when the database has no tables yet."""
    if current_version() is None:
        fail("the database has no schema yet: run `sop-portal db upgrade` first")


def _export_entries(files: tuple[Path, ...]) -> list[Entry]:
    """Every row of every file, in order; places name the file when there are several (by
    its name, or its path when two files share a name)."""
    names = [path.name for path in files]
    entries: list[Entry] = []
    for path in files:
        data = _read_export(path)
        source = "" if len(files) == 1 else path.name if names.count(path.name) == 1 else str(path)
        try:
            entries += export_contacts(decode_export(data), source=source)
        except ExportError as exc:
            _report_export_error(str(path), exc)
    return entries


def _apply_plan(entries: list[Entry], *, prune: bool, dry_run: bool, source: str,
                label: str, noun: str) -> None:
    """Check every contact, apply them all in one transaction and print the summary."""
    _require_schema()
    try:
        plan = build_plan(current_map(), entries, noun=noun)
        summary = run_import(get_session(), plan, prune=prune, dry_run=dry_run, source=source)
    except ExportError as exc:
        _report_export_error(label, exc)
    except IntegrityError:
        fail("another change to the same users happened at the same time; "
             "nothing was changed, run the command again")
    prefix = "dry run, nothing was changed: would have " if dry_run else ""
    click.echo(f"{prefix}{summary.line()} ({summary.contacts} contacts"
               f"{f', {summary.pruned} pruned' if prune else ''})")
    if summary.signed_out:
        verb = "would sign out" if dry_run else "signed out"
        click.echo(f"{verb} {summary.signed_out} subscriber(s) left without any section")
    if not summary.changed:
        click.echo("nothing to change: every contact is already up to date")


@subscribers_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True,
              help="Also remove newsletter sections from users absent from every file.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def import_command(files: tuple[Path, ...], prune: bool, dry_run: bool) -> None:
    """Import FluentCRM contacts exports (CSV): subscribed contacts get their sections.

    Give every slice of a sliced export in one command: they are checked and applied
    together, and --prune keeps everyone found in any of them.
    """
    names = ", ".join(path.name for path in files)
    _apply_plan(_export_entries(files), prune=prune, dry_run=dry_run,
                source=f"fluentcrm import {names}",
                label=str(files[0]) if len(files) == 1 else names, noun="row")


@subscribers_cli.command("sync")
@click.option("--prune", is_flag=True,
              help="Also remove newsletter sections from users FluentCRM does not have.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def sync_command(prune: bool, dry_run: bool) -> None:
    """Read every contact from FluentCRM's REST API and apply them as an import would."""
    settings = api_client.settings_from(current_app.config)  # checked when the app started
    if settings is None:
        fail("FLUENTCRM_API_URL is not set: set it, FLUENTCRM_API_USER and "
             "FLUENTCRM_API_PASSWORD to sync from FluentCRM (see the README)")
        return
    _require_schema()
    try:
        entries = api_client.FluentCrmApi(settings).contacts()
    except api_client.ApiError as exc:
        fail(f"{exc}; nothing was changed")
    _apply_plan(entries, prune=prune, dry_run=dry_run, source="fluentcrm sync",
                label="FluentCRM", noun="contact")

