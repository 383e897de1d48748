"""The administrator's commands of the README's production section, run as real processes."""

from __future__ import annotations

import pytest

from tests import servers
from tests.deploy.conftest import INVITE

pytestmark = [pytest.mark.system]


def test_users_invite_mails_before_the_command_returns(production):
    """`sop-portal users invite` on the production machine sends the invitation itself."""
    email = "invited-by-process@acme.example"
    servers.run_cli(production.env, "users", "add", email, "--role", "client",
                    "--account", "Acme Stores")
    seen = len(production.smtp.messages)
    servers.run_cli(production.env, "users", "invite", email)
    message = production.smtp.wait_for(email, after=seen, timeout=3)
    assert INVITE.search(servers.message_text(message))
