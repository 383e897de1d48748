"""Production safety: refused defaults, trusted hosts and proxies, key rotation of links."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from gate import create_app
from gate.accounts import tokens
from gate.config import ConfigError
from gate.models import utcnow
from tests.accounts.conftest import post_form
from tests.conftest import BufferedClient

GOOD_KEY = "k3y-" + "0123456789abcdef" * 3
PRODUCTION = {"SOP_PORTAL_ENV": "production", "SECRET_KEY": GOOD_KEY,
              "PUBLIC_BASE_URL": "https://portal.example"}


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({}, None),
        ({"PUBLIC_BASE_URL": "https://portal.example:8443"}, None),
        ({"PUBLIC_BASE_URL": "https://203.0.113.9"}, None),
        ({"SECRET_KEY_FALLBACKS": ["old-" + "abcdefghijklmnop" * 2]}, None),
        ({"SOP_PORTAL_ENV": "prod"}, "SOP_PORTAL_ENV"),
        ({"SOP_PORTAL_ENV": "Production"}, "SOP_PORTAL_ENV"),
        ({"SOP_PORTAL_ENV": "production "}, "SOP_PORTAL_ENV"),
        ({"SOP_PORTAL_ENV": ""}, "SOP_PORTAL_ENV"),
        ({"SECRET_KEY": "dev-only-secret-key-change-me"}, "default key"),
        ({"SECRET_KEY": "short"}, "shorter than 32"),
        ({"SECRET_KEY": "a" * 64}, "distinct"),
        ({"SECRET_KEY": "abcdefghi" * 6}, "distinct"),
        ({"SECRET_KEY_FALLBACKS": ["dev-only-secret-key-change-me"]}, "FALLBACKS"),
        ({"PUBLIC_BASE_URL": "http://portal.example"}, "https://"),
        ({"PUBLIC_BASE_URL": ""}, "https://"),
        ({"PUBLIC_BASE_URL": "https://"}, "no host"),
        ({"PUBLIC_BASE_URL": "https://portal.example:99999"}, "not a URL"),
        ({"PUBLIC_BASE_URL": "https://127.0.0.1:8000"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://[::1]"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://[::]"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://[::ffff:127.0.0.1]"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://0.0.0.0"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://0"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://127.1"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://0x7f.1"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://2130706433"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://LOCALHOST"}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://localhost."}, "loopback"),
        ({"PUBLIC_BASE_URL": "https://app.localhost"}, "loopback"),
    ],
)
def test_production_refuses_unsafe_settings(app_config, settings, refused):
    config = {**app_config, **PRODUCTION, **settings}
    if refused:
        with pytest.raises(ConfigError, match=refused):
            create_app(config)
    else:
        assert create_app(config).config["SESSION_COOKIE_NAME"] == "__Host-sop-session"


@pytest.mark.parametrize(
    ("environment", "exit_code", "said"),
    [
        ("prod", 2, "SOP_PORTAL_ENV='prod' is not valid"),
        ("staging", 2, "SOP_PORTAL_ENV='staging' is not valid"),
        ("production", 2, "refused in production mode"),
    ],
)
def test_demo_is_refused_outside_development(tmp_path, environment, exit_code, said):
    from gate.cli import main

    result = CliRunner().invoke(main, ["demo"], env={
        "SOP_PORTAL_ENV": environment, "SECRET_KEY": GOOD_KEY,
        "PUBLIC_BASE_URL": "https://portal.example",
        "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert result.exit_code == exit_code
    assert said in result.output
    assert "password" not in result.stdout.lower()


@pytest.mark.parametrize(
    ("settings", "host", "status"),
    [
        (PRODUCTION, "portal.example", 200),
        (PRODUCTION, "evil.example", 400),
        (PRODUCTION, "127.0.0.1", 400),
        ({**PRODUCTION, "TRUSTED_HOSTS": ["portal.example", "127.0.0.1"]}, "127.0.0.1", 200),
        ({}, "anything.example", 200),  # development answers any Host
    ],
)
def test_production_answers_only_its_public_host(app_config, settings, host, status):
    app = create_app({**app_config, **settings})
    assert app.test_client().get("/auth/login", headers={"Host": host}).status_code == status


@pytest.mark.parametrize(
    ("path", "location"),
    [("/members", "/members/"), ("/members?x=1", "/members/?x=1"), ("/auth/logout", "/")],
)
def test_redirects_never_echo_the_host_header(app_config, path, location):
    app = create_app(app_config)
    response = app.test_client().get(path, headers={"Host": "evil.example"})
    assert response.status_code in (301, 302, 308)
    assert response.headers["Location"] == location
    assert "evil" not in response.headers["Location"]


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


@pytest.mark.parametrize(
    ("option", "trusted"),
    [("--forwarded-allow-ips", ""), ("--bind", "127.0.0.1:8000")],
)
def test_gunicorn_trusts_no_forwarding_header_itself(option, trusted):
    from gate.cli import gunicorn_argv

    argv = gunicorn_argv("127.0.0.1", 8000, 2)
    assert argv[argv.index(option) + 1] == trusted


@pytest.mark.slow
def test_forwarded_proto_from_loopback_is_not_trusted_by_default(tmp_path, site_dir):
    """Under ``sop-portal serve`` with TRUSTED_PROXIES=0, X-Forwarded-Proto changes nothing."""
    from tests import servers

    env = servers.sop_env({
        "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"), "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
        "OUTBOX_DIR": str(tmp_path / "outbox")})
    servers.run_cli(env, "db", "upgrade")
    with servers.gunicorn(env, log_dir=tmp_path, workers=1) as gate:
        for proto, hsts in (("https", None), ("", None)):
            headers = {"X-Forwarded-Proto": proto} if proto else {}
            reply = servers.HttpClient(gate.url).get("/auth/login", headers=headers)
            assert reply.status == 200
            assert reply.header("Strict-Transport-Security") is hsts
            assert "Secure" not in (reply.header("Set-Cookie") or "")


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
