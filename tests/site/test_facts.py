"""The built public site states the key facts of every seed document (issue 2, item 6).

Each row names a page and a phrase its main content must contain (or, for the rows marked
``ABSENT``, must not). Only the page's ``<article>`` is read, so the navigation and the footer
cannot satisfy a fact by accident. No fact depends on a calculator marker: the rows hold whether
the build hooks have expanded the markers or not.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PAGES = {
    "home": "index.html",
    "billing": "sops/billing/index.html",
    "procedures": "sops/billing-procedures/index.html",
    "onboarding": "sops/onboarding/index.html",
    "practices": "sops/best-practices/index.html",
    "agency": "sops/agency/index.html",
    "access": "access/index.html",
    "glossary": "glossary/index.html",
    "roles": "roles/index.html",
    "settings": "settings/index.html",
}

PRESENT, ABSENT = True, False

# (page, phrase, present). Phrases are compared case-insensitively with whitespace collapsed.
FACTS: list[tuple[str, str, bool]] = [
    # Home: what the portal is, who it serves, where to start.
    ("home", "standard operating procedures", PRESENT),
    ("home", "member of the public", PRESENT),
    ("home", "registered client", PRESENT),
    ("home", '"Online Sales FAQ" newsletter subscriber', PRESENT),
    ("home", "Staff", PRESENT),
    ("home", "Where to start", PRESENT),
    # Seed 000: account setup.
    ("billing", "Open an account for the client", PRESENT),
    ("billing", "accounting system", PRESENT),
    ("billing", "create a profile for each person at the client", PRESENT),
    ("billing", "FluentCRM", PRESENT),
    ("billing", "six sections", PRESENT),
    ("billing", "Inbox", PRESENT),
    ("billing", "Investigate, Plan & Spec", PRESENT),
    ("billing", "In Progress", PRESENT),
    ("billing", "Test & Signoff", PRESENT),
    ("billing", "Billed", PRESENT),
    ("billing", "Future Requests", PRESENT),
    ("billing", "copy the basic project data across", PRESENT),
    # Seed 000: support requests and the five stages.
    ("billing", "added to the client's Fluent Board as a card in the Inbox column", PRESENT),
    ("billing", "five stages", PRESENT),
    ("billing", "Each time a card changes stage, the client is told", PRESENT),
    ("billing", "clarified with the client", PRESENT),
    ("billing", "approves the wireframes and the defined specification", PRESENT),
    ("billing", "tests the completed task and approves it", PRESENT),
    # Seed 000: time tracking with Timely.
    ("billing", "Timely", PRESENT),
    ("billing", "screens and apps in use every minute", PRESENT),
    ("billing", "drafts the time logs", PRESENT),
    ("billing", "team leader verifies the AI-drafted logs", PRESENT),
    ("billing", "submits them for billing", PRESENT),
    # Seed 000: billing schedule and client types.
    ("billing", "Billing schedule", PRESENT),
    ("billing", "Friday afternoons", PRESENT),
    ("billing", "EFT", PRESENT),
    ("billing", "Weekly retainer", PRESENT),
    ("billing", "14-day account", PRESENT),
    ("billing", "Debit order", PRESENT),
    ("billing", "next month's invoice", PRESENT),
    ("billing", "end of business on the 19th", PRESENT),
    ("billing", "previous business day", PRESENT),
    # Seed 001: every section, with the real tools instead of the template's blanks.
    ("procedures", "Purpose", PRESENT),
    ("procedures", "Scope", PRESENT),
    ("procedures", "Responsibilities", PRESENT),
    ("procedures", "Billing Manager", PRESENT),
    ("procedures", "Billing team members", PRESENT),
    ("procedures", "Finance Department", PRESENT),
    ("procedures", "Definitions", PRESENT),
    ("procedures", "Billing cycle", PRESENT),
    ("procedures", "Payment terms", PRESENT),
    ("procedures", "Billing discrepancy", PRESENT),
    ("procedures", "Tools and materials", PRESENT),
    ("procedures", "accounting system", PRESENT),
    ("procedures", "memorised transactions", PRESENT),
    ("procedures", "FluentCRM", PRESENT),
    ("procedures", "Fluent Boards", PRESENT),
    ("procedures", "Timely", PRESENT),
    ("procedures", "Invoice generation", PRESENT),
    ("procedures", "by email or by post", PRESENT),
    ("procedures", "Payment processing and reconciliation", PRESENT),
    ("procedures", "Reconcile every payment", PRESENT),
    ("procedures", "Overdue follow-up", PRESENT),
    ("procedures", "Billing discrepancy resolution", PRESENT),
    ("procedures", "data protection regulations", PRESENT),
    ("procedures", "Never share your login credentials", PRESENT),
    ("procedures", "Billing accuracy", PRESENT),
    ("procedures", "Billing timeliness", PRESENT),
    ("procedures", "IT department", PRESENT),
    ("procedures", "Escalate it to the Billing Manager", PRESENT),
    # The approval record shows who must approve; no approval date has been given (issue 17).
    ("procedures", "To be approved by Billing Manager", PRESENT),
    ("procedures", "Not yet approved", PRESENT),
    ("procedures", "2026-11-20", ABSENT),
    ("procedures", "2027-05-20", ABSENT),
    ("procedures", "[Insert name of billing software]", ABSENT),
    ("procedures", "[Approval Date]", ABSENT),
    ("procedures", "Template.net", ABSENT),
    # Seed 002: hand-offs, set-up fee, first month, memorized transaction.
    ("onboarding", "hands the folder over for review", PRESENT),
    ("onboarding", "passes it to billing", PRESENT),
    ("onboarding", "set-up fee is paid in advance", PRESENT),
    ("onboarding", "credit card authorisation form", PRESENT),
    ("onboarding", "project still goes ahead without the set-up fee", PRESENT),
    ("onboarding", "cannot book people or resources", PRESENT),
    ("onboarding", "First month, paid up front", PRESENT),
    ("onboarding", "A cheque", PRESENT),
    ("onboarding", "ask for permission to charge the card", PRESENT),
    ("onboarding", "wait for the payment", PRESENT),
    ("onboarding", "cannot go live until it has been paid", PRESENT),
    ("onboarding", "memorised transaction", PRESENT),
    ("onboarding", "future date two months ahead", PRESENT),
    # Seed 002: hardware and what accounting records.
    ("onboarding", "paid for it in full", PRESENT),
    ("onboarding", "purchase agreement", PRESENT),
    ("onboarding", "examples of exceptions, not a closed list", PRESENT),
    ("onboarding", "must be expedited", PRESENT),
    ("onboarding", "less than $500", PRESENT),
    ("onboarding", "Special Programs", PRESENT),
    ("onboarding", "Service Coverage", PRESENT),
    ("onboarding", "SLA", PRESENT),
    ("onboarding", "physical folder and in the digital folder", PRESENT),
    # Seed 002: sales, project manager, go-live, recurring billing, follow-up.
    ("onboarding", "checks the customer's profile", PRESENT),
    ("onboarding", "target go-live date", PRESENT),
    ("onboarding", "knowledge-transfer meeting", PRESENT),
    ("onboarding", "sets the ETA and confirms the project", PRESENT),
    ("onboarding", "adds a note to the project", PRESENT),
    ("onboarding", "first month's payment has been received in full", PRESENT),
    ("onboarding", "from the following month", PRESENT),
    ("onboarding", "service has closed the project", PRESENT),
    ("onboarding", "credit = monthly fee × days before go-live ÷ days in the go-live month",
     PRESENT),
    ("onboarding", "$2,000", PRESENT),
    ("onboarding", "January 2026", PRESENT),
    ("onboarding", "15 January", PRESENT),
    ("onboarding", "7 January", PRESENT),
    ("onboarding", "22 January", PRESENT),
    ("onboarding", "$1,000", PRESENT),
    ("onboarding", "an error in the source", PRESENT),
    ("onboarding", "shows the rule's figure", PRESENT),
    ("onboarding", "rounded illustration", ABSENT),
    ("onboarding", "not an option for customers", PRESENT),
    ("onboarding", "users, devices and invoices", PRESENT),
    ("onboarding", "Todd", ABSENT),
    # Seed 003: the five practices.
    ("practices", "Know the source of truth", PRESENT),
    ("practices", "Certainty with automatic payments", PRESENT),
    ("practices", "payment gateway", PRESENT),
    ("practices", "Agreement billing automation", PRESENT),
    ("practices", "Invoices as a window into the business", PRESENT),
    ("practices", "ask the customer's permission before each charge", PRESENT),
    ("practices", "finance managers", PRESENT),
    ("practices", "Reduce risk with down payments", PRESENT),
    # Seed 004: the seven agency procedures.
    ("agency", "Client acquisition", PRESENT),
    ("agency", "market research, referrals and networking", PRESENT),
    ("agency", "proposal", PRESENT),
    ("agency", "Project planning", PRESENT),
    ("agency", "internal kick-off meeting", PRESENT),
    ("agency", "Client communication", PRESENT),
    ("agency", "primary point of contact", PRESENT),
    ("agency", "within 24 hours", PRESENT),
    ("agency", "Quality assurance", PRESENT),
    ("agency", "internal audits", PRESENT),
    ("agency", "terms in the client's contract", PRESENT),
    ("agency", "Project closure", PRESENT),
    ("agency", "project closure report", PRESENT),
    ("agency", "Confidentiality", PRESENT),
    ("agency", "confidentiality agreement", PRESENT),
    # Seed 000: access policy.
    ("access", "What is public", PRESENT),
    ("access", "registered clients", PRESENT),
    ("access", "Instructions", PRESENT),
    ("access", "Downloads", PRESENT),
    ("access", "set up your plugins", PRESENT),
    ("access", '"Online Sales FAQ" newsletter', PRESENT),
    ("access", "Newsletter section", PRESENT),
    ("access", "/auth/login", PRESENT),
    ("access", "/auth/link", PRESENT),
    ("access", "How to ask for access", PRESENT),
    ("access", "Restricted items", PRESENT),
    # Glossary.
    ("glossary", "EFT", PRESENT),
    ("glossary", "Debit order", PRESENT),
    ("glossary", "Memorised transaction", PRESENT),
    ("glossary", "Go-live", PRESENT),
    ("glossary", "Proration", PRESENT),
    ("glossary", "Weekly retainer", PRESENT),
    ("glossary", "14-day account", PRESENT),
    ("glossary", "Fluent Board", PRESENT),
    ("glossary", "FluentCRM", PRESENT),
    ("glossary", "Timely", PRESENT),
    ("glossary", "Billing run", PRESENT),
    ("glossary", "Month-end close", PRESENT),
    ("glossary", "Business day", PRESENT),
    ("glossary", "Payment terms", PRESENT),
    ("glossary", "Set-up fee", PRESENT),
    ("glossary", "SLA", PRESENT),
    # Glossary (issue 17): the debit order entry and the terms that were missing.
    ("glossary", "goes on the following month's invoice", PRESENT),
    ("glossary", "that month's invoice", ABSENT),
    ("glossary", "Net", PRESENT),
    ("glossary", "EOM", PRESENT),
    ("glossary", "Roll", PRESENT),
    ("glossary", "Wireframe", PRESENT),
    ("glossary", "Reconcile", PRESENT),
    ("glossary", "Credit note", PRESENT),
    ("glossary", "Mandate", PRESENT),
    ("glossary", "Online Sales FAQ", PRESENT),
    ("glossary", "In Progress", PRESENT),
    ("glossary", "Investigate, Plan & Spec", PRESENT),
    ("glossary", "A client on a weekly retainer arrangement", ABSENT),
    # Home: the new client's path leads to the client handbook.
    ("home", "client handbook", PRESENT),
    # Who does what: every role, and how the sources' names map to each other.
    ("roles", "Billing Manager", PRESENT),
    ("roles", "Billing team", PRESENT),
    ("roles", "Billing specialist", PRESENT),
    ("roles", "Accounting", PRESENT),
    ("roles", "Reviewing manager", PRESENT),
    ("roles", "Purchasing", PRESENT),
    ("roles", "never say whether billing and accounting are the same people", PRESENT),
    # Portal settings: rendered from the configuration (README defaults).
    ("settings", "Africa/Johannesburg", PRESENT),
    ("settings", "South Africa", PRESENT),
    ("settings", "14:00", PRESENT),
    ("settings", "17:00", PRESENT),
    ("settings", "halves rounded up", PRESENT),
    ("settings", "not a rule of the business", PRESENT),
    ("settings", "day 1 month", ABSENT),
]

# Template blanks and credits of seed 001 that must never be published anywhere.
NEVER_PUBLISHED = ["[Insert name of billing software]", "[Approval Date]", "Template.net"]

# Results of the worked examples: only the calculator hook may put them on a page.
HAND_TYPED_RESULTS = ["387.10", "1,354.84", "1354.84", "903.23", "1,612.90", "1612.90",
                      "1,096.77", "1096.77", "645.16"]


# Elements that do not break the flow of text: no space is added at their boundaries.
_INLINE = {"a", "abbr", "b", "code", "em", "i", "kbd", "mark", "small", "span", "strong", "sub",
           "sup", "time"}


class _ArticleText(HTMLParser):
    """Collects the visible text inside ``<article>``, leaving scripts and styles out.

    Block boundaries become spaces; inline elements (an ``<abbr>`` inside a word) do not.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skipping = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self.depth += 1
        elif tag in {"script", "style"}:
            self.skipping += 1
        if tag not in _INLINE and self.depth > 0:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _INLINE and self.depth > 0:
            self.chunks.append(" ")
        if tag == "article":
            self.depth -= 1
        elif tag in {"script", "style"}:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if self.depth > 0 and not self.skipping:
            self.chunks.append(data)


def normalise(text: str) -> str:
    """Unescape, collapse whitespace and casefold, so phrases compare as a reader sees them."""
    return re.sub(r"\s+", " ", html.unescape(text)).strip().casefold()


def article_text(page_html: str) -> str:
    """The normalised visible text of a page's ``<article>`` (its main content)."""
    parser = _ArticleText()
    parser.feed(page_html)
    parser.close()
    text = "".join(parser.chunks)
    if not text.strip():
        raise ValueError("the page has no <article> content")
    return normalise(text)


@pytest.fixture(scope="module")
def page_texts(site_dir: Path) -> dict[str, str]:
    """The article text of every fixed page, read once per module."""
    return {key: article_text((site_dir / path).read_text(encoding="utf-8"))
            for key, path in PAGES.items()}


@pytest.mark.parametrize(
    ("page", "phrase", "present"),
    FACTS,
    ids=[f"{page}:{'has' if present else 'lacks'}:{phrase[:40]}" for page, phrase, present
         in FACTS],
)
def test_page_states_fact(page_texts: dict[str, str], page: str, phrase: str, present: bool):
    assert (normalise(phrase) in page_texts[page]) is present, (
        f"{PAGES[page]} should {'state' if present else 'not contain'}: {phrase!r}"
    )


@pytest.mark.parametrize("text", NEVER_PUBLISHED)
def test_template_blank_never_published(site_dir: Path, text: str):
    offenders = [
        str(path.relative_to(site_dir))
        for path in site_dir.rglob("*")
        if path.suffix in {".html", ".json", ".xml", ".txt"}
        and text.casefold() in path.read_text(encoding="utf-8", errors="replace").casefold()
    ]
    assert offenders == [], f"{text!r} appears in {offenders}"


@pytest.mark.parametrize("figure", HAND_TYPED_RESULTS)
def test_no_result_figure_typed_by_hand(figure: str):
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "docs").rglob("*.md")
        if figure in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], f"{figure} is typed by hand in {offenders}: use a [[calc ...]] marker"


@pytest.mark.parametrize(
    ("page_html", "expected"),
    [
        ("<nav>menu</nav><article><h1>Billing&nbsp;SOP</h1>\n<p>Test &amp; Signoff</p></article>",
         "billing sop test & signoff"),
        ("<article><p>seen</p><script>hidden()</script><style>p{}</style></article>", "seen"),
        ("<article><article><p>nested</p></article> outer</article> outside", "nested outer"),
        ("<article><p><abbr title='x'>AI</abbr>-drafted</p><p>next</p></article>",
         "ai-drafted next"),
        ("<main><p>no article here</p></main>", ValueError),
        ("", ValueError),
    ],
)
def test_article_text(page_html: str, expected: str | type[Exception]):
    if isinstance(expected, type):
        with pytest.raises(expected):
            article_text(page_html)
    else:
        assert article_text(page_html) == expected
