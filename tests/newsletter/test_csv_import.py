"""FluentCRM contacts exports read as PHP's fputcsv writes them, in every language."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.newsletter import csv_import, fields, plan
from gate.newsletter.sections import parse_map
from tests.newsletter import shapes
from tests.newsletter.helpers import DATA, HEADER, MAP, PAY, STORE, parse, problems
from tests.newsletter.shapes import fixture_files

# ---- whole exports ---------------------------------------------------------------------------

def test_realistic_export_with_extra_columns():
    plan = parse((DATA / "fluentcrm_contacts.csv").read_text(encoding="utf-8"))
    by_email = {c.email: c for c in plan.contacts}
    assert list(by_email) == ["thandi.nkosi@example.co.za", "pieter@example.com",
                              "sam@example.org", "lee@example.net", "ann@example.net"]
    assert by_email["thandi.nkosi@example.co.za"].sections == {"store-setup", "payments"}
    assert by_email["thandi.nkosi@example.co.za"].name == "Thandi Nkosi"
    assert by_email["pieter@example.com"].sections == {"payments"}
    assert by_email["sam@example.org"].sections == frozenset()
    assert by_email["lee@example.net"].status == "pending"
    assert by_email["lee@example.net"].sections == frozenset()
    assert by_email["ann@example.net"].sections == frozenset()  # an unmapped list
    assert by_email["pieter@example.com"].places == ("row 3",)


@pytest.mark.parametrize(
    ("text", "expected"),
    (
        # header names in any case, spelling and order
        ("STATUS,lists,EMAIL\nsubscribed,Online Sales FAQ: Payments,a@example.com\n",
         [("a@example.com", "subscribed", {"payments"}, None)]),
        ("e-mail,first_name,LAST-NAME,Status,Tags\nA@Example.com,Ann,Lee,subscribed,x\n",
         [("a@example.com", "subscribed", set(), "Ann Lee")]),
        ("Email Address,Full Name,Status,Lists\nb@example.com,Bo Diddley,pending,\n",
         [("b@example.com", "pending", set(), "Bo Diddley")]),
        # a UTF-8 BOM before the header
        ("\ufeffEmail,Status,Lists\nc@example.com,subscribed,Online Sales FAQ: Store Setup\n",
         [("c@example.com", "subscribed", {"store-setup"}, None)]),
        # CRLF line ends, quoted commas and a quoted newline in a name
        ('Email,First Name,Status,Lists\r\nd@example.com,"Line\nTwo",subscribed,'
         '"Online Sales FAQ: Payments, Online Sales FAQ: Store Setup"\r\n',
         [("d@example.com", "subscribed", {"payments", "store-setup"}, "Line Two")]),
        # blank rows are skipped; short rows read as empty cells
        (f"{HEADER}\n,,,,,\ne@example.com,,,unsubscribed\n",
         [("e@example.com", "unsubscribed", set(), "")]),
        # formula-like names are neutralised, not refused
        (f'{HEADER}f@example.com,=cmd|"/c calc"!A1,@x,subscribed,{STORE},\n',
         [("f@example.com", "subscribed", {"store-setup"}, 'cmd|"/c calc"!A1 x')]),
        # case duplicates that agree are merged (a blank name agrees with any name)
        (f"{HEADER}G@example.com,,,subscribed,{PAY},\ng@EXAMPLE.com,Gail,,Subscribed,{PAY},\n",
         [("g@example.com", "subscribed", {"payments"}, "Gail")]),
        # only a header: an empty plan
        (HEADER, []),
        # bad input: an unknown status is an error, not a guess
        (f"{HEADER}h@example.com,,,active,{PAY},\n", "row 2: status 'active'"),
    ),
)
def test_parse_export(text, expected):
    if isinstance(expected, str):
        assert any(expected in problem for problem in problems(text))
        return
    got = [(c.email, c.status, set(c.sections), c.name) for c in parse(text).contacts]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "message"),
    (
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("Name,Status,Lists\nAnn,subscribed,x\n", "no Email column"),
        ("Email,Lists\na@example.com,x\n", "no Status column"),
        ("Email,Status\na@example.com,subscribed\n", "neither a Lists nor a Tags column"),
        ("Email,Status,Lists,EMAIL\n", "names the Email column twice (columns 1 and 4)"),
        ('Email,Status,Lists\n"a@example.com,subscribed,x\n', "row 2 is not valid CSV"),
    ),
)
def test_unusable_files_are_refused(text, message):
    with pytest.raises(plan.ExportError) as caught:
        parse(text)
    assert message in caught.value.message


def test_size_limits():
    with pytest.raises(plan.ExportError, match="more than 3 contact rows"):
        parse(HEADER + "a@example.com,,,pending,,\n" * 4, max_rows=3)
    assert len(parse(HEADER + "a@example.com,,,pending,,\n" * 3, max_rows=3).contacts) == 1
    with pytest.raises(plan.ExportError, match="larger than the limit"):
        parse(HEADER + "x" * 100, max_chars=50)


def test_the_real_limits_refuse_a_huge_file_quickly():
    row = "someone@example.com,,,pending,,\n"
    with pytest.raises(plan.ExportError, match="more than 50,000 contact rows"):
        parse(HEADER + row * (csv_import.MAX_ROWS + 1))
    with pytest.raises(plan.ExportError, match="the limit is 5,242,880 bytes"):
        csv_import.decode_export(b"x" * (csv_import.MAX_BYTES + 1))


@pytest.mark.parametrize(
    ("data", "expected"),
    (
        (b"\xef\xbb\xbfEmail\n", "Email\n"),
        ("Émail\n".encode(), "Émail\n"),
        ("\ufeffEmail\n".encode("utf-16"), "Email\n"),
        (b"Email\nb\xe9@example.com\n", "not UTF-8 text (line 2)"),
    ),
)
def test_decode_export(data, expected):
    if "not UTF-8" in expected:
        with pytest.raises(plan.ExportError, match=r"not UTF-8 text \(line 2\)"):
            csv_import.decode_export(data)
    else:
        assert csv_import.decode_export(data).removeprefix("\ufeff") == expected


# ---- fuzzing ---------------------------------------------------------------------------------

_CSV_ALPHABET = st.sampled_from(
    list(',"\n\r\t =+-@ ;\x00\ufeff\u202eaAé')
    + ["Email", "email", "Status", "Lists", "Tags", "First Name", "subscribed", "pending",
       PAY, "a@example.com", "B@Example.com", "x@@y.z"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_only_raises_our_error(text):
    try:
        parse(text)
    except fields.CrmError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.lists(_CSV_ALPHABET, max_size=60).map("".join))
def test_csv_like_text_only_raises_our_error(text):
    for candidate in (text, "Email,Status,Lists\n" + text):
        try:
            plan = parse(candidate)
        except fields.CrmError:
            continue
        for contact in plan.contacts:
            assert contact.email == contact.email.strip().lower()
            assert contact.name is None or not contact.name.startswith(tuple("=+-@\t\r"))
            assert contact.status == "subscribed" or not contact.sections


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_our_error(data):
    try:
        parse(csv_import.decode_export(data))
    except fields.CrmError:
        pass


# ---- FluentCRM as it really is (issue 16) ------------------------------------------------------

def _plan(text: str, newsletter_map=MAP) -> dict[str, tuple[str | None, set[str], str | None]]:
    """email -> (status, sections, name) of an export's plan."""
    return {c.email: (c.status, set(c.sections or ()), c.name)
            for c in csv_import.parse_export(text, newsletter_map).contacts}


def test_fixture_files_are_what_fluentcrm_writes():
    for name, content in fixture_files().items():
        expected = content.encode() if isinstance(content, str) else content
        assert (DATA / name).read_bytes() == expected, f"tests/data/{name} drifted from its source"


@pytest.mark.parametrize(
    ("text", "rows"),
    (
        ('a,b\n"c d","e,f"\n', [["a", "b"], ["c d", "e,f"]]),
        ('"O""Neil",x\n', [['O"Neil', "x"]]),
        # fputcsv's backslash escape: the quote after a backslash is not doubled (item 4)
        ('"O\\"Neil",x\n', [['O\\"Neil', "x"]]),
        ('"a\\\\"b",x\n', [['a\\\\"b', "x"]]),
        ('"two\nlines",x\r\ny,z', [["two\nlines", "x"], ["y", "z"]]),
        ("a,\n,\n", [["a", ""], ["", ""]]),
        ("a,b,", [["a", "b", ""]]),
        ("", []),
        # bad input: an unclosed quote, text after a closing quote, a value ending in \
        ('"abc\n', "never closed"),
        ('"a"b,c\n', "followed by 'b'"),
        ('"C:\\",next\n', "ends with a backslash"),
    ),
)
def test_php_csv_rows(text, rows):
    if isinstance(rows, str):
        with pytest.raises(csv_import.CsvError, match=rows):
            list(csv_import.php_csv_rows(text))
    else:
        assert list(csv_import.php_csv_rows(text)) == rows


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=st.sampled_from(list('ab ,"\\\n\r\t\'=é')),
                                 max_size=8).filter(lambda v: not v.endswith("\\")),
                         min_size=1, max_size=4), min_size=1, max_size=4))
def test_what_fputcsv_writes_reads_back_exactly(rows):
    text = "".join(shapes.fputcsv(row) for row in rows)
    read = list(csv_import.php_csv_rows(text))
    assert read == rows


@pytest.mark.parametrize("language", ("de", "fr", "es"))
def test_translated_exports_read_like_the_english_one(language):
    english = _plan(shapes.export_csv(shapes.DEMO + shapes.EDGE))
    translated = (DATA / f"fluentcrm_export_{language}.csv").read_text(encoding="utf-8")
    assert _plan(translated) == english
    assert english["oneil@example.com"] == ("subscribed", {"store-setup"}, 'Siobhán O\\"Neil')
    assert english["-dash@example.com"] == ("subscribed", {"payments"}, "Dash")


@pytest.mark.parametrize(
    ("header", "column"),
    (
        ("E-Mail", "email"), ("Courriel ", "email"), ("Envíe un correo electrónico a", "email"),
        ("Vorname", "first_name"), ("Prénom", "first_name"), ("Nombre", "first_name"),
        ("Nachname", "last_name"), ("Nom", "last_name"), ("Apellido", "last_name"),
        ("Statut", "status"), ("Estatus", "status"), ("STATUS", "status"),
        ("Listen", "lists"), ("Listes", "lists"), ("Listas", "lists"),
        ("Schlüsselwörter", "tags"), ("SCHLÜSSELWÖRTER", "tags"), ("Etiquetas", "tags"),
        ("Titel", None), ("Kontakttyp", None),
    ),
)
def test_translated_headers(header, column):
    assert csv_import.COLUMN_ALIASES.get(csv_import._header_key(header)) == column


def test_the_exporters_quote_is_removed_from_emails_names_and_titles():
    vip = parse_map(shapes.VIP_MAP)
    plan = _plan((DATA / "fluentcrm_export_de.csv").read_text(encoding="utf-8"), vip)
    assert plan["vip@example.com"] == ("subscribed", {"vip"}, "Vera")
    assert "'-dash@example.com" not in plan and "-dash@example.com" in plan
