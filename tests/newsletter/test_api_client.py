"""`sop-portal subscribers sync`: FluentCRM's REST API, answered by a server on loopback."""

from __future__ import annotations

import http.server
import threading

import pytest

from gate.config import ConfigError
from tests.newsletter import shapes
from tests.newsletter.helpers import state

CONTACTS = shapes.DEMO + shapes.EDGE


@pytest.fixture
def crm_api():
    """FluentCRM's REST API with the demo and the awkward contacts, 2 per page."""
    with shapes.serve(shapes.FakeFluentCrm(CONTACTS)) as fake:
        yield fake


@pytest.fixture
def synced(app_config, tmp_path):
    """``synced(fake, *args, **config) -> (app, result)``: run the sync against ``fake``."""
    from gate import create_app

    def run(fake, *args, app=None, **config):
        if app is None:
            path = tmp_path / "map.toml"
            path.write_text(shapes.VIP_MAP, encoding="utf-8")
            app = create_app({**app_config, "NEWSLETTER_MAP_FILE": str(path),
                              "FLUENTCRM_API_URL": fake.url, "FLUENTCRM_API_USER": fake.user,
                              "FLUENTCRM_API_PASSWORD": fake.password, **config})
        result = app.test_cli_runner().invoke(args=["subscribers", "sync", *args])
        return app, result

    return run


@pytest.mark.parametrize("shape", ("controller", "documented"))
def test_sync_reads_every_page_and_grants_as_the_import_does(app_config, tmp_path, synced,
                                                             shape):
    with shapes.serve(shapes.FakeFluentCrm(CONTACTS, shape=shape)) as fake:
        app, result = synced(fake)
    assert result.exit_code == 0, result.output
    assert "added 5, updated 0, granted 6" in result.stdout
    pages = [r for r in fake.requests if r.startswith(f"{shapes.API_PREFIX}/subscribers?")]
    assert len(pages) == 5  # 9 contacts, at most 2 a page
    assert all("per_page=100" in r and "sort_by=id" in r for r in pages)
    assert state(app)["vip@example.com"] == ("subscriber", "Vera", ("newsletter:vip",))
    assert state(app)["oneil@example.com"][2] == ("newsletter:store-setup",)

    from gate import create_app

    imported = create_app({**app_config, "NEWSLETTER_MAP_FILE": str(tmp_path / "map.toml"),
                           "DATABASE_URL": f"sqlite:///{tmp_path / 'import.sqlite3'}"})
    export = tmp_path / "export.csv"
    export.write_text(shapes.export_csv(CONTACTS), encoding="utf-8")
    done = imported.test_cli_runner().invoke(args=["subscribers", "import", str(export)])
    assert done.exit_code == 0, done.output
    assert state(imported) == state(app)


def test_sync_prunes_and_dry_runs(crm_api, synced, make_user, app_config):
    app, first = synced(crm_api)
    assert first.exit_code == 0, first.output
    from gate.db import get_session
    from gate.models import Grant, User

    with app.app_context():
        db = get_session()
        db.add(User(email="left@example.com", role="subscriber", name="", active=True,
                    grants=[Grant(audience="newsletter:payments")]))
        db.commit()
    before = state(app)
    _, dry = synced(crm_api, "--prune", "--dry-run", app=app)
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("dry run, nothing was changed: would have added 0, updated 1")
    assert state(app) == before
    _, pruned = synced(crm_api, "--prune", app=app)
    assert "1 pruned" in pruned.stdout
    assert state(app)["left@example.com"][2] == ()
    _, again = synced(crm_api, app=app)
    assert "nothing to change" in again.stdout


def _refusing_server(status: int, body: bytes, headers: dict[str, str] | None = None):
    """A loopback server answering every GET with ``status`` and ``body``."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(
    ("answer", "words"),
    (
        ((200, b"<!doctype html><title>WordPress</title>", {}), "is not JSON"),
        ((200, b'{"subscribers": {"data": "nope"}}', {}), "unexpected shape"),
        ((404, b'{"code": "rest_no_route"}', {}), "no FluentCRM REST API"),
        ((500, b"oops", {}), "answered HTTP 500"),
        ((302, b"", {"Location": "https://elsewhere.example/wp-json/"}), "redirects to"),
        ((200, b'{"subscribers": {"data": [{"id": 1, "email": "a@@b", "status": "x",'
               b' "lists": [], "tags": []}], "last_page": 1}}', {}), "bad contact"),
    ),
)
def test_a_refusing_or_strange_api_changes_nothing(synced, make_user, answer, words):
    server = _refusing_server(*answer)
    fake = shapes.FakeFluentCrm(())
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        app, result = synced(fake)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 2
    assert words in result.stderr and "nothing was changed" in result.stderr.splitlines()[0]
    assert "Traceback" not in result.output
    assert state(app) == {}


def test_bad_credentials_exit_with_one_line(crm_api, synced):
    app, result = synced(crm_api, FLUENTCRM_API_PASSWORD="wrong password")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: FluentCRM refused the credentials (HTTP 401 from {crm_api.url}"
        f"{shapes.API_PREFIX}/subscribers): check FLUENTCRM_API_USER and "
        "FLUENTCRM_API_PASSWORD (an application password of a FluentCRM manager); "
        "nothing was changed"]
    assert state(app) == {}


def test_an_unreachable_api_exits_with_one_line(synced):
    from tests.servers import free_port

    fake = shapes.FakeFluentCrm(())
    fake.url = f"http://127.0.0.1:{free_port()}"
    app, result = synced(fake)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "cannot reach FluentCRM" in result.stderr


def test_sync_without_settings_says_what_to_set(app, runner):
    result = runner.invoke(args=["subscribers", "sync"])
    assert result.exit_code == 2
    assert "FLUENTCRM_API_URL is not set" in result.stderr


@pytest.mark.parametrize(
    ("config", "message"),
    (
        ({"FLUENTCRM_API_URL": "ftp://crm.example.com"}, "must be the WordPress site"),
        ({"FLUENTCRM_API_URL": "https://crm.example.com"}, "FLUENTCRM_API_PASSWORD are needed"),
        ({"FLUENTCRM_API_URL": "http://crm.example.com", "FLUENTCRM_API_USER": "u",
          "FLUENTCRM_API_PASSWORD": "p", "SOP_PORTAL_ENV": "production",
          "PUBLIC_BASE_URL": "https://portal.example.org"}, "must use https://"),
        ({"FLUENTCRM_API_URL": "https://crm.example.com", "FLUENTCRM_API_USER": "u",
          "FLUENTCRM_API_PASSWORD": "p", "FLUENTCRM_API_TIMEOUT": "soon"}, "number of seconds"),
    ),
)
def test_bad_api_settings_stop_the_app_from_starting(app_config, config, message):
    from gate import create_app

    with pytest.raises(ConfigError, match=message):
        create_app({**app_config, "SECRET_KEY": "k" * 16 + "0123456789abcdefghij", **config})


@pytest.mark.parametrize(
    ("url", "base"),
    (
        ("https://crm.example.com/", "https://crm.example.com/wp-json/fluent-crm/v2"),
        ("https://crm.example.com/wp-json/fluent-crm/v2",
         "https://crm.example.com/wp-json/fluent-crm/v2"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/wp-json/fluent-crm/v2"),
    ),
)
def test_api_settings(url, base):
    from gate.newsletter.api_client import settings_from

    settings = settings_from({"FLUENTCRM_API_URL": url, "FLUENTCRM_API_USER": "u",
                              "FLUENTCRM_API_PASSWORD": "p", "SOP_PORTAL_ENV": "production"})
    assert settings is not None and settings.base == base
    assert settings_from({}) is None


class _Shrinking(shapes.FakeFluentCrm):
    """A FluentCRM where a contact is deleted right after the first page was read."""

    def _page(self, query):
        answer = super()._page(query)
        if query.get("page") == ["1"] and self.contacts:
            self.contacts.pop(0)
        return answer


class _Slow(shapes.FakeFluentCrm):
    """A FluentCRM that takes a second to answer."""

    def answer(self, path, query, authorization):
        import time

        time.sleep(1.0)
        return super().answer(path, query, authorization)


@pytest.mark.parametrize(
    ("fake", "config", "words"),
    (
        (_Shrinking(CONTACTS), {}, "changed while they were read (9 then 8 contacts)"),
        (_Slow(CONTACTS), {"FLUENTCRM_API_TIMEOUT": 0.2}, "no answer within 0.2 s"),
    ),
)
def test_a_moving_or_slow_api_changes_nothing(synced, make_user, fake, config, words):
    with shapes.serve(fake):
        app, result = synced(fake, "--prune", **config)
    assert result.exit_code == 2, result.output
    assert words in result.stderr and len(result.stderr.splitlines()) == 1
    assert state(app) == {}
