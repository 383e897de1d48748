"""The calculator widgets in a real browser, including after Material's instant navigation."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import snapshot

pytestmark = pytest.mark.browser


def figure(widget, label: str) -> str:
    """The value shown next to ``label`` in a widget's result."""
    return widget.locator(f"dt:text-is('{label}') + dd").inner_text()


def run_proration(page, fee: str, go_live: str):
    widget = page.locator("[data-sop-calc='proration']").first
    widget.get_by_label(re.compile(r"^Monthly fee")).fill(fee)
    widget.get_by_label("Go-live date").fill(go_live)
    widget.get_by_role("button", name="Work out the credit").click()
    return widget


def run_due_date(page, account_type: str, completed: str):
    widget = page.locator("[data-sop-calc='due-date']").first
    widget.get_by_label("Account type").select_option(account_type)
    widget.get_by_label(re.compile(r"^Signed off at")).fill(completed)
    widget.get_by_role("button", name="Work out the due date").click()
    return widget


def click_nav(page, name: str, url: re.Pattern[str]) -> None:
    """Follow a site link the way a reader does (Material swaps the page in: no reload)."""
    page.locator(".md-tabs, .md-nav--primary").get_by_role("link", name=name).first.click()
    page.wait_for_url(url)
    page.locator("article h1").first.wait_for()


@pytest.mark.parametrize(
    ("fee", "go_live", "credit", "error"),
    [
        ("2000", "2026-01-07", "$387.10", None),
        ("2,000.00", "2026-01-22", "$1,354.84", None),
        ("2000", "2026-01-15", "$903.23", None),
        ("12abc", "2026-01-07", None, "monthly_fee"),  # bad input: the API's message, shown
    ],
)
def test_proration_widget(page, fee, go_live, credit, error):
    page.goto("/calculators/")
    widget = run_proration(page, fee, go_live)
    if error is None:
        widget.locator(".sop-calc__result").wait_for()
        assert figure(widget, "Credit on the first invoice") == credit
    else:
        alert = widget.locator(".sop-calc__error")
        alert.wait_for()
        assert alert.inner_text() and "cannot be reached" not in alert.inner_text()
        assert widget.get_by_label(re.compile(r"^Monthly fee")).get_attribute(
            "aria-invalid") == "true"
    assert page.console_errors == []
    assert [status for status, _ in page.bad_responses] == ([] if error is None else [400])


def test_widgets_work_after_instant_navigation(page):
    page.goto("/")
    page.evaluate("window.__sopNoReload = true")
    click_nav(page, "Calculators", re.compile(r"/calculators/$"))

    widget = run_proration(page, "2000", "2026-01-07")
    widget.locator(".sop-calc__result").wait_for()
    assert figure(widget, "Credit on the first invoice") == "$387.10"
    assert "2026-02-01" in figure(widget, "First invoice")
    widget.scroll_into_view_if_needed()
    snapshot(page, "calculator-proration")

    # On to the billing SOP (the first page of the Procedures tab) and its due-date widget,
    # still without a page load.
    click_nav(page, "Procedures", re.compile(r"/sops/billing/$"))
    due = run_due_date(page, "eft", "2026-11-18T10:00")
    due.locator(".sop-calc__result").wait_for()
    # Wednesday's sign-off goes into Friday's 14:00 run (2026-11-20); net 14 -> 2026-12-04.
    assert figure(due, "Invoice date") == "2026-11-20"
    assert figure(due, "Due date") == "2026-12-04"
    assert page.evaluate("window.__sopNoReload") is True  # instant navigation, no reload
    due.scroll_into_view_if_needed()
    snapshot(page, "calculator-due-date")
    assert page.console_errors == [] and page.bad_responses == []
