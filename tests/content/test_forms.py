"""The restricted content's downloads: forms exist, open, carry their fields, and have sidecars.

Also guards the content's public edges: teasers (titles and summaries) repeat no 8-word run of
any restricted body, a page only links downloads its own readers may open, and no form carries
anything that looks like a card number. Front matter is read with ``yaml.safe_load`` on the text
between the first two ``---`` lines, independently of ``gate.content``.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import posixpath
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from docx import Document
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
RESTRICTED = ROOT / "restricted"
FILES = RESTRICTED / "files"
SIDECAR = ".meta.yml"
AUDIENCE = re.compile(r"^(staff|clients|client:[a-z0-9-]+|newsletter:[a-z0-9-]+)$")
RUN = 8
LINK = re.compile(r"\]\(([^)\s]+)\)")


# --------------------------------------------------------------------------- helpers


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Front matter (YAML between the first two ``---`` lines) and body; ValueError if broken."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ValueError("no front matter")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            data = yaml.safe_load("".join(lines[1:index]))
            if not isinstance(data, dict):
                raise ValueError("front matter is not a mapping")
            return data, "".join(lines[index + 1 :])
    raise ValueError("front matter is not closed")


def meta_problems(data: object) -> list[str]:
    """What is wrong with a page's front matter or a sidecar (empty list when fine)."""
    if not isinstance(data, dict):
        return ["not a mapping"]
    problems = []
    access = data.get("access")
    if not isinstance(access, list) or not access:
        problems.append("access missing or empty")
    elif not all(isinstance(a, str) and AUDIENCE.match(a) for a in access):
        problems.append(f"unknown access {access!r}")
    for key in ("title", "summary"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{key} missing or empty")
    return problems


def words(text: str) -> list[str]:
    """Lower-case words, as a leak check would compare them."""
    return re.findall(r"[a-z0-9]+", text.lower())


def runs(text: str, size: int = RUN) -> set[tuple[str, ...]]:
    """Every run of ``size`` consecutive words in ``text``."""
    found = words(text)
    return {tuple(found[i : i + size]) for i in range(len(found) - size + 1)}


def docx_text(path: Path) -> str:
    """All visible text of a .docx: paragraphs, table cells (nested too), headers and footers."""
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]

    def tables(items: list[Any]) -> None:
        for table in items:
            for row in table.rows:
                for cell in row.cells:
                    parts.append(cell.text)
                    tables(cell.tables)

    tables(doc.tables)
    for section in doc.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
        parts.extend(p.text for p in section.header.paragraphs)
    return "\n".join(parts)


def missing_labels(text: str, labels: tuple[str, ...]) -> list[str]:
    """The labels that do not appear in ``text``."""
    return [label for label in labels if label not in text]


def card_like_numbers(text: str) -> list[str]:
    """Digit sequences of card-number length (13-19 digits, spaces or dashes allowed)."""
    found = re.findall(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)", text)
    return [match for match in found if 13 <= len(re.sub(r"\D", "", match)) <= 19]


def csv_problems(data: bytes, required: tuple[str, ...]) -> list[str]:
    """Why a CSV download is unusable: bad encoding, missing columns or ragged rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ["not UTF-8"]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return ["empty"]
    header, body = rows[0], rows[1:]
    problems = [f"missing column {name!r}" for name in required if name not in header]
    problems += [
        f"row {n} has {len(row)} cells" for n, row in enumerate(body, 2) if len(row) != len(header)
    ]
    return problems


def covers(file_access: list[str], page_audience: str) -> bool:
    """Whether every holder of ``page_audience`` may also open a file with ``file_access``."""
    if page_audience in file_access or page_audience == "staff":
        return True
    return page_audience.startswith("client:") and "clients" in file_access


def relative_target(page: str, href: str) -> str | None:
    """The restricted path a relative link in ``page`` points to; None for other links.

    Absolute paths (the public site), external addresses and fragments are not ours to check;
    a relative link that climbs out of ``restricted/`` raises ValueError.
    """
    if re.match(r"^[a-z][a-z0-9+.-]*:", href) or href.startswith(("/", "#")):
        return None
    path = href.split("#", 1)[0]
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if target == ".." or target.startswith("../"):
        raise ValueError(f"{href} leaves restricted/")
    return target


def load_generator() -> ModuleType:
    """scripts/make_forms.py as a module (scripts/ is not a package)."""
    name = "make_forms_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "make_forms.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


HOME = RESTRICTED / "index.md"
"""The members home: the build lists the items on it, it has no content of its own."""
PAGES = sorted(p for p in RESTRICTED.rglob("*.md") if p != HOME)
PAGE_IDS = [p.relative_to(RESTRICTED).as_posix() for p in PAGES]
DOWNLOADS = sorted(
    p for p in FILES.rglob("*") if p.is_file() and not p.name.endswith(SIDECAR)
)
DOWNLOAD_IDS = [p.relative_to(FILES).as_posix() for p in DOWNLOADS]


def page_meta(path: Path) -> tuple[dict[str, Any], str]:
    """A restricted page's front matter and body."""
    return split_front_matter(path.read_text(encoding="utf-8"))


def sidecar_meta(path: Path) -> dict[str, Any]:
    """A download's sidecar mapping."""
    data = yaml.safe_load(Path(str(path) + SIDECAR).read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: sidecar is not a mapping"
    return data


def listed_downloads() -> list[tuple[str, str]]:
    """(page, download) pairs from every page's ``downloads:``."""
    pairs = []
    for page, page_id in zip(PAGES, PAGE_IDS, strict=True):
        for item in page_meta(page)[0].get("downloads") or []:
            pairs.append((page_id, item))
    return pairs


# --------------------------------------------------------------------------- helper tables


@pytest.mark.parametrize(
    ("text", "expected"),
    (
        ("---\ntitle: T\naccess: [clients]\n---\nBody\n",
         ({"title": "T", "access": ["clients"]}, "Body\n")),
        ("---\ntitle: A\n---\n", ({"title": "A"}, "")),
        ("title: T\n---\nBody\n", ValueError),
        ("---\ntitle: T\nBody without a closing line\n", ValueError),
        ("---\n- a list\n---\nBody\n", ValueError),
        ("", ValueError),
    ),
)
def test_split_front_matter(text: str, expected: Any) -> None:
    if expected is ValueError:
        with pytest.raises(ValueError):
            split_front_matter(text)
    else:
        assert split_front_matter(text) == expected


@given(
    st.dictionaries(
        st.sampled_from(["title", "summary", "extra"]),
        st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs"]), max_size=30),
    ),
    st.text(alphabet="abc \n#-", max_size=40),
)
def test_front_matter_round_trips(data: dict[str, str], body: str) -> None:
    text = "---\n" + yaml.safe_dump(data, allow_unicode=True) + "---\n" + body
    assert split_front_matter(text) == (data, body)


@pytest.mark.parametrize(
    ("data", "problems"),
    (
        ({"access": ["clients"], "title": "T", "summary": "S"}, []),
        ({"access": ["newsletter:payments", "staff"], "title": "T", "summary": "S"}, []),
        ({"access": [], "title": "T", "summary": "S"}, ["access missing or empty"]),
        ({"title": "T", "summary": "S"}, ["access missing or empty"]),
        ({"access": ["everyone"], "title": "T", "summary": "S"}, ["unknown access ['everyone']"]),
        ({"access": ["clients"], "title": " ", "summary": ""},
         ["title missing or empty", "summary missing or empty"]),
        (["not", "a", "mapping"], ["not a mapping"]),
    ),
)
def test_meta_problems(data: object, problems: list[str]) -> None:
    assert meta_problems(data) == problems


@pytest.mark.parametrize(
    ("text", "found"),
    (
        ("Form version 2026.1, page 3 of 4", []),
        ("Last four digits of the card: ____", []),
        ("4111 1111 1111 1111", ["4111 1111 1111 1111"]),
        ("card 5500-0000-0000-0004 exp", ["5500-0000-0000-0004"]),
        ("account 1234567890123", ["1234567890123"]),
    ),
)
def test_card_like_numbers(text: str, found: list[str]) -> None:
    assert card_like_numbers(text) == found


@pytest.mark.parametrize(
    ("data", "problems"),
    (
        (b"SKU,Name\r\nA-1,Mug\r\n", []),
        ("\ufeffSKU,Name\r\nA-1,Mug\r\n".encode(), []),
        (b"SKU,Name\r\nA-1\r\n", ["row 2 has 1 cells"]),
        (b"Name\r\nMug\r\n", ["missing column 'SKU'"]),
        (b"", ["empty"]),
        (b"\xff\xfeS\x00", ["not UTF-8"]),
    ),
)
def test_csv_problems(data: bytes, problems: list[str]) -> None:
    assert csv_problems(data, ("SKU", "Name")) == problems


@pytest.mark.parametrize(
    ("file_access", "audience", "ok"),
    (
        (["clients"], "clients", True),
        (["clients"], "client:demo-client", True),
        (["clients"], "staff", True),
        (["newsletter:payments"], "newsletter:payments", True),
        (["newsletter:payments"], "newsletter:store-setup", False),
        (["client:demo-client"], "clients", False),
    ),
)
def test_covers(file_access: list[str], audience: str, ok: bool) -> None:
    assert covers(file_access, audience) is ok


@pytest.mark.parametrize(
    ("page", "href", "target"),
    (
        ("clients/index.md", "fluent-boards.md", "clients/fluent-boards.md"),
        ("clients/index.md", "fluent-boards.md#raising-a-request", "clients/fluent-boards.md"),
        ("clients/a.md", "../files/forms/x.docx", "files/forms/x.docx"),
        ("newsletter/payments/index.md", "../../files/y.csv", "files/y.csv"),
        ("clients/a.md", "/sops/billing/", None),
        ("clients/a.md", "https://example.com/", None),
        ("clients/a.md", "mailto:someone@example.com", None),
        ("clients/a.md", "#section", None),
        ("clients/a.md", "../../docs/index.md", ValueError),
    ),
)
def test_relative_target(page: str, href: str, target: Any) -> None:
    if target is ValueError:
        with pytest.raises(ValueError):
            relative_target(page, href)
    else:
        assert relative_target(page, href) == target


# --------------------------------------------------------------------------- the content


def test_content_is_present() -> None:
    assert len(PAGES) >= 12
    assert len(DOWNLOADS) >= 5
    assert len(listed_downloads()) >= 5


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_page_front_matter(page: Path) -> None:
    data, body = page_meta(page)
    assert meta_problems(data) == []
    assert set(data) <= {"title", "access", "summary", "downloads", "sources"}
    assert len(words(body)) >= 150, "restricted pages should be substantial"


@pytest.mark.parametrize(("page", "download"), listed_downloads())
def test_listed_download_exists_for_the_page_readers(page: str, download: str) -> None:
    target = (FILES / download).resolve()
    assert FILES.resolve() in target.parents, f"{page}: {download} leaves restricted/files"
    assert target.is_file(), f"{page} lists missing download {download}"
    page_access = page_meta(RESTRICTED / page)[0]["access"]
    file_access = sidecar_meta(target)["access"]
    assert all(covers(file_access, audience) for audience in page_access), (
        f"{page} ({page_access}) links {download} ({file_access})"
    )


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_relative_links_resolve(page: Path) -> None:
    """Links between restricted pages and files point at items the page's readers can open."""
    page_id = page.relative_to(RESTRICTED).as_posix()
    data, body = page_meta(page)
    for href in LINK.findall(body):
        target = relative_target(page_id, href)
        if target is None:
            continue
        assert (RESTRICTED / target).is_file(), f"{page_id}: broken link {href}"
        if target.startswith("files/"):
            file_access = sidecar_meta(RESTRICTED / target)["access"]
        else:
            file_access = page_meta(RESTRICTED / target)[0]["access"]
        assert all(covers(file_access, audience) for audience in data["access"]), (
            f"{page_id} links {href}, which some of its readers cannot open"
        )


@pytest.mark.parametrize("download", DOWNLOADS, ids=DOWNLOAD_IDS)
def test_download_has_sidecar(download: Path) -> None:
    assert Path(str(download) + SIDECAR).is_file(), f"no sidecar for {download.name}"
    assert meta_problems(sidecar_meta(download)) == []


def test_no_orphan_sidecars() -> None:
    orphans = [
        p.relative_to(FILES).as_posix()
        for p in FILES.rglob("*" + SIDECAR)
        if not Path(str(p)[: -len(SIDECAR)]).is_file()
    ]
    assert orphans == []


FORM_FIELDS: tuple[tuple[str, tuple[str, ...], list[str]], ...] = (
    ("forms/plugin-setup-form.docx", (
        "Plugin setup details form", "Business name", "Live site address (URL)",
        "Plugin name", "Licence held by (you / us)", "Settings to decide",
        "Who receives plugin renewal and expiry notices",
        "How will you share credentials with us?", "Never write passwords", "Signature",
    ), []),
    ("forms/credit-card-authorisation.docx", (
        "Credit card authorisation form", "Cardholder name (as printed on the card)",
        "Billing address of the card", "Card type", "Last four digits of the card",
        "Expiry date (MM/YY)", "Set-up fee", "Hardware orders", "Recurring monthly service fee",
        "Do NOT write the full card number", "Signature", "Date",
    ), []),
    ("forms/debit-order-mandate.docx", (
        "Debit order mandate form", "Account holder name", "Bank name", "Branch code",
        "Account number", "Account type", "First collection month (MM/YYYY)",
        "close of business on the 19th", "1st of the following month", "30 days' written notice",
        "Signed at (place)", "Signature",
    ), []),
    ("forms/onboarding-checklist.docx", (
        "Onboarding checklist", "Done (date)", "Pay the set-up fee",
        "Pay the first month up front", "Pay hardware invoices before we order",
        "Accept the Fluent Board invitation", "Target go-live date",
    ), []),
    ("forms/team-contacts-form.docx", (
        "Team contacts form", "Full name", "Email address", "Role(s)", "Email updates",
        "Board access (yes / no)", "Approver",
    ), []),
    ("forms/web-shop-setup-form.docx", (
        "Web shop setup details form", "Hosting provider", "Payment gateway(s)",
        "Shipping zones (regions you deliver to)", "VAT or sales tax registration number",
        "Returns and refunds policy (link or attach)", "Signature",
    ), []),
    ("newsletter/payments/gateway-comparison-worksheet.docx", (
        "Payment gateway comparison worksheet", "Gateway A", "Fee per local card payment",
        "Chargeback fee and dispute process", "Chosen gateway",
    ), []),
    # A label the form does not carry is reported: the check can fail.
    ("forms/plugin-setup-form.docx", ("Plugin name", "Card security code (CVV)"),
     ["Card security code (CVV)"]),
)


@pytest.mark.parametrize(("path", "labels", "missing"), FORM_FIELDS)
def test_form_fields(path: str, labels: tuple[str, ...], missing: list[str]) -> None:
    text = docx_text(FILES / path)
    assert missing_labels(text, labels) == missing
    assert card_like_numbers(text) == []


def test_every_docx_is_checked_for_fields() -> None:
    checked = {path for path, _labels, _missing in FORM_FIELDS}
    assert {p for p in DOWNLOAD_IDS if p.endswith(".docx")} == checked


@pytest.mark.parametrize("download", DOWNLOADS, ids=DOWNLOAD_IDS)
def test_download_opens(download: Path) -> None:
    if download.suffix == ".docx":
        doc = Document(str(download))
        assert doc.tables, "a form needs fields to fill in"
        assert doc.core_properties.title == sidecar_meta(download)["title"]
    elif download.suffix == ".csv":
        assert csv_problems(download.read_bytes(), ("SKU", "Product name", "Regular price")) == []
    else:
        pytest.fail(f"no check for {download.suffix} downloads")


def test_forms_match_their_generator(tmp_path: Path) -> None:
    """The committed binaries are what scripts/make_forms.py produces (rerun it after edits)."""
    generator = load_generator()
    assert generator.stale_files(FILES) == []
    broken = tmp_path / "files"
    generator.write_all(broken)
    (broken / "forms" / "plugin-setup-form.docx").write_bytes(b"not a zip")
    assert generator.stale_files(broken) == ["forms/plugin-setup-form.docx"]


def test_teasers_repeat_no_body_run() -> None:
    """Titles and summaries are public: none may contain an 8-word run of a restricted body."""
    body_runs: set[tuple[str, ...]] = set()
    teasers = []
    for page in PAGES:
        data, body = page_meta(page)
        body_runs |= runs(body)
        teasers.append(f"{data['title']} {data['summary']}")
    for download in DOWNLOADS:
        data = sidecar_meta(download)
        teasers.append(f"{data['title']} {data['summary']}")
    leaked = [teaser for teaser in teasers if runs(teaser) & body_runs]
    assert leaked == []
