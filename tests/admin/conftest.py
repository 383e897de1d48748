"""Fixtures of the staff pages' tests: a signed-in staff member, a client, a subscriber."""

from __future__ import annotations

import re

import pytest

from tests.conftest import form_csrf_token

STAFF = "boss@example.com"


@pytest.fixture
def staff(make_user):
    """A staff member."""
    return make_user(STAFF, "staff")


@pytest.fixture
def customer(make_user):
    """A client of "Acme Ltd"."""
    return make_user("ann@example.com", "client", account="Acme Ltd")


@pytest.fixture
def reader(make_user):
    """A subscriber of the payments section."""
    return make_user("sub@example.com", "subscriber", audiences=("newsletter:payments",))


@pytest.fixture
def staff_client(app, staff, login_as):
    """A test client signed in as the staff member."""
    client = app.test_client()
    login_as(client, staff)
    return client


def post(client, path: str, data: dict | None = None, *, form_path: str = "/admin/users/new", **kw):
    """POST ``data`` with a valid CSRF token (taken from a staff page's form)."""
    token = form_csrf_token(client, form_path)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kw)


def text(response) -> str:
    """The response body as text, tags removed, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.fixture
def db(app):
    """A database session inside an app context."""
    from gate.db import get_session

    with app.app_context():
        yield get_session()


@pytest.fixture
def outbox(app):
    """The app's outbox folder (tests/accounts/conftest.py's helper)."""
    from pathlib import Path

    from tests.accounts.conftest import Outbox

    return Outbox(Path(app.config["OUTBOX_DIR"]))


@pytest.fixture
def peek(app):
    """``peek(fn)``: ``fn(session)`` in an app context of its own (requests made by a test
    client must not share the test's app context: Flask-Login caches the user in ``g``)."""
    from gate.db import get_session

    def run(fn):
        with app.app_context():
            return fn(get_session())

    return run
