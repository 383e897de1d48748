"""A real Chromium (Debian's, through Playwright) against a real gunicorn on loopback.

One browser for the whole session, a fresh context (a fresh profile: no cookies, no storage)
for every test. The portal is ``sop-portal serve`` with a fresh instance folder, a strict build
of the site for the portal's address, the demo accounts and a real SMTP server (aiosmtpd, the
session's ``smtp_server``).

A failing test leaves a screenshot and the page's HTML in ``tests/artifacts/failures/``;
``snapshot(page, name)`` saves the screenshots a person looks at after a passing run.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.conftest import require_system

ARTIFACTS = servers.ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 10_000


@dataclass
class DemoUser:
    """One account printed by ``sop-portal demo --json``."""

    email: str
    password: str | None
    role: str
    grants: list[str]


@dataclass
class Portal:
    """The running portal the browser talks to."""

    url: str
    env: dict[str, str]
    smtp: servers.SmtpSink
    admin: Any  # the app `sop-portal` builds from `env`, for the admin commands
    users: list[DemoUser] = field(default_factory=list)

    def user(self, role: str, audience: str | None = None) -> DemoUser:
        """The demo user with this role (and this grant, for subscribers)."""
        for user in self.users:
            if user.role == role and (audience is None or audience in user.grants):
                return user
        raise LookupError(f"no demo {role} with {audience}: {self.users}")

    def cli(self, *args: str) -> str:
        """Run ``sop-portal ARGS`` against this portal's database; its standard output."""
        return servers.invoke(self.admin, *args)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, for the whole session."""
    require_system(Path(servers.CHROMIUM).exists(), "chromium")
    shutil.rmtree(ARTIFACTS / "failures", ignore_errors=True)  # only this run's failures
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=servers.CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory,
           smtp_server: servers.SmtpSink) -> Iterator[Portal]:
    """``sop-portal serve`` on a free loopback port, with the site built for that address."""
    folder = tmp_path_factory.mktemp("browser-portal")
    port = servers.free_port()
    base = f"http://{servers.LOOPBACK}:{port}"
    site_dir = servers.build_site(folder / "site", base + "/")
    env = servers.sop_env({
        "SOP_PORTAL_INSTANCE": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'instance' / 'portal.sqlite3'}",
        "SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_BASE_URL": base,
        "SITE_DIR": str(site_dir),
        "MEMBERS_SITE_DIR": str(site_dir.parent / "members-site"),
        "RESTRICTED_DIR": str(servers.ROOT / "restricted"),
        "SMTP_URL": smtp_server.url,
        "OUTBOX_DIR": str(folder / "outbox"),
        # Raised on purpose: the browser tests sign the same demo users in many times a minute.
        "LOGIN_LIMIT_PER_IP": "600/minute",
        "LINK_LIMIT_PER_IP": "600/hour",
        "LINK_LIMIT_PER_EMAIL": "100/15 minutes",
    })
    servers.run_cli(env, "db", "upgrade")
    admin = servers.portal_app(env)
    try:
        with servers.gunicorn(env, log_dir=folder, port=port) as gate:
            yield Portal(gate.url, env, smtp_server, admin)
    finally:
        from gate.db import database

        database(admin).engine.dispose()


@pytest.fixture(scope="session")
def demo(portal: Portal) -> Portal:
    """The portal with its demo accounts (``sop-portal demo --json``: fresh passwords)."""
    if not portal.users:
        printed = json.loads(portal.cli("demo", "--json"))
        portal.users = [
            DemoUser(u["email"], u.get("password"), u["role"], list(u.get("grants") or []))
            for u in printed
        ]
    return portal


@pytest.fixture
def context(browser: Any, portal: Portal) -> Iterator[Any]:
    """A fresh browser profile for one test (light colour scheme, downloads allowed)."""
    context = browser.new_context(
        base_url=portal.url, accept_downloads=True, color_scheme="light",
        viewport={"width": 1280, "height": 900}, locale="en-ZA",
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page of this test's context; on failure its screenshot and HTML become artifacts."""
    page = context.new_page()
    watch_errors(page)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        save_failure(page, request.node.nodeid)


def watch_errors(page: Any) -> None:
    """Collect script errors (CSP refusals included) and failed sub-resources on the page.

    ``page.console_errors``: console errors and uncaught exceptions; ``page.bad_responses``:
    ``(status, url)`` of every response >= 400 that is not the page itself.
    """
    page.console_errors = []
    page.bad_responses = []

    def on_console(message: Any) -> None:
        # A failed load is reported by the network listener below, with its URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            page.console_errors.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            page.bad_responses.append((response.status, response.url))

    page.on("console", on_console)
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.on("response", on_response)


def artifact_name(nodeid: str) -> str:
    """A file name for a test id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")[:120]


def save_failure(page: Any, nodeid: str) -> None:
    """Save the page's screenshot and HTML under tests/artifacts/failures/."""
    folder = ARTIFACTS / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    name = artifact_name(nodeid)
    try:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        (folder / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - a broken page must not hide the real failure
        (folder / f"{name}.txt").write_text(f"could not save the page: {exc}\n",
                                            encoding="utf-8")


def snapshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot a person can look at after the run: tests/artifacts/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
