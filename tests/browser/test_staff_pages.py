"""Staff pages in a real browser at 1280 and 390 px: add and invite a client who then signs
in, grant a section with an end date, view as that audience, revoke (the client's open browser
is signed out), upload a FluentCRM export, preview, apply, export the audit filter as CSV."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import pytest

from tests import servers
from tests.browser.conftest import snapshot, watch_errors
from tests.browser.test_members import sign_in_with_password

pytestmark = pytest.mark.browser

INVITE = re.compile(r"https?://\S+/auth/invite/\S+")
NEW_CLIENT = "pat@new-shop.example.com"
NEW_PASSWORD = "a long enough passphrase for pat 7"  # noqa: S105 - a test password


def _staff_page(context, demo):
    page = context.new_page()
    watch_errors(page)
    staff = demo.user("staff")
    page.goto("/auth/login?next=/admin/users")
    sign_in_with_password(page, staff.email, staff.password)
    page.wait_for_url(lambda url: urlsplit(url).path == "/admin/users")
    return page


def test_staff_add_invite_grant_view_as_revoke(browser, context, demo):
    page = _staff_page(context, demo)
    snapshot(page, "admin-users-1280", full_page=True)
    # Add a client with a new account; the invitation arrives by SMTP.
    seen = len(demo.smtp.messages)
    page.get_by_role("link", name="Add a user").first.click()
    page.get_by_label("Email").fill(NEW_CLIENT)
    page.get_by_label("Name", exact=True).fill("Pat Shopkeeper")
    page.get_by_label("Role").select_option("client")
    page.get_by_label("Client account (created when new)").fill("New Shop")
    page.get_by_role("button", name="Add the user").click()
    page.get_by_text("The invitation was sent.").wait_for()
    user_url = page.url.split("?")[0]
    link = INVITE.search(servers.message_text(demo.smtp.wait_for(NEW_CLIENT, after=seen)))
    assert link, "no invitation link"

    # The client chooses a password in their own browser and is signed in.
    pat_context = browser.new_context(base_url=demo.url)
    pat = pat_context.new_page()
    try:
        pat.goto(link.group(0))
        pat.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        pat.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        pat.get_by_role("button").filter(has_text=re.compile("password", re.I)).first.click()
        pat.wait_for_url(re.compile(r"/members/"))
        assert pat.goto("/members/clients/plugin-setup-details/").status == 200

        # Grant a newsletter section until a date, on the user's page.
        page.goto(user_url)
        page.get_by_label("Audience").fill("newsletter:payments")
        page.get_by_label("Until (optional, last day included)").fill("2099-12-31")
        page.get_by_role("button", name="Grant").click()
        page.get_by_text("The audience was granted.").wait_for()
        assert "2100-01-01 00:00 UTC" in page.content()
        snapshot(page, "admin-user-1280", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        snapshot(page, "admin-user-390", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the user page is {width} px wide at 390"
        page.goto("/admin/users")
        snapshot(page, "admin-users-390", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 900})

        # View as that audience: the members area with a banner.
        page.goto("/admin/view-as?audience=newsletter:payments")
        page.get_by_text("Viewing as a reader with newsletter:payments").first.wait_for()
        snapshot(page, "admin-view-as-1280")

        # Revoke: the client's open browser is signed out on its next request.
        page.goto(user_url)
        page.get_by_role("button", name="Revoke").click()
        page.get_by_text("The user was revoked").wait_for()
        pat.goto("/members/clients/plugin-setup-details/")
        assert "/auth/login" in pat.url
    finally:
        pat_context.close()
    assert page.console_errors == [], page.console_errors


def test_staff_import_preview_apply_and_audit_export(context, demo, tmp_path):
    page = _staff_page(context, demo)
    page.goto("/admin/import")
    export = servers.ROOT / "tests" / "data" / "fluentcrm_contacts.csv"
    page.get_by_label("FluentCRM contacts export (CSV)").set_input_files(str(export))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("Nothing has changed yet").wait_for()
    snapshot(page, "admin-import-preview-1280", full_page=True)
    page.get_by_role("button", name="Apply these changes").click()
    page.get_by_text("Applied:").wait_for()

    page.goto("/admin/audit?action=subscribers.import")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert rows and {r["action"] for r in rows} == {"subscribers.import"}
    snapshot(page, "admin-audit-1280")
    assert page.console_errors == [], page.console_errors


STAFF_PAGES = ["/admin/", "/admin/users", "/admin/users/new", "/admin/accounts",
               "/admin/import", "/admin/audit", "/admin/mail", "/admin/view-as"]


def test_staff_pages_pass_axe(browser, demo):
    """axe-core (bundled by axe-playwright-python): no serious or critical violation in the
    content of any staff page, nor of a user's page (``bypass_csp`` lets it inject itself)."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(base_url=demo.url, bypass_csp=True)
    try:
        page = _staff_page(context, demo)
        client = demo.user("client")
        page.goto(f"/admin/users?search={client.email}")
        page.get_by_role("link", name=client.email).click()
        pages = [*STAFF_PAGES, page.url.removeprefix(demo.url)]
        axe = Axe()
        for path in pages:
            page.goto(path)
            # The staff content; the frame (Material's header, search, tabs) is the site's own.
            found = axe.run(page, context={"include": [[".sop-admin"]]}).response["violations"]
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in found if v["impact"] in {"serious", "critical"}]
            assert bad == [], (path, bad)
    finally:
        context.close()
