"""Newsletter subscribers from FluentCRM: the import and sync commands and the live webhook.

Every path turns contacts into wanted states with :mod:`gate.crm` (one set of rules) and
applies them here:

- an address the portal does not know becomes a ``subscriber`` user (no password: they sign
  in by emailed link) when it is subscribed to at least one section; otherwise nothing is made;
- a subscriber's name follows the CRM (client and staff names are managed in the portal);
- a contact whose sections are known (an export row, an API contact, a Custom Data body) has
  its ``newsletter:*`` grants made exactly those sections, open-ended; an event body adds or
  removes one list's or tag's sections; a status-only body changes nothing while subscribed.
  No other grant is ever touched, so a client in the export keeps their client access;
- every grant and removal is audited; a subscriber left without any section is signed out
  everywhere (:func:`gate.accounts.services.set_newsletter_grants`), and because access is read from
  the grants on every request, any removal takes effect on the user's next request.

The import (every file given, together) and the sync apply everything in one transaction: a
bad file or contact, or an unreachable API, changes nothing. Both are idempotent; ``--prune``
also empties the newsletter grants of users absent from all the files (or from FluentCRM).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask, Response, current_app, has_request_context, jsonify, request
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from gate import crm, fluentcrm_api
from gate.accounts import services as accounts
from gate.audit import clean
from gate.config import ConfigError, resolve_path
from gate.db import current_version, get_session
from gate.errors import json_error
from gate.extensions import csrf, limiter
from gate.models import AuditEvent, Grant, LoginSession, User, utcnow
from gate.newsletter import (
    DEFAULT_MAP_FILE,
    NewsletterMap,
    NewsletterMapError,
    audience,
    is_newsletter_audience,
    parse_map,
)

log = logging.getLogger(__name__)
audit_log = logging.getLogger("gate.audit")

_MAP_EXTENSION = "sop_newsletter_map"
_LOOKUP_CHUNK = 500
DEFAULTS: dict[str, Any] = {"FLUENTCRM_WEBHOOK_RATE_LIMIT": "600/minute"}
WEBHOOK_API_TIMEOUT = 5.0  # seconds a webhook call waits for FluentCRM's API at most


# ---- the newsletter map -------------------------------------------------------------------

def load_map(config: Any) -> NewsletterMap:
    """The map named by ``NEWSLETTER_MAP_FILE`` (default: the one shipped with the gate)."""
    configured = str(config.get("NEWSLETTER_MAP_FILE") or "")
    path = resolve_path(configured) if configured else DEFAULT_MAP_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"NEWSLETTER_MAP_FILE={str(path)!r} cannot be read: {exc}") from None
    try:
        return parse_map(text)
    except NewsletterMapError as exc:
        raise ConfigError(f"NEWSLETTER_MAP_FILE={str(path)!r}: {exc}") from None


def current_map(app: Flask | None = None) -> NewsletterMap:
    """The newsletter map of ``app`` (default: the current app), read once at start-up."""
    target = app if app is not None else current_app
    return target.extensions[_MAP_EXTENSION]  # type: ignore[no-any-return]


# ---- applying wanted states ---------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What happened to one contact (or one pruned user)."""

    email: str
    status: str | None
    sections: tuple[str, ...]
    added: bool = False
    renamed: bool = False
    granted: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    signed_out: bool = False
    skipped: bool = False

    @property
    def changed(self) -> bool:
        """True when the database was (or, in a dry run, would be) changed."""
        return self.added or self.renamed or bool(self.granted) or bool(self.removed)


@dataclass
class Summary:
    """Counts of an import: users added and updated, grants given and removed."""

    contacts: int = 0
    added: int = 0
    updated: int = 0
    granted: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    signed_out: int = 0
    pruned: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        """Add one outcome to the counts."""
        self.outcomes.append(outcome)
        self.granted += len(outcome.granted)
        self.removed += len(outcome.removed)
        self.signed_out += int(outcome.signed_out)
        if outcome.added:
            self.added += 1
        elif outcome.changed:
            self.updated += 1
        elif outcome.skipped:
            self.skipped += 1
        else:
            self.unchanged += 1

    @property
    def changed(self) -> bool:
        """True when anything changed."""
        return any(outcome.changed for outcome in self.outcomes)

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        return (
            f"added {self.added}, updated {self.updated}, granted {self.granted}, "
            f"removed {self.removed}, unchanged {self.unchanged}, skipped {self.skipped}"
        )


@dataclass
class _Audit:
    """Audit events of one transaction: noted as changes are made, added to the database in
    one go (after a single flush gives new users their ids), logged once committed."""

    source: str
    notes: list[tuple[str, User | None, str, str]] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)

    def note(self, action: str, user: User | None, target: str, detail: str = "") -> None:
        """Remember one event for :meth:`write`."""
        self.notes.append((action, user, target, detail))

    def write(self, db: Session) -> None:
        """Add the noted events to the transaction (CR, LF and other controls escaped)."""
        if not self.notes:
            return
        db.flush()
        ip = (request.remote_addr or "") if has_request_context() else "cli"
        at = utcnow()
        for action, user, target, detail in self.notes:
            event = AuditEvent(
                at=at, user_id=user.id if user else None,
                email=clean(user.email if user else "", 320), action=action,
                target=clean(target, 500), ip=clean(ip, 64), outcome="ok",
                detail=clean(f"{self.source}: {detail}" if detail else self.source, 1000),
            )
            db.add(event)
            self.events.append(event)
        self.notes.clear()

    def discard(self) -> None:
        """Forget everything (a dry run or a rollback)."""
        self.notes.clear()
        self.events.clear()

    def log_committed(self) -> None:
        """One log line per committed event, as :func:`gate.audit.record` writes them."""
        for event in self.events:
            audit_log.info(
                "audit action=%s outcome=%s user=%s email=%s ip=%s target=%s",
                event.action, event.outcome, event.user_id or "-", event.email or "-",
                event.ip or "-", event.target or "-",
            )
        self.events.clear()


def _held_sections(user: User) -> tuple[str, ...]:
    return tuple(
        sorted(g.audience.removeprefix("newsletter:") for g in user.grants
               if is_newsletter_audience(g.audience))
    )


def _live_sessions(db: Session, user: User) -> int:
    query = select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user.id)
    return int(db.scalar(query) or 0)


def set_sections(
    db: Session, user: User, sections: Iterable[str], trail: _Audit, *,
    renew: Iterable[str] | None = None, detail: str = "",
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Make ``user``'s newsletter grants exactly ``sections``, auditing each change.

    New grants are open-ended; a held grant with an end date is made open-ended when its
    section is in ``renew`` (default: every section wanted). Returns (audiences granted,
    audiences removed, signed out). Other grants are untouched.
    """
    wanted = {audience(slug) for slug in sections}
    renewing = wanted if renew is None else {audience(slug) for slug in renew}
    held = {g.audience: g for g in user.grants if is_newsletter_audience(g.audience)}
    to_remove = tuple(sorted(held.keys() - wanted))
    to_renew = tuple(sorted(a for a in wanted & held.keys() & renewing
                            if held[a].ends_at is not None))
    to_add = tuple(sorted(wanted - held.keys()))
    sessions_before = _live_sessions(db, user) if to_remove and not wanted else 0
    accounts.set_newsletter_grants(db, user, sorted(wanted))
    for name in to_renew:
        accounts.grant(db, user, name, None)
    granted = tuple(sorted(to_add + to_renew))
    for name in granted:
        trail.note("grant.add", user, name, detail)
    for name in to_remove:
        trail.note("grant.remove", user, name, detail)
    signed_out = bool(to_remove) and not wanted and user.role == "subscriber"
    if signed_out and sessions_before:
        trail.note("signout", user, "everywhere", "no newsletter section left")
    return granted, to_remove, signed_out and sessions_before > 0


def new_subscriber(db: Session, email: str, name: str) -> User:
    """A new active subscriber without a password (``email`` already normalised and known to
    be free). Unlike :func:`gate.accounts.services.create_user` it does not query or flush, so an
    import of thousands of new addresses stays one quick transaction."""
    user = User(email=email, role="subscriber", name=name, active=True, password_hash=None)
    db.add(user)
    return user


def _wanted(
    update: crm.ContactUpdate, held: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """(sections wanted, sections to renew) for a user holding ``held`` sections."""
    if update.sections is not None:
        return update.sections, update.sections
    return (frozenset(held) | update.add) - update.remove, update.add


def apply_contact(
    db: Session,
    update: crm.ContactUpdate,
    trail: _Audit,
    user: User | None = None,
    *,
    known: bool = False,
) -> Outcome:
    """Bring one contact's user in line with ``update`` (the caller commits).

    ``known=True`` means the caller already looked the user up (``user`` None: not found).
    """
    if not known:
        user = db.scalar(
            select(User).where(User.email == update.email).options(selectinload(User.grants))
        )
    detail = ", ".join(update.places)
    held = _held_sections(user) if user is not None else ()
    wanted, renew = _wanted(update, held)
    if user is None:
        if not wanted:
            return Outcome(update.email, update.status, (), skipped=True)
        user = new_subscriber(db, update.email, update.name or "")
        trail.note("user.add", user, user.email, f"role=subscriber {detail}".strip())
        granted, _, _ = set_sections(db, user, sorted(wanted), trail, detail=detail)
        return Outcome(update.email, update.status, _held_sections(user), added=True,
                       granted=granted)
    renamed = False
    if user.role == "subscriber" and update.name and update.name != user.name:
        user.name = update.name
        renamed = True
    granted, removed, signed_out = set_sections(db, user, sorted(wanted), trail,
                                                renew=renew, detail=detail)
    return Outcome(update.email, update.status, _held_sections(user), renamed=renamed,
                   granted=granted, removed=removed, signed_out=signed_out)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _users_by_email(db: Session, emails: Iterable[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(sorted(set(emails)), _LOOKUP_CHUNK):
        query = select(User).where(User.email.in_(chunk)).options(selectinload(User.grants))
        found.update({user.email: user for user in db.scalars(query)})
    return found


def _prune_targets(db: Session, keep: frozenset[str]) -> list[User]:
    query = (
        select(User)
        .join(Grant, Grant.user_id == User.id)
        .where(Grant.audience.startswith("newsletter:", autoescape=True))
        .options(selectinload(User.grants))
        .order_by(User.email)
    )
    return [user for user in db.scalars(query).unique() if user.email not in keep]


def run_import(
    db: Session, plan: crm.ImportPlan, *, prune: bool = False, dry_run: bool = False,
    source: str = "fluentcrm import",
) -> Summary:
    """Apply a whole plan in one transaction: commit it, or roll back for a dry run or error.

    With ``prune`` the newsletter grants of users absent from the plan are removed too.
    """
    if prune and not plan.contacts:
        raise crm.ExportError("there are no contacts to import: refusing to --prune every "
                              "subscriber")
    trail = _Audit(source)
    summary = Summary(contacts=len(plan.contacts))
    try:
        users = _users_by_email(db, plan.emails)
        for update in plan.contacts:
            summary.count(
                apply_contact(db, update, trail, users.get(update.email), known=True)
            )
        if prune:
            for user in _prune_targets(db, plan.emails):
                granted, removed, signed_out = set_sections(
                    db, user, (), trail, detail="absent from the file (--prune)"
                )
                summary.pruned += 1
                summary.count(Outcome(user.email, "absent", _held_sections(user),
                                      granted=granted, removed=removed, signed_out=signed_out))
        db.flush()
        if dry_run:
            db.rollback()
            trail.discard()
            return summary
        trail.note("subscribers.import", None, "prune" if prune else "", summary.line())
        trail.write(db)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    trail.log_committed()
    return summary


def apply_one(db: Session, update: crm.ContactUpdate, *, source: str) -> Outcome:
    """Apply one contact (the webhook) and commit; a concurrent creation is retried once."""
    for attempt in (1, 2):
        trail = _Audit(source)
        try:
            outcome = apply_contact(db, update, trail)
            trail.write(db)
            db.commit()
        except IntegrityError:
            db.rollback()
            if attempt == 2:
                raise
            continue
        except BaseException:
            db.rollback()
            raise
        trail.log_committed()
        return outcome
    raise AssertionError("unreachable")  # pragma: no cover


# ---- the CLI ------------------------------------------------------------------------------

subscribers_cli = AppGroup("subscribers", help="Newsletter subscribers from FluentCRM.")


def _read_export(path: Path) -> bytes:
    """The bytes of one export file; exit 2 with one line when it cannot be read."""
    from gate.cli import fail

    try:
        if path.is_dir():
            fail(f"{path} is a folder, not a CSV file")
        size = path.stat().st_size
        if size > crm.MAX_BYTES:
            fail(f"{path} is {size:,} bytes; the limit is {crm.MAX_BYTES:,} bytes (export it "
                 "in slices with the export dialog's limit and offset, and import every "
                 "slice in one command)")
        with path.open("rb") as handle:
            return handle.read(crm.MAX_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    raise AssertionError("unreachable")  # pragma: no cover


def _report_export_error(label: str, exc: crm.ExportError) -> None:
    """Print an import's problems on standard error and exit 2."""
    click.echo(f"error: {label}: {exc.message}; nothing was changed", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(2)


def _require_schema() -> None:
    """Exit 2 when the database has no tables yet."""
    from gate.cli import fail

    if current_version() is None:
        fail("the database has no schema yet: run `sop-portal db upgrade` first")


def _export_entries(files: tuple[Path, ...]) -> list[crm.Entry]:
    """Every row of every file, in order; places name the file when there are several (by
    its name, or its path when two files share a name)."""
    names = [path.name for path in files]
    entries: list[crm.Entry] = []
    for path in files:
        data = _read_export(path)
        source = "" if len(files) == 1 else path.name if names.count(path.name) == 1 else str(path)
        try:
            entries += crm.export_contacts(crm.decode_export(data), source=source)
        except crm.ExportError as exc:
            _report_export_error(str(path), exc)
    return entries


def _apply_plan(entries: list[crm.Entry], *, prune: bool, dry_run: bool, source: str,
                label: str, noun: str) -> None:
    """Check every contact, apply them all in one transaction and print the summary."""
    from gate.cli import fail

    _require_schema()
    try:
        plan = crm.build_plan(current_map(), entries, noun=noun)
        summary = run_import(get_session(), plan, prune=prune, dry_run=dry_run, source=source)
    except crm.ExportError as exc:
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
    from gate.cli import fail

    settings = fluentcrm_api.settings_from(current_app.config)  # checked when the app started
    if settings is None:
        fail("FLUENTCRM_API_URL is not set: set it, FLUENTCRM_API_USER and "
             "FLUENTCRM_API_PASSWORD to sync from FluentCRM (see the README)")
        return
    _require_schema()
    try:
        entries = fluentcrm_api.FluentCrmApi(settings).contacts()
    except fluentcrm_api.ApiError as exc:
        fail(f"{exc}; nothing was changed")
    _apply_plan(entries, prune=prune, dry_run=dry_run, source="fluentcrm sync",
                label="FluentCRM", noun="contact")


# ---- the webhook --------------------------------------------------------------------------

bp = Blueprint("fluentcrm", __name__, url_prefix="/hooks")
csrf.exempt(bp)


def secret_matches(given: str, expected: str) -> bool:
    """Compare the shared secret in constant time."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def _body() -> dict[str, Any]:
    """The request's fields (a JSON object or a form); FieldError on anything else."""
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the JSON decoder goes
            data = None
        if not isinstance(data, dict):
            raise crm.FieldError("body", "must be a JSON object")
        return data
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return {key: request.form.get(key) for key in request.form}
    raise crm.FieldError("body", "send a JSON object or a form (application/json or "
                                 "application/x-www-form-urlencoded)")


def _with_crm_lists(update: crm.ContactUpdate) -> crm.ContactUpdate:
    """A status-only update completed with the contact's lists from the REST API, when set.

    Without the API the update stays status-only (a subscribed contact keeps its sections).
    """
    settings = fluentcrm_api.settings_from(current_app.config)
    if settings is None:
        return update
    quick = replace(settings, timeout=min(settings.timeout, WEBHOOK_API_TIMEOUT))
    raw = fluentcrm_api.FluentCrmApi(quick).contact(update.email)
    if raw is None:
        return update
    try:
        return crm.contact_update(current_map(), raw)
    except crm.FieldError as exc:
        raise fluentcrm_api.ApiError(f"FluentCRM's record of this contact is not valid: "
                                     f"{exc}") from None


def _webhook_limit() -> str:
    return str(current_app.config["FLUENTCRM_WEBHOOK_RATE_LIMIT"])


@bp.get("/fluentcrm")
def webhook_wrong_method() -> Response:
    """GET (which the Outgoing Webhook action offers) cannot carry a contact: 405."""
    response = json_error(405, "method_not_allowed",
                          "Use POST: set the Outgoing Webhook's Data Send Method to POST.")
    response.headers["Allow"] = "POST"
    return response


@bp.post("/fluentcrm")
@limiter.limit(_webhook_limit)
def webhook() -> Response | tuple[Response, int]:
    """Apply one contact; answers ``{email, status, sections, changed}``."""
    from gate import audit

    secret = str(current_app.config.get("FLUENTCRM_WEBHOOK_SECRET") or "")
    if not secret:
        return json_error(404, "not_configured",
                          "The FluentCRM webhook is not configured on this server.")
    given = request.headers.get("X-Webhook-Secret", "")
    if not given or not secret_matches(given, secret):
        audit.record("webhook.fluentcrm", outcome="denied",
                     detail="missing secret" if not given else "wrong secret")
        return json_error(401, "unauthorized", "The X-Webhook-Secret header is missing or wrong.")
    try:
        update = crm.webhook_update(current_map(), _body())
        if update.lacks_lists:
            update = _with_crm_lists(update)
    except crm.FieldError as exc:
        return json_error(exc.status_code, exc.code, f"{exc.field}: {exc.message}", exc.field)
    except fluentcrm_api.ApiError as exc:
        return json_error(502, "crm_unavailable", f"{exc}; nothing was changed")
    outcome = apply_one(get_session(), update, source="fluentcrm webhook")
    return jsonify(
        email=outcome.email,
        status=outcome.status,
        sections=list(outcome.sections),
        changed=outcome.changed,
    )


def init_app(app: Flask) -> None:
    """Load the newsletter map and check the API settings (refusing bad ones), register the
    webhook and the CLI."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions[_MAP_EXTENSION] = load_map(app.config)
    fluentcrm_api.settings_from(app.config)
    app.register_blueprint(bp)
    app.cli.add_command(subscribers_cli)
