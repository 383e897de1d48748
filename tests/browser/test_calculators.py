"""The calculator widgets in a real browser, including after Material's instant navigation."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import snapshot

pytestmark = pytest.mark.browser


def figure(widget, label: str) -> str:
    """The value shown next to ``label`` in a widget's result."""
    return widget.locator(f"dt:text-is('{label}') + dd").inner_text().replace("\xa0", " ")


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
        ("12abc", "2026-01-07", None, "monthly_fee"),  # bad input: in the form's words
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
        assert alert.inner_text().startswith("Monthly fee (USD) must be an amount such as 2000")
        assert error not in alert.inner_text()
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
    assert "Sun, Feb 1, 2026" in figure(widget, "First invoice")  # as people write dates
    widget.scroll_into_view_if_needed()
    snapshot(page, "calculator-proration")

    # On to the billing SOP (the first page of the Procedures tab) and its due-date widget,
    # still without a page load.
    click_nav(page, "Procedures", re.compile(r"/sops/billing/$"))
    due = run_due_date(page, "eft", "2026-11-18T10:00")
    due.locator(".sop-calc__result").wait_for()
    # Wednesday's sign-off goes into Friday's 14:00 run (2026-11-20); net 14 -> 2026-12-04.
    assert figure(due, "Invoice date") == "Fri, Nov 20, 2026"
    assert figure(due, "Due date") == "Fri, Dec 4, 2026"
    assert figure(due, "Account type") == "EFT"
    assert page.evaluate("window.__sopNoReload") is True  # instant navigation, no reload
    due.scroll_into_view_if_needed()
    snapshot(page, "calculator-due-date")
    assert page.console_errors == [] and page.bad_responses == []


def run_fee_change(page, old: str, new: str, change_date: str):
    widget = page.locator("[data-sop-calc='fee-change']").first
    widget.get_by_label(re.compile(r"^Current monthly fee")).fill(old)
    widget.get_by_label(re.compile(r"^New monthly fee")).fill(new)
    widget.get_by_label("Date of the change").fill(change_date)
    widget.get_by_role("button", name="Work out the change").click()
    return widget


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(
    ("old", "new", "change_date", "net", "error"),
    [
        ("2000", "3000", "2026-03-15", "$548.39 (to charge)", None),
        ("2,000.00", "0", "2026-03-15", "$1,096.77 (credit note)", None),
        ("2000", "0", "2026-03-01", "$2,000.00 (credit note)", None),
        # bad input: the message names the form's label, never the API's field name
        ("2000", "-5", "2026-03-15", None, "New monthly fee (USD) must not be negative"),
    ],
)
def test_fee_change_widget(page, width, old, new, change_date, net, error):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/sops/billing/")
    widget = run_fee_change(page, old, new, change_date)
    if error is None:
        widget.locator(".sop-calc__result").wait_for()
        assert figure(widget, "Net") == net
    else:
        alert = widget.locator(".sop-calc__error")
        alert.wait_for()
        assert alert.inner_text() == error
        assert "new_fee" not in alert.inner_text()
    widget.scroll_into_view_if_needed()
    if new == "0" and change_date.endswith("15"):
        snapshot(page, f"calculator-fee-change-{width}")
    assert page.console_errors == []
    assert [status for status, _ in page.bad_responses] == ([] if error is None else [400])


def test_due_date_widget_instalments(page):
    page.goto("/calculators/")
    widget = page.locator("[data-sop-calc='due-date']").first
    widget.get_by_label("Terms I type in").check()
    widget.get_by_label("Payment terms").fill("50% net 0; 50% net 30")
    widget.get_by_label("The invoice's date").check()
    widget.get_by_label("Invoice date").fill("2026-03-02")
    widget.get_by_label(re.compile(r"^Invoice amount")).fill("5000")
    widget.get_by_role("button", name="Work out the due date").click()
    widget.locator(".sop-calc__result").wait_for()
    assert figure(widget, "Instalment 1") == "50%, $2,500.00, due Mon, Mar 2, 2026"
    assert figure(widget, "Instalment 2") == "50%, $2,500.00, due Wed, Apr 1, 2026"
    widget.get_by_label("Payment terms").fill("50% net 0; 40% net 30")
    widget.get_by_role("button", name="Work out the due date").click()
    alert = widget.locator(".sop-calc__error")
    alert.wait_for()
    assert alert.inner_text() == ("Payment terms: the instalment percentages add up to 90, "
                                  "not 100")
    assert page.console_errors == []
