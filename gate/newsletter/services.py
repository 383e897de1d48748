"""Newsletter subscribers from FluentCRM: wanted states applied to users and grants.

The import, the sync and the webhook turn contacts into wanted states (:mod:`.fields`,
:mod:`.plan`) and apply them here, with one set of rules:

- an address the portal does not know becomes a ``subscriber`` user (no password: they sign
  in by emailed link) when it is subscribed to at least one section; otherwise nothing is made;
- a subscriber's name follows the CRM (client and staff names are managed in the portal);
- a contact whose sections are known (an export row, an API contact, a Custom Data body) has
  its ``newsletter:*`` grants made exactly those sections, open-ended; an event body adds or
  removes one list's or tag's sections; a status-only body changes nothing while subscribed.
  No other grant is ever touched, so a client in the export keeps their client access;
- every grant and removal is audited; a subscriber left without any section is signed out
  everywhere (:func:`gate.accounts.set_newsletter_grants`), and because access is read from
  the grants on every request, any removal takes effect on the user's next request.

The import (every file given, together) and the sync apply everything in one transaction: a
bad file or contact, or an unreachable API, changes nothing. Both are idempotent; ``--prune``
also empties the newsletter grants of users absent from all the files (or from FluentCRM).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from gate.accounts import services as accounts
from gate.models import Grant, LoginSession, User
from gate.newsletter import api_client
from gate.newsletter.fields import ContactUpdate, FieldError, contact_update
from gate.newsletter.plan import ExportError, ImportPlan
from gate.newsletter.sections import NewsletterMap, audience, is_newsletter_audience
from gate.newsletter.trail import Trail

_LOOKUP_CHUNK = 500
WEBHOOK_API_TIMEOUT = 5.0  # seconds a webhook call waits for FluentCRM's API at most


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

def _held_sections(user: User) -> tuple[str, ...]:
    return tuple(
        sorted(g.audience.removeprefix("newsletter:") for g in user.grants
               if is_newsletter_audience(g.audience))
    )


def _live_sessions(db: Session, user: User) -> int:
    query = select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user.id)
    return int(db.scalar(query) or 0)


def set_sections(
    db: Session, user: User, sections: Iterable[str], trail: Trail, *,
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
    be free). Unlike :func:`gate.accounts.create_user` it does not query or flush, so an
    import of thousands of new addresses stays one quick transaction."""
    user = User(email=email, role="subscriber", name=name, active=True, password_hash=None)
    db.add(user)
    return user


def _wanted(
    update: ContactUpdate, held: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """(sections wanted, sections to renew) for a user holding ``held`` sections."""
    if update.sections is not None:
        return update.sections, update.sections
    return (frozenset(held) | update.add) - update.remove, update.add


def apply_contact(
    db: Session,
    update: ContactUpdate,
    trail: Trail,
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
    db: Session, plan: ImportPlan, *, prune: bool = False, dry_run: bool = False,
    source: str = "fluentcrm import",
) -> Summary:
    """Apply a whole plan in one transaction: commit it, or roll back for a dry run or error.

    With ``prune`` the newsletter grants of users absent from the plan are removed too.
    """
    if prune and not plan.contacts:
        raise ExportError("there are no contacts to import: refusing to --prune every "
                              "subscriber")
    trail = Trail(source)
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


def apply_one(db: Session, update: ContactUpdate, *, source: str) -> Outcome:
    """Apply one contact (the webhook) and commit; a concurrent creation is retried once."""
    for attempt in (1, 2):
        trail = Trail(source)
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



def complete_from_crm(
    update: ContactUpdate, newsletter_map: NewsletterMap, config: Mapping[str, Any]
) -> ContactUpdate:
    """A status-only update completed with the contact's lists from the REST API, when set.

    Without the API the update stays status-only (a subscribed contact keeps its sections).
    Raises :class:`gate.newsletter.api_client.ApiError` when the API cannot answer.
    """
    settings = api_client.settings_from(config)
    if settings is None:
        return update
    quick = replace(settings, timeout=min(settings.timeout, WEBHOOK_API_TIMEOUT))
    raw = api_client.FluentCrmApi(quick).contact(update.email)
    if raw is None:
        return update
    try:
        return contact_update(newsletter_map, raw)
    except FieldError as exc:
        raise api_client.ApiError(f"FluentCRM's record of this contact is not valid: "
                                  f"{exc}") from None


def apply_webhook(
    db: Session, update: ContactUpdate, newsletter_map: NewsletterMap, config: Mapping[str, Any]
) -> Outcome:
    """Apply one webhook contact, first completing a status-only body from the API when set."""
    if update.lacks_lists:
        update = complete_from_crm(update, newsletter_map, config)
    return apply_one(db, update, source="fluentcrm webhook")
