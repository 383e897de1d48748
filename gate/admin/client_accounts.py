"""The rules for client accounts: rename (the slug stays) and change the account type.

Called by the staff pages like :mod:`gate.admin.services`: it changes the account, writes one
audit event naming who did it, and raises :class:`~gate.accounts.services.AccountError` on
bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gate import audit
from gate.accounts.services import AccountError
from gate.admin.services import Actor, by
from gate.api.services import account_type_names
from gate.models import ClientAccount


def edit_account(db: Session, config: Mapping[str, Any], account: ClientAccount,
                 actor: Actor | None, *, name: str, account_type: str) -> list[str]:
    """Rename an account (its slug, and so its users' grants, stay) or change its type."""
    clean = " ".join(name.split())
    if not clean:
        raise AccountError("the account name is empty")
    if account_type not in account_type_names(config):
        raise AccountError(f"unknown account type: {account_type!r}")
    changes = []
    if clean != account.name:
        other = db.scalar(select(ClientAccount).where(ClientAccount.name == clean))
        if other is not None:
            raise AccountError(f"another account is already called {clean!r}")
        changes.append(f"name {account.name} -> {clean}")
        account.name = clean
    if account_type != account.account_type:
        changes.append(f"type {account.account_type} -> {account_type}")
        account.account_type = account_type
    if changes:
        audit.record("account.edit", target=f"client:{account.slug}",
                     email=actor.email if actor else "cli",
                     detail="; ".join([by(actor), *changes]))
    return changes
