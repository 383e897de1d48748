"""Fixtures for the members area: a small restricted folder and signed-in personas."""

from __future__ import annotations

from pathlib import Path

import pytest
from members_support import PERSONAS, SECRET, TREE, audit_events, write_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small valid restricted folder (plus a secret file next to it, outside it)."""
    (tmp_path / "outside-secret.txt").write_text(SECRET, encoding="utf-8")
    return write_tree(tmp_path / "restricted", TREE)


@pytest.fixture
def sign_in(client, make_user, login_as):
    """``sign_in(persona)``: create that persona's user and sign the test client in."""

    def do(persona: str):
        spec = PERSONAS[persona]
        if spec is None:
            return None
        user = make_user(f"{persona}@example.com", **spec)
        login_as(client, user)
        return user

    return do


@pytest.fixture
def audit_log(app):
    """``audit_log(action)``: the audit events recorded with ``action``."""
    return lambda action: audit_events(app, action)
