"""Issue 13, the reader's experience, in a real browser at 1280 and 390 px wide.

Each test looks at one point the way a reader meets it, saves a screenshot under
tests/artifacts/ (``reader-*``) and runs axe-core on the page: no serious or critical
violation is allowed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import snapshot
from tests.browser.test_members import sign_in_as

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
BLOCKING = {"serious", "critical"}


def at_width(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})


def check_axe(page) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    # Colours are measured as painted: let transitions (Material's tabs fade as the page
    # scrolls, e.g. after a full-page screenshot) finish, or a half-faded link fails contrast.
    page.wait_for_function("() => document.getAnimations()"
                           ".every(a => a.playState !== 'running')", timeout=5000)
    results = Axe().run(page)
    blocking = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"] if v["impact"] in BLOCKING
    ]
    assert blocking == [], "\n".join(map(str, blocking))


def look(page, name: str, width: int, *, full_page: bool = False) -> None:
    """Screenshot and accessibility check of the page as the reader sees it."""
    snapshot(page, f"reader-{name}-{width}", full_page=full_page)
    check_axe(page)
    assert page.console_errors == [], page.console_errors


def account_box(page):
    box = page.locator("header .sop-account")
    box.wait_for()
    return box


def text(locator) -> str:
    return locator.inner_text().replace("\xa0", " ")


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_show_who_is_signed_in(page, demo, width):
    at_width(page, width)
    page.goto("/sops/billing/")
    assert text(account_box(page)) == "Sign in"
    client = demo.user("client")
    sign_in_as(page, demo, "client", None)
    page.locator(".sop-notice").wait_for()
    assert text(page.locator(".sop-notice")) == f"You are signed in as {client.email}."
    page.goto("/sops/billing/")
    who = account_box(page).get_by_role("link", name=re.compile("Your account"))
    assert who.get_attribute("href") == "/auth/account"
    if width == 1280:
        assert text(who) == client.email
        assert page.locator(".md-tabs").get_by_role("link", name="Members area").is_visible()
    else:
        assert text(who) == "Account"
    assert page.get_by_text("Members (sign in)").count() == 0
    look(page, "signed-in-public-page", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_account_page_then_sign_out_with_a_confirmation(page, demo, width):
    at_width(page, width)
    client = demo.user("client")
    sign_in_as(page, demo, "client", None)
    account_box(page).get_by_role("link", name=re.compile("Your account")).click()
    page.wait_for_url(re.compile(r"/auth/account$"))
    page.get_by_role("heading", name="Your account", level=1).wait_for()
    body = text(page.locator("article"))
    assert client.email in body and "registered clients" in body
    assert "Demo Client" in body  # their own account's name, to them
    page.get_by_text(re.compile(r"The \d+ pages and downloads")).click()
    page.get_by_role("link", name="Onboarding checklist").first.wait_for()
    assert page.get_by_role("link", name="Change your password").is_visible()
    assert page.get_by_role("button", name="Sign out everywhere").is_visible()
    look(page, "account", width, full_page=True)
    page.locator("article").get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    page.locator(".sop-notice").wait_for()
    assert text(page.locator(".sop-notice")) == "You are signed out."
    assert text(account_box(page)) == "Sign in"
    look(page, "signed-out-home", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_sign_in_page_offers_the_choice_and_knows_who_is_signed_in(page, demo, width):
    at_width(page, width)
    page.goto("/auth/login")
    choice = page.get_by_role("link", name="Email me a sign-in link")
    assert choice.is_visible()
    assert choice.bounding_box()["y"] < page.get_by_label("Password").bounding_box()["y"]
    look(page, "sign-in", width, full_page=True)
    sign_in_as(page, demo, "subscriber", "newsletter:payments")
    page.goto("/auth/login")
    box = page.locator("article .admonition.success")
    assert demo.user("subscriber", "newsletter:payments").email in text(box)
    assert page.get_by_label("Password").count() == 0
    look(page, "sign-in-while-signed-in", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refusal_leads_to_the_access_request_form(page, demo, width):
    at_width(page, width)
    subscriber = demo.user("subscriber", "newsletter:payments")
    sign_in_as(page, demo, "subscriber", "newsletter:payments")
    response = page.goto("/members/clients/plugin-setup-details/")
    assert response.status == 403
    look(page, "refusal", width)
    page.locator("article").get_by_role("link", name="Ask for access").click()
    page.wait_for_url(re.compile(r"/auth/request-access\?wanted="))
    assert page.get_by_label("Your email").input_value() == subscriber.email
    assert "Plugin setup details" in page.get_by_label(re.compile("What you would like")
                                                       ).input_value()
    page.get_by_label(re.compile("Your name")).fill("Pat Reader")
    page.get_by_label(re.compile("Anything we should know")).fill("I am a new client.")
    look(page, "request-access", width, full_page=True)
    seen = len(demo.smtp.messages)
    page.get_by_role("button", name="Send the request").click()
    page.get_by_role("heading", name=re.compile("your request is with us")).wait_for()
    look(page, "request-sent", width)
    staff = demo.user("staff")
    assert demo.smtp.wait_for(staff.email, after=seen)  # no STAFF_NOTIFY_EMAIL: staff told


@pytest.mark.parametrize("width", WIDTHS)
def test_teasers_link_to_the_form(page, demo, width):
    at_width(page, width)
    page.goto("/access/")
    links = page.locator(".sop-teasers").get_by_role("link", name="Ask for access")
    assert links.count() >= 3
    links.first.scroll_into_view_if_needed()
    look(page, "access-teasers", width)
    sign_in_as(page, demo, "subscriber", "newsletter:payments")
    more = page.locator("#more-with-access")
    more.scroll_into_view_if_needed()
    article = text(page.locator("article"))
    assert article.index("What you can open") < article.index("More with access")
    assert page.locator("article a.sop-request-access").count() >= 2  # one per group
    assert article.count("Subscribe to the Store Setup section") == 1  # the help, once
    assert "Demo Client" not in article and "demo-client" not in page.content()
    look(page, "members-home", width, full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["/no/such/page/", "/members/no/such/page/"])
def test_not_found_pages_look_like_the_site(page, demo, width, path):
    at_width(page, width)
    if path.startswith("/members/"):
        sign_in_as(page, demo, "client", None)
    response = page.goto(path)
    assert response.status == 404
    page.get_by_role("heading", name="Page not found").wait_for()
    article = page.locator("article")
    for section in ("Home", "Procedures", "Calculators"):
        assert article.get_by_role("link", name=section).count() >= 1
    assert page.locator(".md-search").count() == 1
    name = "not-found-members" if path.startswith("/members/") else "not-found"
    look(page, name, width)


def figure(widget, label: str) -> str:
    return text(widget.locator(f"dt:text-is('{label}') + dd"))


@pytest.mark.parametrize("width", WIDTHS)
def test_due_date_results_in_words_and_dates_that_do_not_wrap(page, width):
    at_width(page, width)
    page.goto("/calculators/")
    widget = page.locator("[data-sop-calc='due-date']").first
    widget.get_by_label("Account type").select_option("debit_order")
    completed = widget.get_by_label(re.compile(r"^Signed off at"))
    low, high = completed.get_attribute("min"), completed.get_attribute("max")
    completed.fill("1800-01-01T10:00")
    widget.get_by_role("button", name="Work out the due date").click()
    alert = widget.locator(".sop-calc__error")
    alert.wait_for()
    assert f"between {low[:10]} and {high[:10]}" in alert.inner_text()  # the boxes' range
    assert "completed" not in alert.inner_text()
    completed.fill("2026-11-18T10:00")
    widget.get_by_role("button", name="Work out the due date").click()
    widget.locator(".sop-calc__result").wait_for()
    assert figure(widget, "Account type") == "Debit order"
    assert figure(widget, "Invoice date") == "Thu, Nov 19, 2026"
    assert figure(widget, "Due date") == "Tue, Dec 1, 2026"
    for cell in widget.locator(".sop-calc__figures dd").all():
        for date_text in re.findall(r"\w{3}, \w{3} \d{1,2}, \d{4}", text(cell)):
            assert date_text in cell.inner_text().replace("\xa0", " ")
            assert " " not in re.search(r"\w{3},\s\w{3}\s\d{1,2},\s\d{4}",
                                        cell.inner_text()).group(0)  # non-breaking spaces
    explanation = widget.locator(".sop-calc__explanation").inner_text()
    assert "November\xa018,\xa02026" in explanation
    assert not re.search(r"[A-Z][a-z]+ \d{1,2}, \d{4}", explanation)  # no breakable date
    widget.locator(".sop-calc__result").scroll_into_view_if_needed()
    look(page, "due-date-result", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_glossary_terms_are_search_hits_of_their_own(page, width):
    at_width(page, width)
    page.goto("/glossary/")
    if width == 390:
        page.locator("label[for='__search']").first.click()
    search = page.get_by_role("textbox", name="Search")
    search.click()
    search.press_sequentially("debit order", delay=30)
    first = page.locator(".md-search-result__item").first
    first.wait_for()
    hits = page.locator(".md-search-result__item a").evaluate_all(
        "els => els.map(e => new URL(e.href).pathname + new URL(e.href).hash)")
    glossary = [h for h in hits if h.startswith("/glossary/")]
    assert "/glossary/#debit-order" in glossary, hits
    snapshot(page, f"reader-glossary-search-{width}")
    first_text = text(page.locator(".md-search-result__item").first)
    assert first_text.startswith("Glossary\nDebit order\nA client account type")
    assert len(first_text) < 600, first_text  # the term, not the whole glossary
    check_axe(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_onboarding_checklist_is_usable_remembered_and_printable(page, demo, width):
    at_width(page, width)
    sign_in_as(page, demo, "client", None)
    page.goto("/members/clients/onboarding-checklist/")
    boxes = page.locator("article .task-list-item input[type=checkbox]")
    assert boxes.count() > 5
    assert not boxes.first.is_disabled()
    page.locator("article .task-list-indicator").first.click(force=True)  # a tap on the box
    boxes.nth(2).focus()
    page.keyboard.press("Space")  # and the keyboard
    assert boxes.first.is_checked() and boxes.nth(2).is_checked()
    page.reload()
    boxes = page.locator("article .task-list-item input[type=checkbox]")
    boxes.first.wait_for(state="attached")
    page.wait_for_function("document.querySelector('[data-sop-checklist-ready]') !== null")
    assert boxes.first.is_checked() and boxes.nth(2).is_checked()
    assert not boxes.nth(1).is_checked()
    assert page.get_by_role("button", name="Print the checklist").is_visible()
    look(page, "checklist", width)
    page.emulate_media(media="print")
    snapshot(page, f"reader-checklist-print-{width}", full_page=True)
    page.emulate_media(media="screen")
    page.get_by_role("button", name="Clear the ticks").click()
    assert not boxes.first.is_checked()
    page.reload()
    page.wait_for_function("document.querySelector('[data-sop-checklist-ready]') !== null")
    assert not page.locator("article .task-list-item input[type=checkbox]").first.is_checked()
