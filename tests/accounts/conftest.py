"""Helpers for the accounts and sign-in tests: forms, the outbox, links in messages."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD, form_csrf_token

TOKEN_IN_TEXT = r"/auth/{purpose}/([A-Za-z0-9_.\-]+)"
CLIENT_EMAIL = "client@example.org"


def post_form(client, path: str, data: dict, *, form_path: str | None = None, **kwargs):
    """POST ``data`` with the CSRF token of the form at ``form_path`` (default: ``path``)."""
    token = form_csrf_token(client, form_path or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def token_in(text: str, purpose: str) -> str:
    """The token of the first ``/auth/<purpose>/<token>`` link in ``text``."""
    match = re.search(TOKEN_IN_TEXT.format(purpose=purpose), text)
    assert match, f"no {purpose} link in: {text[:300]!r}"
    return match.group(1)


def body_of(message: EmailMessage) -> str:
    """The plain-text body of a message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


class Outbox:
    """The messages the app wrote to ``OUTBOX_DIR`` (no SMTP_URL)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def messages(self) -> list[EmailMessage]:
        """Every message, oldest first."""
        if not self.folder.is_dir():
            return []
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(self.folder.glob("*.eml"))
        ]

    def to(self, address: str) -> list[EmailMessage]:
        """Messages to ``address``."""
        return [m for m in self.messages() if address.lower() in str(m["To"]).lower()]

    def last_token(self, address: str, purpose: str) -> str:
        """The token in the newest message to ``address``."""
        found = self.to(address)
        assert found, f"no mail to {address}"
        return token_in(body_of(found[-1]), purpose)


@pytest.fixture
def outbox(app) -> Outbox:
    """The app's outbox folder."""
    return Outbox(Path(app.config["OUTBOX_DIR"]))


@pytest.fixture
def client_user(make_user):
    """A client with a password (account "Acme Ltd")."""
    return make_user("alice@example.com", "client", password=TEST_PASSWORD, account="Acme Ltd")


@pytest.fixture
def subscriber(make_user):
    """A subscriber of the payments section."""
    return make_user("sub@example.com", "subscriber", audiences=("newsletter:payments",))


def signed_in_email(app, client) -> str | None:
    """The email of the user ``client`` is signed in as, or None (asks the app directly)."""
    from flask_login import current_user

    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    remember = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"])
    headers = []
    if cookie is not None:
        headers.append(f"{cookie.key}={cookie.value}")
    if remember is not None:
        headers.append(f"{remember.key}={remember.value}")
    with app.test_request_context("/", headers={"Cookie": "; ".join(headers)}):
        app.preprocess_request()
        return current_user.email if current_user.is_authenticated else None


@pytest.fixture
def password():
    """The password of :func:`user` (a test may override it with its own ``password``)."""
    return TEST_PASSWORD


@pytest.fixture
def user(make_user, password):
    """A client user, ``CLIENT_EMAIL``, with a password and the ``clients`` audience."""
    return make_user(CLIENT_EMAIL, role="client", password=password, audiences=("clients",))
