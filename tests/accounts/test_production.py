"""Production safety: refused defaults, trusted hosts and proxies, key rotation of links."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from gate import create_app, tokens
from gate.config import ConfigError
from gate.models import utcnow
from tests.accounts.conftest import post_form
from tests.conftest import BufferedClient

PRODUCTION = {"SOP_PORTAL_ENV": "production", "SECRET_KEY": "s" * 48,
              "PUBLIC_BASE_URL": "https://portal.example"}


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({}, False),
        ({"SECRET_KEY": "dev-only-secret-key-change-me"}, True),
        ({"SECRET_KEY": "short"}, True),
        ({"PUBLIC_BASE_URL": "http://127.0.0.1:8000"}, True),
        ({"PUBLIC_BASE_URL": ""}, True),
    ],
)
def test_production_refuses_unsafe_settings(app_config, settings, refused):
    config = {**app_config, **PRODUCTION, **settings}
    if refused:
        with pytest.raises(ConfigError):
            create_app(config)
    else:
        assert create_app(config).config["SESSION_COOKIE_NAME"] == "__Host-sop-session"


def test_sop_portal_serve_refuses_the_default_secret(tmp_path):
    from gate.cli import main

    result = CliRunner().invoke(main, ["serve"], env={
        "SOP_PORTAL_ENV": "production", "SECRET_KEY": "", "PUBLIC_BASE_URL": "https://p.example",
        "SOP_PORTAL_INSTANCE": str(tmp_path / "instance")})
    assert result.exit_code == 2
    assert "SECRET_KEY" in result.output


@pytest.mark.parametrize(
    ("host", "status"),
    [("portal.example", 200), ("www.portal.example", 200), ("evil.example", 400),
     ("portal.example.evil.example", 400)],
)
def test_trusted_hosts(app_config, host, status):
    app = create_app({**app_config, "TRUSTED_HOSTS": ["portal.example", ".portal.example"]})
    assert app.test_client().get("/auth/login", headers={"Host": host}).status_code == status


@pytest.mark.parametrize(("proxies", "recorded"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_trusted_proxies_decide_the_client_address(app_config, proxies, recorded):
    app = create_app({**app_config, "TRUSTED_PROXIES": proxies})
    app.test_client_class = BufferedClient
    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.7"}
    post_form(client, "/auth/login", {"email": "x@example.com", "password": "whatever it is 1"},
              headers=headers)
    events = json.loads(app.test_cli_runner().invoke(args=["audit", "--format", "json"]).output)
    assert [e["ip"] for e in events if e["action"] == "signin"] == [recorded]


@pytest.mark.parametrize(
    ("fallbacks", "ok"),
    [(["old-key-" + "o" * 40], True), ([], False), (["other-" + "x" * 40], False)],
)
def test_links_signed_before_a_key_rotation(fallbacks, ok):
    old = {"SECRET_KEY": "old-key-" + "o" * 40, "SECRET_KEY_FALLBACKS": []}
    new = {"SECRET_KEY": "new-key-" + "n" * 40, "SECRET_KEY_FALLBACKS": fallbacks}
    with freeze_time(utcnow()):
        token = tokens.serializer("link", old).dumps({"j": "abc", "u": 3})
        assert tokens.read(token, "link", new).ok is ok
        # the newest key signs
        fresh = tokens.serializer("link", new).dumps({"j": "abc", "u": 3})
        assert tokens.read(fresh, "link", {**new, "SECRET_KEY_FALLBACKS": []}).ok
