"""Generate the downloadable client forms and worksheets under ``restricted/files/``.

Every form is described below as data (headings, instructions, tables of labelled fields) and
written with python-docx, with fixed document properties and fixed zip timestamps so that a
rerun produces the same parts. Each generated file gets its ``<file>.meta.yml`` sidecar.

Usage::

    .venv/bin/python scripts/make_forms.py            # write the files into restricted/files
    .venv/bin/python scripts/make_forms.py --check    # exit 1 when a committed file is stale
    .venv/bin/python scripts/make_forms.py --out DIR  # write somewhere else
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "restricted" / "files"
FIXED_TIME = datetime(2026, 1, 5, 8, 0, 0)
ZIP_TIME = (2026, 1, 5, 8, 0, 0)
BOX = "\u2610"
LABEL_SHADE = "E8EAF6"
FORM_VERSION = "Form version 2026.1"


# --------------------------------------------------------------------------- form description


@dataclass(frozen=True)
class Heading:
    """A section heading inside a form."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    """A plain paragraph; ``note`` renders it smaller and in italics."""

    text: str
    note: bool = False


@dataclass(frozen=True)
class Bullets:
    """A bulleted (or numbered) list of short instructions."""

    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Fields:
    """A two-column table: a shaded label on the left, an empty cell to fill in on the right."""

    labels: tuple[str, ...]


@dataclass(frozen=True)
class Choices:
    """A labelled row whose answer is a set of tick boxes."""

    label: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Grid:
    """A table with a header row and ``rows`` blank rows (or pre-filled first columns)."""

    columns: tuple[str, ...]
    rows: int = 6
    prefilled: tuple[tuple[str, ...], ...] = ()


Block = Heading | Para | Bullets | Fields | Choices | Grid


@dataclass(frozen=True)
class Form:
    """One downloadable document and the public teaser of its sidecar."""

    path: str
    title: str
    summary: str
    access: tuple[str, ...]
    blocks: tuple[Block, ...] = field(default_factory=tuple)


SIGNATURE = Fields(("Full name", "Position", "Signature", "Date"))
PRIVACY_NOTE = Para(
    "We keep this form in your client file, use it only for the purpose stated on it and share "
    "it with no one outside the team working on your account.",
    note=True,
)

PLUGIN_SETUP = Form(
    path="forms/plugin-setup-form.docx",
    title="Plugin setup details form",
    summary="A fill-in form listing the plugins on your site and how each should be configured.",
    access=("clients",),
    blocks=(
        Para(
            "Complete one form per website. List every plugin you want us to install, move or "
            "configure, who owns its licence and the decisions we need from you. Return it to "
            "your project manager by attaching it to the request card on your Fluent Board."
        ),
        Bullets((
            "Type into the empty cells; add rows to the plugin table if you need more.",
            "Never write passwords, API secrets or licence keys on this form. Tick how you "
            "will share them and we will set up the secure hand-over with you.",
            "If you are unsure of an answer, write 'discuss' and we will cover it in the "
            "Investigate, Plan & Spec stage of the request.",
        )),
        Heading("1. About you"),
        Fields((
            "Business name",
            "Client account name (as on your invoices)",
            "Form completed by",
            "Email address",
            "Phone number",
            "Date completed",
        )),
        Heading("2. The website"),
        Fields((
            "Live site address (URL)",
            "Staging or test site address (URL)",
            "Hosting provider",
            "WordPress version (if known)",
            "Named administrator user created for us (user name only)",
        )),
        Choices("Who may approve plugin purchases and renewals?", (
            "The person completing this form", "Our billing contact", "Someone else (name below)",
        )),
        Heading("3. Plugins"),
        Para(
            "Licence held by: 'you' when the licence is bought in your name, 'us' when we buy it "
            "and bill it to your account. Settings to decide: anything you already know, such "
            "as currencies, languages, form recipients or which pages the plugin appears on."
        ),
        Grid(
            ("Plugin name", "What it is for", "Licence held by (you / us)",
             "Plugin account email", "Settings to decide"),
            rows=8,
        ),
        Heading("4. Notifications"),
        Fields((
            "Who receives order or enquiry notifications",
            "Who receives form submissions",
            "Who receives plugin renewal and expiry notices",
            "Who receives security and update alerts",
        )),
        Heading("5. Sharing passwords and keys"),
        Choices("How will you share credentials with us?", (
            "Invite our user from inside the service",
            "Password manager share",
            "Read out during a scheduled phone call",
        )),
        Fields(("Anything we should not change without asking first",)),
        Heading("6. Sign-off"),
        SIGNATURE,
        PRIVACY_NOTE,
    ),
)

CARD_AUTHORISATION = Form(
    path="forms/credit-card-authorisation.docx",
    title="Credit card authorisation form",
    summary="A signed permission for the agreed charges to be made to your company card.",
    access=("clients",),
    blocks=(
        Para(
            "Use this form to let our accounts team charge a company credit card for the items "
            "ticked in section 3. Each charge is matched to an invoice that we email to you "
            "before the card is charged."
        ),
        Bullets((
            "Do NOT write the full card number or the security code (CVV) anywhere on this "
            "form. We only need the last four digits here to recognise the card.",
            "The full card number is captured once, through the secure payment link we send "
            "you or by phone to our accounts team; it is never kept in email or in this file.",
            "Return the signed form to our accounts team at the address on your invoice.",
        )),
        Heading("1. Cardholder"),
        Fields((
            "Cardholder name (as printed on the card)",
            "Company name",
            "Client account name (as on your invoices)",
            "Billing address of the card",
            "Email address for receipts",
            "Phone number",
        )),
        Heading("2. Card"),
        Choices("Card type", ("Visa", "Mastercard", "American Express", "Other")),
        Fields((
            "Last four digits of the card",
            "Expiry date (MM/YY)",
        )),
        Choices("How we will receive the full card number", (
            "Secure payment link", "Phone call to our accounts team",
        )),
        Heading("3. What we may charge"),
        Para("Tick every item you authorise and, where useful, set a limit."),
        Grid(
            ("Tick", "Charge", "Limit per charge (optional)"),
            prefilled=(
                (BOX, "Set-up fee", ""),
                (BOX, "First month's service fee, paid before go-live", ""),
                (BOX, "Hardware orders (paid before we order)", ""),
                (BOX, "Recurring monthly service fee", ""),
                (BOX, "Other (describe)", ""),
            ),
        ),
        Fields((
            "Authorisation valid from",
            "Authorisation valid until (leave blank for until cancelled)",
        )),
        Heading("4. Terms"),
        Bullets((
            "We charge only amounts shown on an invoice we have sent you.",
            "You may cancel this authorisation in writing at any time; charges for invoices "
            "already issued may still be collected.",
            "Tell us before the card expires or is replaced so that a charge is not declined.",
            "Questions about a charge go to our accounts team before you dispute it with your "
            "bank, so that we can correct a mistake quickly.",
        )),
        Heading("5. Signature"),
        SIGNATURE,
        PRIVACY_NOTE,
    ),
)

DEBIT_ORDER_MANDATE = Form(
    path="forms/debit-order-mandate.docx",
    title="Debit order mandate form",
    summary="Bank account authority for monthly debit order collection of your invoices.",
    access=("clients",),
    blocks=(
        Para(
            "This mandate lets us collect each monthly invoice of a debit order account from "
            "your bank account. Work completed up to close of business on the 19th is invoiced "
            "that day and collected on the 1st of the following month, or on the next business "
            "day when the 1st is a weekend or public holiday."
        ),
        Bullets((
            "The account holder, or someone authorised to sign for the account, signs this form.",
            "Send the signed mandate at least five business days before the 19th close whose "
            "invoice should be the first one collected by debit order.",
            "The bank account number is written on this form only: do not repeat it in an "
            "email body.",
        )),
        Heading("1. Account holder"),
        Fields((
            "Account holder name",
            "Company registration or ID number",
            "Client account name (as on your invoices)",
            "Physical address",
            "Email address for pre-collection notices",
            "Phone number",
        )),
        Heading("2. Bank account"),
        Fields((
            "Bank name",
            "Branch name",
            "Branch code",
            "Account number",
        )),
        Choices("Account type", ("Current / cheque", "Savings", "Transmission", "Other")),
        Heading("3. Collection"),
        Fields((
            "First collection month (MM/YYYY)",
            "Maximum amount per collection (optional)",
        )),
        Bullets((
            "Amount: the total of each monthly invoice, which you receive after the close on "
            "the 19th, well before the collection date.",
            "Collection date: the 1st of the month after the invoice, moved to the next "
            "business day when needed.",
            "Set-up fees, the first month paid up front and hardware are not collected under "
            "this mandate unless you tick the box below.",
        )),
        Choices("Also collect under this mandate", (
            "Set-up fee", "First month's service fee", "Hardware invoices",
        )),
        Heading("4. Terms"),
        Bullets((
            "You may cancel the mandate with 30 days' written notice; invoices already issued "
            "remain payable by another method.",
            "If a collection is returned unpaid, we email you and the invoice becomes payable "
            "by EFT within 7 days; a returned item fee from the bank may be added.",
            "Tell us at least ten business days before the collection date if you change "
            "banks, so that we can collect from the new account.",
        )),
        Heading("5. Signature"),
        Fields(("Signed at (place)",)),
        SIGNATURE,
        PRIVACY_NOTE,
    ),
)

ONBOARDING_CHECKLIST = Form(
    path="forms/onboarding-checklist.docx",
    title="Onboarding checklist",
    summary="A printable list of every onboarding step, with owners and a column for dates.",
    access=("clients",),
    blocks=(
        Para(
            "Keep this list beside you while we set up your account. Write the date in the "
            "last column as each step is done; your project manager keeps the same list on "
            "your Fluent Board."
        ),
        Heading("Steps"),
        Grid(
            ("Step", "Who", "Form or page", "Done (date)"),
            prefilled=(
                ("Sign the proposal and service agreement", "You", "Proposal", ""),
                ("Choose your account type: EFT, weekly retainer or debit order", "You",
                 "Billing and payments", ""),
                ("Pay the set-up fee (card or EFT)", "You",
                 "Credit card authorisation form", ""),
                ("Send the debit order mandate (debit order accounts only)", "You",
                 "Debit order mandate form", ""),
                ("Send your team list for CRM profiles", "You", "Team contacts form", ""),
                ("Accept the Fluent Board invitation", "Your team", "Invitation email", ""),
                ("Kick-off meeting and target go-live date", "Us and you", "Meeting", ""),
                ("Send plugin setup details", "You", "Plugin setup details form", ""),
                ("Send web shop details (shops only)", "You", "Web shop setup details form", ""),
                ("Pay hardware invoices before we order", "You", "Invoice", ""),
                ("Pay the first month up front", "You", "Invoice", ""),
                ("Test and sign off the go-live tasks", "You", "Fluent Board", ""),
                ("Go live", "Us", "Project manager update", ""),
                ("Check the go-live credit on your first recurring invoice", "You",
                 "First invoice", ""),
            ),
        ),
        Heading("Notes"),
        Fields(("Target go-live date", "Project manager", "Questions for the kick-off meeting")),
    ),
)

TEAM_CONTACTS = Form(
    path="forms/team-contacts-form.docx",
    title="Team contacts form",
    summary="Lists the people on your side we should know, their roles and mail choices.",
    access=("clients",),
    blocks=(
        Para(
            "List everyone on your side who will talk to us. We create a CRM profile for each "
            "person and invite them to your Fluent Board with the role you give them here."
        ),
        Bullets((
            "Roles: Primary contact, Billing, Approver (approves specs and spend), Tester, "
            "Technical, Observer (reads updates only).",
            "Email updates: All (every board update), Summary (a weekly digest) or Invoices only.",
            "One person may hold several roles; every account needs one primary contact and one "
            "billing contact.",
        )),
        Heading("1. Your business"),
        Fields(("Client account name (as on your invoices)", "Completed by", "Date completed")),
        Heading("2. People"),
        Grid(
            ("Full name", "Email address", "Phone", "Role(s)", "Email updates",
             "Board access (yes / no)"),
            rows=8,
        ),
        Heading("3. Leavers and changes"),
        Para(
            "When someone leaves your team, tell us the same day: we close their profile, "
            "remove them from the board and end their portal access."
        ),
        Fields(("Who may ask us to add or remove people",)),
        PRIVACY_NOTE,
    ),
)

WEB_SHOP_SETUP = Form(
    path="forms/web-shop-setup-form.docx",
    title="Web shop setup details form",
    summary="The store facts we collect before configuring an online shop for you.",
    access=("clients",),
    blocks=(
        Para(
            "Fill this in before we configure or take over your online store. Answer what you "
            "can; blanks become questions on the Investigate, Plan & Spec card of your board."
        ),
        Bullets((
            "Do not write passwords or payment gateway secret keys on this form.",
            "Where a question asks about money, give amounts in the currency your store sells in.",
        )),
        Heading("1. Store basics"),
        Fields((
            "Store name",
            "Store address (URL)",
            "Store platform (for example WooCommerce)",
            "Selling currency",
            "Countries you sell to",
            "Approximate number of products",
        )),
        Heading("2. Hosting and domain"),
        Fields((
            "Hosting provider",
            "Domain registrar",
            "Who controls DNS",
            "Backup arrangement (provider, frequency)",
        )),
        Choices("Access you will give us", (
            "Hosting control panel user", "SFTP or SSH user", "WordPress administrator user",
            "DNS manager user",
        )),
        Heading("3. Payments"),
        Fields((
            "Payment gateway(s)",
            "Gateway account owner (name and email)",
            "Payout bank account confirmed with the gateway (yes / no)",
        )),
        Choices("Gateway keys will be shared by", (
            "Inviting our user to the gateway dashboard", "Password manager share",
        )),
        Heading("4. Shipping"),
        Fields((
            "Where you ship from (address)",
            "Shipping zones (regions you deliver to)",
            "Couriers or methods",
            "Rates or rate rules",
            "Free shipping threshold (if any)",
            "Collection or pick-up option (yes / no, where)",
        )),
        Heading("5. Tax"),
        Fields((
            "VAT or sales tax registration number",
            "Prices entered including or excluding tax",
            "Products with a different tax rate",
        )),
        Heading("6. Policies and emails"),
        Fields((
            "Returns and refunds policy (link or attach)",
            "Terms and conditions (link or attach)",
            "Privacy policy (link or attach)",
            "Store email sender name and address",
            "Who receives new order emails",
        )),
        Heading("7. Sign-off"),
        SIGNATURE,
        PRIVACY_NOTE,
    ),
)

GATEWAY_WORKSHEET = Form(
    path="newsletter/payments/gateway-comparison-worksheet.docx",
    title="Payment gateway comparison worksheet",
    summary="A side-by-side scoring sheet for shortlisting online payment providers.",
    access=("newsletter:payments",),
    blocks=(
        Para(
            "Write up to three gateways across the top, fill in each row from the providers' "
            "own pricing and documentation pages, then score each row from 1 (poor) to 5 "
            "(excellent) for your store."
        ),
        Heading("Gateways compared"),
        Grid(
            ("Question", "Gateway A", "Gateway B", "Gateway C"),
            prefilled=(
                ("Gateway name", "", "", ""),
                ("Fee per local card payment", "", "", ""),
                ("Fee per international card payment", "", "", ""),
                ("Monthly or set-up fees", "", "", ""),
                ("Payout schedule to your bank", "", "", ""),
                ("Payment methods (cards, EFT, wallets)", "", "", ""),
                ("Supports saved cards and subscriptions", "", "", ""),
                ("3-D Secure / strong authentication", "", "", ""),
                ("Chargeback fee and dispute process", "", "", ""),
                ("Plugin for your store platform", "", "", ""),
                ("Test mode or sandbox", "", "", ""),
                ("Support hours and channel", "", "", ""),
                ("Score out of 5", "", "", ""),
            ),
        ),
        Heading("Decision"),
        Fields(("Chosen gateway", "Reason", "Date decided")),
    ),
)

FORMS: tuple[Form, ...] = (
    PLUGIN_SETUP,
    CARD_AUTHORISATION,
    DEBIT_ORDER_MANDATE,
    ONBOARDING_CHECKLIST,
    TEAM_CONTACTS,
    WEB_SHOP_SETUP,
    GATEWAY_WORKSHEET,
)


@dataclass(frozen=True)
class CsvSheet:
    """A CSV template: a header row and a few clearly marked example rows."""

    path: str
    title: str
    summary: str
    access: tuple[str, ...]
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


CATALOGUE_TEMPLATE = CsvSheet(
    path="newsletter/store-setup/product-catalogue-template.csv",
    title="Product catalogue template",
    summary="A spreadsheet layout for preparing products before importing them into a store.",
    access=("newsletter:store-setup",),
    header=(
        "SKU", "Product name", "Category", "Short description", "Regular price", "Sale price",
        "Tax class", "Stock quantity", "Weight (kg)", "Length (cm)", "Width (cm)", "Height (cm)",
        "Shipping class", "Image file names", "Attribute name", "Attribute values",
    ),
    rows=(
        ("EXAMPLE-001", "Example mug (delete this row)", "Kitchen", "Stoneware mug, 350 ml",
         "12.00", "", "Standard", "40", "0.45", "12", "9", "10", "Parcel",
         "example-mug-front.jpg;example-mug-side.jpg", "", ""),
        ("EXAMPLE-002", "Example T-shirt (delete this row)", "Clothing", "Cotton T-shirt",
         "20.00", "16.00", "Standard", "", "0.2", "30", "25", "2", "Flat parcel",
         "example-shirt.jpg", "Size", "S|M|L|XL"),
    ),
)

SHEETS: tuple[CsvSheet, ...] = (CATALOGUE_TEMPLATE,)


# --------------------------------------------------------------------------- rendering


def _shade(cell: _Cell, colour: str) -> None:
    """Give a table cell a solid background colour."""
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    properties.append(shading)


def _label_cell(cell: _Cell, text: str) -> None:
    """Write a bold, shaded label into a cell."""
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.bold = True
    _shade(cell, LABEL_SHADE)


def _set_widths(table: Table, widths: Sequence[float]) -> None:
    """Fix column widths (in centimetres) on every row, as Word expects."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def _add_fields(doc: DocxDocument, block: Fields) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label in block.labels:
        row = table.add_row()
        _label_cell(row.cells[0], label)
        row.height = Cm(0.9)
    _set_widths(table, (6.5, 10.5))
    doc.add_paragraph()


def _add_choices(doc: DocxDocument, block: Choices) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _label_cell(table.rows[0].cells[0], block.label)
    answer = table.rows[0].cells[1]
    answer.text = ""
    for index, option in enumerate(block.options):
        paragraph = answer.paragraphs[0] if index == 0 else answer.add_paragraph()
        paragraph.add_run(f"{BOX} {option}")
    _set_widths(table, (6.5, 10.5))
    doc.add_paragraph()


def _add_grid(doc: DocxDocument, block: Grid) -> None:
    table = doc.add_table(rows=1, cols=len(block.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, name in zip(table.rows[0].cells, block.columns, strict=True):
        _label_cell(cell, name)
    rows = block.prefilled or tuple(("",) * len(block.columns) for _ in range(block.rows))
    for values in rows:
        row = table.add_row()
        row.height = Cm(0.9)
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    width = 17.0 / len(block.columns)
    _set_widths(table, [width] * len(block.columns))
    doc.add_paragraph()


def _add_block(doc: DocxDocument, block: Block) -> None:
    if isinstance(block, Heading):
        doc.add_heading(block.text, level=block.level)
    elif isinstance(block, Para):
        paragraph = doc.add_paragraph()
        run = paragraph.add_run(block.text)
        if block.note:
            run.italic = True
            run.font.size = Pt(9)
    elif isinstance(block, Bullets):
        style = "List Number" if block.numbered else "List Bullet"
        for item in block.items:
            doc.add_paragraph(item, style=style)
    elif isinstance(block, Fields):
        _add_fields(doc, block)
    elif isinstance(block, Choices):
        _add_choices(doc, block)
    else:
        _add_grid(doc, block)


def render_docx(form: Form) -> bytes:
    """Return the bytes of one form as a .docx document with fixed metadata and timestamps."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(1.8)
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10.5)
    title = doc.add_heading(form.title, level=0)
    title.runs[0].font.color.rgb = RGBColor(0x28, 0x35, 0x93)
    for block in form.blocks:
        _add_block(doc, block)
    footer = section.footer.paragraphs[0]
    footer.text = f"SOP Portal \u00b7 {form.title} \u00b7 {FORM_VERSION}"
    footer.runs[0].font.size = Pt(8)
    props = doc.core_properties
    props.title = form.title
    props.subject = form.summary
    props.author = props.last_modified_by = "SOP Portal"
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    props.comments = ""
    buffer = io.BytesIO()
    doc.save(buffer)
    return normalise_zip(buffer.getvalue())


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed timestamps and permissions, keeping member order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(member.filename))
    return out.getvalue()


def render_csv(sheet: CsvSheet) -> bytes:
    """Return a CSV template as UTF-8 with a byte order mark so spreadsheets detect it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(sheet.header)
    writer.writerows(sheet.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_sidecar(title: str, summary: str, access: Sequence[str]) -> bytes:
    """Return the ``<file>.meta.yml`` text for one downloadable file."""
    audiences = ", ".join(json.dumps(audience) for audience in access)
    lines = (
        "# Generated by scripts/make_forms.py: edit the form description there.",
        f"title: {json.dumps(title)}",
        f"access: [{audiences}]",
        f"summary: {json.dumps(summary)}",
    )
    return ("\n".join(lines) + "\n").encode("utf-8")


def outputs() -> dict[str, bytes]:
    """Every generated file (relative path under restricted/files/) and its bytes."""
    files: dict[str, bytes] = {}
    for form in FORMS:
        files[form.path] = render_docx(form)
        files[form.path + ".meta.yml"] = render_sidecar(form.title, form.summary, form.access)
    for sheet in SHEETS:
        files[sheet.path] = render_csv(sheet)
        files[sheet.path + ".meta.yml"] = render_sidecar(sheet.title, sheet.summary, sheet.access)
    return files


def zip_parts(data: bytes) -> dict[str, bytes]:
    """The member names and contents of a zip archive (compression-independent comparison)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def same_content(path: str, expected: bytes, actual: bytes) -> bool:
    """Whether a committed file matches what the generator produces now."""
    if path.endswith(".docx"):
        try:
            return zip_parts(expected) == zip_parts(actual)
        except zipfile.BadZipFile:
            return False
    return expected == actual


def stale_files(out_dir: Path, render: Callable[[], dict[str, bytes]] = outputs) -> list[str]:
    """Generated paths whose file under ``out_dir`` is missing or differs from a fresh render."""
    stale = []
    for path, data in render().items():
        target = out_dir / path
        if not target.is_file() or not same_content(path, data, target.read_bytes()):
            stale.append(path)
    return stale


def write_all(out_dir: Path) -> list[Path]:
    """Write every generated file under ``out_dir`` and return their paths."""
    written = []
    for path, data in outputs().items():
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: write the forms, or check that the committed ones are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--check", action="store_true", help="report stale files, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.out)
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        return 1 if stale else 0
    for target in write_all(args.out):
        print(target.relative_to(args.out) if target.is_relative_to(args.out) else target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
