"""Signed-in readers in a real browser: a client with a password, a subscriber with a link."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests import servers
from tests.browser.conftest import snapshot

pytestmark = pytest.mark.browser

RESTRICTED = servers.ROOT / "restricted"
CLIENT_PAGE = "/members/clients/plugin-setup-details/"
# A sentence of that page's body: it must never show once signed out.
CLIENT_SECRET_TEXT = "Installing one takes minutes"
LINK = re.compile(r"https?://\S+/auth/link/\S+")


def sign_in_with_password(page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_with_link(page, portal, email: str) -> None:
    """On the link request page: ask for a link, read it from SMTP, open it, confirm."""
    seen = len(portal.smtp.messages)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_text("Check your email", exact=False).first.wait_for()
    link = LINK.search(servers.message_text(portal.smtp.wait_for(email, after=seen)))
    assert link, "no sign-in link in the message"
    page.goto(link.group(0))
    page.get_by_role("button", name="Sign in").click()


def path_of(page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def stylesheets(page) -> list[str]:
    return page.eval_on_selector_all("link[rel=stylesheet]", "els => els.map(e => e.href)")


def header_colour(page) -> str:
    return page.eval_on_selector("header.md-header",
                                 "el => getComputedStyle(el).backgroundColor")


def test_a_client_reads_downloads_signs_out_and_back_shows_nothing(page, demo):
    client = demo.user("client")
    page.goto("/")
    public_colour = header_colour(page)
    page.goto("/auth/login")
    sign_in_with_password(page, client.email, client.password)
    page.wait_for_url(re.compile(r"/members/$"))

    page.goto(CLIENT_PAGE)
    page.get_by_role("heading", name="Plugin setup details", level=1).wait_for()
    # It looks like the site: Material's stylesheet bundle, its header, its colours.
    assert any(re.search(r"/assets/stylesheets/main\.[0-9a-f]+\.min\.css$", href)
               for href in stylesheets(page))
    assert page.locator("header.md-header").is_visible()
    assert header_colour(page) == public_colour
    snapshot(page, "restricted-page")

    with page.expect_download() as info:
        page.locator("ul.sop-downloads").get_by_role("link").first.click()
    download = info.value
    assert download.suggested_filename == "plugin-setup-form.docx"
    with open(download.path(), "rb") as arrived:
        assert arrived.read() == (RESTRICTED / "files/forms/plugin-setup-form.docx").read_bytes()

    page.locator("nav.md-nav--primary").get_by_role("link", name="Sign out").first \
        .dispatch_event("click")  # the drawer's entry (the header has one too)
    page.wait_for_url(re.compile(r"/auth/logout$"))
    page.get_by_role("button", name="Sign out of this browser").click()
    page.wait_for_url(re.compile(r"/$"))
    # Two steps back in one go (the Back button's history menu), past the sign-out page to the
    # restricted page: it was not kept by the browser, so it is asked for again. (Two separate
    # Backs race: the sign-out page's redirect home can swallow the second one.)
    page.evaluate("history.go(-2)")
    page.wait_for_url(re.compile(r"/auth/login\?next="))
    page.get_by_role("heading", name="Sign in", level=1).wait_for()
    assert CLIENT_SECRET_TEXT not in page.content()
    assert page.console_errors == [] and page.bad_responses == []


def test_a_subscriber_signs_in_by_link_and_reads_only_their_section(page, demo):
    subscriber = demo.user("subscriber", "newsletter:payments")
    page.goto("/auth/link")
    sign_in_with_link(page, demo, subscriber.email)
    page.wait_for_url(re.compile(r"/members/$"))

    cases = [
        ("/members/newsletter/payments/", 200, "Payments resources"),
        ("/members/newsletter/store-setup/", 403, "Not open to your account"),
        (CLIENT_PAGE, 403, "Not open to your account"),
        ("/members/clients/", 403, "Not open to your account"),
    ]
    for path, status, heading in cases:
        response = page.goto(path)
        assert response.status == status, path
        assert page.get_by_role("heading", level=1).first.inner_text().startswith(heading)
    assert CLIENT_SECRET_TEXT not in page.content()
    assert page.console_errors == []


@pytest.mark.parametrize(
    ("who", "target", "lands_on"),
    [
        ("client", CLIENT_PAGE, CLIENT_PAGE),
        ("subscriber", "/members/newsletter/payments/", "/members/newsletter/payments/"),
        # bad input: a next that points off the site ends on the members page instead
        ("client", "/auth/login?next=//evil.example/x", "/members/"),
    ],
)
def test_an_anonymous_reader_signs_in_and_returns_to_the_page(page, demo, who, target,
                                                             lands_on):
    page.goto(target)
    page.wait_for_url(re.compile(r"/auth/login"))
    if who == "client":
        user = demo.user("client")
        sign_in_with_password(page, user.email, user.password)
    else:
        user = demo.user("subscriber", "newsletter:payments")
        page.get_by_role("link", name="Email me a sign-in link").click()
        page.wait_for_url(re.compile(r"/auth/link"))
        sign_in_with_link(page, demo, user.email)
    page.wait_for_url(lambda url: urlsplit(url).path == lands_on)
    assert urlsplit(page.url).hostname == servers.LOOPBACK
    assert page.locator("header.md-header").is_visible()


# --- the navigation drawer, per reader --------------------------------------------------------

READERS = {
    # who: (signs in as, a page they may open, member pages they may open, pages they may not)
    "client": (("client", None), "/members/clients/fluent-boards/",
               ["/members/clients/billing-and-payments/", "/members/clients/fluent-boards/"],
               ["/members/staff/", "/members/newsletter/"]),
    "subscriber": (("subscriber", "newsletter:payments"),
                   "/members/newsletter/payments/choosing-a-payment-gateway/",
                   ["/members/newsletter/payments/",
                    "/members/newsletter/payments/choosing-a-payment-gateway/"],
                   ["/members/clients/", "/members/staff/", "/members/newsletter/store-setup/",
                    "/members/accounts/"]),
    "staff": (("staff", None), "/members/staff/billing-run-checklist/",
              ["/members/staff/billing-run-checklist/", "/members/clients/"], []),
}


def sign_in_as(page, demo, role: str, audience: str | None) -> None:
    user = demo.user(role, audience)
    if user.password is None:
        page.goto("/auth/link")
        sign_in_with_link(page, demo, user.email)
    else:
        page.goto("/auth/login")
        sign_in_with_password(page, user.email, user.password)
    page.wait_for_url(re.compile(r"/members/$"))


def drawer_links(page) -> list[str]:
    """The address of every link in the primary navigation (the drawer on a phone)."""
    return page.eval_on_selector_all(
        "nav.md-nav--primary a.md-nav__link",
        "els => els.map(e => new URL(e.getAttribute('href'), location.href).pathname)",
    )


ON_SCREEN = """els => els.filter(e => { const r = e.getBoundingClientRect();
    if (r.width === 0 || r.left < 0 || r.right > innerWidth) return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (e === hit || e.contains(hit)); })"""


def titles_on_screen(page) -> list[str]:
    """The drawer entries a reader can see now (panels slid aside are off screen)."""
    return page.eval_on_selector_all(
        "nav.md-nav--primary .md-nav__link",
        f"els => ({ON_SCREEN})(els).map(e => e.innerText.trim())")


def go_up_one_level(page) -> None:
    """Press the back arrow of the drawer panel on screen."""
    page.eval_on_selector_all(
        "nav.md-nav--primary label.md-nav__title",
        f"els => ({ON_SCREEN})(els).filter(e => e.htmlFor !== '__drawer').pop().click()")
    page.wait_for_timeout(450)  # the panel's slide


@pytest.mark.parametrize("who", list(READERS))
@pytest.mark.parametrize("width", [390, 1280])
def test_the_drawer_shows_home_the_procedures_and_only_the_readers_pages(page, demo, who,
                                                                        width):
    (role, audience), own_page, may_open, may_not = READERS[who]
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    sign_in_as(page, demo, role, audience)
    links = set(drawer_links(page))
    assert {"/", "/sops/billing/", "/calculators/"} <= links, links
    assert not any(link.startswith(tuple(may_not)) for link in links), links
    page.goto(own_page)
    links |= set(drawer_links(page))
    assert set(may_open) <= links, links
    assert not any(link.startswith(tuple(may_not)) for link in links), links
    assert ("More with access" in page.content()) == (who != "staff")
    if width == 390:
        page.locator("label.md-header__button[for=__drawer]").click()
        page.locator("nav.md-nav--primary").get_by_role("link", name=re.compile(".")).first \
            .wait_for(state="visible")
        snapshot(page, f"drawer-{who}-{width}")
        page.wait_for_timeout(450)
        shown = titles_on_screen(page)
        assert "Home" not in shown  # the drawer opens on the page's own section
        for _ in range(4):  # up the drawer's levels until the top, where Home is
            if "Home" in shown:
                break
            go_up_one_level(page)
            shown = titles_on_screen(page)
        assert {"Home", "Procedures", "Members area"} <= set(shown), shown
        snapshot(page, f"drawer-top-{who}-{width}")
    else:
        snapshot(page, f"member-page-{who}-{width}")
    assert page.console_errors == [] and page.bad_responses == []
