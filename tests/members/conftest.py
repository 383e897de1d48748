"""The members area on a real build: the repository's content plus a second client account.

``two_accounts`` builds (once per session) the restricted folder with an extra page of another
client account ("Acme"), so tests can check that one account's items never reach another.
``members`` is one app on that build with a signed-in test client per persona, shared by a
module's tests (none of them changes what another sees).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import BufferedClient, build_targets, gate_config

ACME_TITLE = "Acme warehouse migration notes"
ACME_PAGE = f"""---
title: {ACME_TITLE}
access: ["client:acme"]
summary: Dates and decisions for the Acme account only.
---

# {ACME_TITLE}

The pallet racking moves to the northern depot once the forklift contract is renewed.
"""

PERSONAS: dict[str, dict | None] = {
    "anonymous": None,
    "client": {"role": "client", "account": "Demo Client"},
    "acme": {"role": "client", "account": "Acme"},
    "payments": {"role": "subscriber", "audiences": ["newsletter:payments"]},
    "store-setup": {"role": "subscriber", "audiences": ["newsletter:store-setup"]},
    "staff": {"role": "staff"},
}


@pytest.fixture(scope="session")
def two_accounts(tmp_path_factory):
    """Targets of a build of the repository's restricted folder plus an Acme page."""
    from gate import sitebuild
    from tests.conftest import ROOT

    out = tmp_path_factory.mktemp("two-accounts")
    restricted = Path(shutil.copytree(ROOT / "restricted", out / "restricted"))
    (restricted / "accounts" / "acme").mkdir()
    (restricted / "accounts" / "acme" / "notes.md").write_text(ACME_PAGE, encoding="utf-8")
    targets = build_targets(out, restricted)
    sitebuild.build_sites(targets)
    return targets


class Members:
    """One app on the two-account build and a signed-in client per persona."""

    def __init__(self, app) -> None:
        self.app = app
        self._clients: dict[str, object] = {}

    def client(self, persona: str):
        """A test client signed in as ``persona`` (a fresh one for ``anonymous``)."""
        if persona == "anonymous":
            return self.app.test_client()
        if persona not in self._clients:
            self._clients[persona] = self._sign_in(persona)
        return self._clients[persona]

    def _sign_in(self, persona: str):
        from gate.accounts import services as accounts
        from gate.accounts import sessions
        from gate.db import get_session
        from gate.models import User

        spec = dict(PERSONAS[persona] or {})
        client = self.app.test_client()
        with self.app.app_context():
            db = get_session()
            account = None
            if spec.get("role") == "client":
                account = accounts.ensure_account(db, spec["account"])
            user = accounts.create_user(db, f"{persona}@example.com", spec["role"],
                                        account=account)
            for audience in spec.get("audiences", ()):
                accounts.grant(db, user, audience)
            db.commit()
            raw = sessions.start(db.get(User, user.id))
            db.commit()
        with client.session_transaction() as session:
            session["_user_id"] = raw
            session["_fresh"] = True
        return client


def members_config(tmp_path: Path, targets, **extra) -> dict:
    """An app configuration on ``targets`` with a fresh database under ``tmp_path``."""
    return gate_config(tmp_path, targets.site_dir, targets.members_dir, targets.restricted_dir,
                       **extra)


@pytest.fixture(scope="module")
def members(two_accounts, tmp_path_factory) -> Members:
    """The shared app of a test module (see :class:`Members`)."""
    from gate import create_app

    app = create_app(members_config(tmp_path_factory.mktemp("members-app"), two_accounts))
    app.test_client_class = BufferedClient
    return Members(app)
