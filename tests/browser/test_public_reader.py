"""A public reader: the home page, search, dark mode, no script refused by the CSP."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import snapshot

pytestmark = pytest.mark.browser


def test_home_search_finds_the_billing_sop_and_dark_mode_toggles(page):
    page.goto("/")
    assert page.title().startswith("SOP Portal")
    page.locator("header.md-header").wait_for()
    snapshot(page, "home")

    page.get_by_role("textbox", name="Search").click()
    # Material's Lunr search listens to key events: fill() would not trigger it.
    page.get_by_role("textbox", name="Search").press_sequentially("invoice", delay=30)
    billing = page.locator(".md-search-result__item a[href*='sops/billing/']").first
    billing.wait_for()
    billing.click()
    page.wait_for_url(re.compile(r"/sops/billing/"))
    assert "Billing" in page.locator("article h1").first.inner_text()

    body = page.locator("body")
    assert body.get_attribute("data-md-color-scheme") == "default"
    page.locator("label[title='Switch to dark mode']").click()
    assert body.get_attribute("data-md-color-scheme") == "slate"
    # The choice is remembered across pages of the same profile.
    page.goto("/")
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    page.locator("label[title='Switch to light mode']").click()
    assert page.locator("body").get_attribute("data-md-color-scheme") == "default"
    assert page.console_errors == [] and page.bad_responses == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/sops/billing/", 200),
        ("/no/such/page/", 404),  # bad input: the site's own 404 page, styled like the site
    ],
)
def test_pages_load_without_script_errors(page, path, status):
    response = page.goto(path)
    assert response.status == status
    assert page.locator("header.md-header").count() == 1
    assert page.console_errors == [], page.console_errors
    assert page.bad_responses == [], page.bad_responses
