"""The access matrix, generated from the real restricted/ content.

Every item found in ``restricted/`` is requested by every persona: anonymous, a user of the
demo client account, a user of another client account, a subscriber of each newsletter
section, staff, and a revoked client. The expected status follows from the item's declared
``access`` and the persona's grants, computed here independently of gate.access.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import escape

from gate.accounts import newsletter_sections
from gate.content import list_items

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = sorted(newsletter_sections({}))
CATALOGUE = list_items(ROOT / "restricted", frozenset(SECTIONS))
ITEMS = sorted((i for i in CATALOGUE.items.values() if i.meta), key=lambda i: i.key)

# persona -> (make_user keyword arguments, grants it should hold); None: no user
PERSONAS: dict[str, tuple[dict, frozenset[str]] | None] = {
    "anonymous": None,
    "demo-client": ({"role": "client", "account": "Demo Client"},
                    frozenset({"clients", "client:demo-client"})),
    "other-client": ({"role": "client", "account": "Other Client"},
                     frozenset({"clients", "client:other-client"})),
    **{
        f"subscriber-{s}": ({"role": "subscriber", "audiences": [f"newsletter:{s}"]},
                            frozenset({f"newsletter:{s}"}))
        for s in SECTIONS
    },
    "staff": ({"role": "staff"}, frozenset()),
    "revoked": ({"role": "client", "account": "Demo Client"}, frozenset()),
}


def expected_status(persona: str, declared: tuple[str, ...]) -> int:
    """302 without a session, 200 for staff or a shared audience, else 403."""
    if persona in {"anonymous", "revoked"}:
        return 302
    if persona == "staff":
        return 200
    spec = PERSONAS[persona]
    assert spec is not None
    return 200 if set(declared) & spec[1] else 403


def test_the_content_makes_isolation_visible():
    """The matrix is only meaningful if the content has items for every kind of audience."""
    declared = {a for item in ITEMS for a in item.meta.access}
    assert {"clients", "client:demo-client", "staff"} <= declared
    assert {f"newsletter:{s}" for s in SECTIONS} <= declared
    assert len(SECTIONS) >= 2
    assert CATALOGUE.all_problems() == []


@pytest.fixture
def persona_client(app, client, make_user, login_as):
    def sign_in(persona: str):
        spec = PERSONAS[persona]
        if spec is None:
            return client
        user = make_user(f"{persona}@example.com", **spec[0])
        login_as(client, user)
        if persona == "revoked":
            from gate import accounts
            from gate.db import get_session
            from gate.models import User

            with app.app_context():
                db = get_session()
                accounts.deactivate(db, db.get(User, user.id))
                db.commit()
        return client

    return sign_in


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_access_matrix(persona, persona_client):
    client = persona_client(persona)
    wrong = []
    for item in ITEMS:
        response = client.get(item.url)
        want = expected_status(persona, item.meta.access)
        if response.status_code != want:
            wrong.append(f"{item.url}: {response.status_code}, expected {want}")
            continue
        if want == 302:
            assert response.headers["Location"].startswith("/auth/login?next=%2Fmembers%2F")
        if want == 200 and item.kind == "page":
            assert str(escape(item.meta.title)) in response.get_data(as_text=True)
        if want == 200 and item.kind == "file":
            assert response.headers["Content-Disposition"].startswith("attachment;")
        if want == 403:
            assert "How to get access" in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "private, no-store"
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("persona", ["anonymous", "revoked"])
def test_background_requests_without_a_session_get_401(persona, persona_client):
    client = persona_client(persona)
    headers = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
    statuses = {client.get(item.url, headers=headers).status_code for item in ITEMS}
    assert statuses == {401}
