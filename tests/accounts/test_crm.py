"""The pure FluentCRM parts: the newsletter map, contact values and the export parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate import crm
from gate.newsletter import (
    DEFAULT_MAP_FILE,
    NewsletterMapError,
    audience,
    is_newsletter_audience,
    parse_map,
    section_slugs,
)
from tests.accounts import fluentcrm_shapes as shapes
from tests.accounts.fluentcrm_shapes import fixture_files

DATA = Path(__file__).resolve().parent.parent / "data"
MAP = parse_map(DEFAULT_MAP_FILE.read_text(encoding="utf-8"))
PAY = "Online Sales FAQ: Payments"
STORE = "Online Sales FAQ: Store Setup"
HEADER = "Email,First Name,Last Name,Status,Lists,Tags\n"


def parse(text: str, **kwargs) -> crm.ImportPlan:
    return crm.parse_export(text, MAP, **kwargs)


def problems(text: str, **kwargs) -> list[str]:
    with pytest.raises(crm.ExportError) as caught:
        parse(text, **kwargs)
    return [str(problem) for problem in caught.value.problems]


# ---- the newsletter map ----------------------------------------------------------------------

def test_default_map_has_the_design_sections():
    assert section_slugs(MAP) == ["store-setup", "payments"]
    assert MAP.sections_for([STORE], []) == {"store-setup"}
    assert MAP.sections_for([f"  online sales faq:   {PAY[17:].upper()} "], []) == {"payments"}
    assert MAP.sections_for(["Monthly Specials"], [PAY]) == frozenset()  # a list, not a tag
    assert audience("payments") == "newsletter:payments"
    assert is_newsletter_audience("newsletter:x") and not is_newsletter_audience("clients")


@pytest.mark.parametrize(
    ("text", "slugs"),
    (
        ('[[section]]\nslug = "vip"\ntags = ["VIP"]\n', ["vip"]),
        ('[[section]]\nslug = "a-1"\ntitle = "A"\nlists = ["L"]\n'
         '[[section]]\nslug = "b"\nlists = ["L"]\n', ["a-1", "b"]),
    ),
)
def test_map_parses(text, slugs):
    parsed = parse_map(text)
    assert section_slugs(parsed) == slugs
    assert parsed.section(slugs[0]) is not None and parsed.section("nope") is None


def test_one_title_may_open_several_sections():
    parsed = parse_map('[[section]]\nslug = "a"\nlists = ["All"]\n'
                       '[[section]]\nslug = "b"\nlists = ["All", "B"]\n')
    assert parsed.sections_for(["all"], []) == {"a", "b"}


@pytest.mark.parametrize(
    ("text", "message"),
    (
        ("", "at least one [[section]]"),
        ("section = 3", "at least one [[section]]"),
        ("[[section]\n", "not valid TOML"),
        ('x = 1\n[[section]]\nslug = "a"\nlists = ["L"]\n', "unknown top-level key"),
        ('[[section]]\nslug = "A b"\nlists = ["L"]\n', "slug 'A b'"),
        ('[[section]]\nslug = "a--b"\nlists = ["L"]\n', "slug 'a--b'"),
        ('[[section]]\nlists = ["L"]\n', "slug None"),
        ('[[section]]\nslug = "a"\n', "at least one FluentCRM list or tag"),
        ('[[section]]\nslug = "a"\nlists = "L"\n', "must be a list"),
        ('[[section]]\nslug = "a"\nlists = ["L", " l "]\n', "twice"),
        ('[[section]]\nslug = "a"\nlists = [""]\n', "non-empty"),
        ('[[section]]\nslug = "a"\nlists = [3]\n', "non-empty"),
        ('[[section]]\nslug = "a"\ntitle = ""\nlists = ["L"]\n', "title"),
        ('[[section]]\nslug = "a"\nlist = ["L"]\n', "unknown key(s): list"),
        ('[[section]]\nslug = "a"\nlists = ["L"]\n[[section]]\nslug = "a"\ntags = ["T"]\n',
         "used twice: a"),
    ),
)
def test_bad_maps_are_refused(text, message):
    with pytest.raises(NewsletterMapError) as caught:
        parse_map(text)
    assert message in str(caught.value)


# ---- single values ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        ("alice@example.com", "alice@example.com"),
        ("  Alice@Example.COM \t", "alice@example.com"),
        ("o'neil+news@mail.example.co.za", "o'neil+news@mail.example.co.za"),
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("a@@example.com", "exactly one @"),
        ("a@b@example.com", "exactly one @"),
        ("example.com", "exactly one @"),
        ("al ice@example.com", "contains a space"),
        ("alice@exa\u00a0mple.com", "contains a space"),
        ("alice\x00@example.com", "control character"),
        ("alice\u202e@example.com", "control character"),
        ("@example.com", "nothing before the @"),
        ("alice@", "nothing after the @"),
        ("Alice <alice@example.com>", "contains a space"),
        ("<alice@example.com>", "not allowed in an address"),
        ("alice@localhost", "not a valid address"),
        ("alice@example..com", "not a valid address"),
        ("a" * 65 + "@example.com", "too long"),
        ("=cmd@example.com", "spreadsheet formula"),
        ("'=cmd@example.com", "spreadsheet formula"),
        # real addresses FluentCRM's exporter writes with a leading '
        ("+1@example.com", "+1@example.com"),
        ("-x@example.com", "-x@example.com"),
        ("'-dash@example.com", "-dash@example.com"),
        (" '+Plus@Example.com ", "+plus@example.com"),
        ("o'neil@example.com", "o'neil@example.com"),
    ),
)
def test_normalise_email(raw, expected):
    if "@" in expected and " " not in expected:
        assert crm.normalise_email(raw) == expected
    else:
        with pytest.raises(crm.FieldError) as caught:
            crm.normalise_email(raw)
        assert caught.value.field == "email"
        assert expected in caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        ("Alice", "Alice"),
        ("  Mary   Ann  ", "Mary Ann"),
        ("=HYPERLINK(\"http://evil.example\",\"x\")", "HYPERLINK(\"http://evil.example\",\"x\")"),
        ("+27 Traders", "27 Traders"),
        ("-2+3", "2+3"),
        ("@SUM(A1)", "SUM(A1)"),
        ("\t=cmd", "cmd"),
        ("\r\n= - @x", "x"),
        ("Line\nbreak", "Line break"),
        ("Bob\u202eevil", "Bobevil"),
        ("O'Brien-Smith", "O'Brien-Smith"),
        ("=", ""),
        ("", ""),
    ),
)
def test_clean_name_neutralises_formulas_and_controls(raw, expected):
    assert crm.clean_name(raw) == expected


def test_clean_name_refuses_overlong_names():
    with pytest.raises(crm.FieldError, match="longer than 200"):
        crm.clean_name("x" * 201, "first_name")


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        ("subscribed", "subscribed"),
        (" Unsubscribed ", "unsubscribed"),
        ("SPAMMED", "spammed"),
        ("", "is empty"),
        ("active", "not a FluentCRM status"),
    ),
)
def test_parse_status(raw, expected):
    if expected in crm.STATUSES:
        assert crm.parse_status(raw) == expected
    else:
        with pytest.raises(crm.FieldError, match=expected):
            crm.parse_status(raw)


@pytest.mark.parametrize(
    ("raw", "titles"),
    (
        ("A, B ,,C", ("A", "B", "C")),
        (["A, B", "C"], ("A", "B", "C")),
        ("", ()),
        ([], ()),
    ),
)
def test_split_titles(raw, titles):
    assert crm.split_titles(raw) == titles


@pytest.mark.parametrize("status", crm.STATUSES)
def test_only_subscribed_grants_sections(status):
    raw = crm.RawContact(email="a@example.com", status=status, lists=(f"{PAY}, {STORE}",))
    update = crm.contact_update(MAP, raw)
    expected = {"payments", "store-setup"} if status == "subscribed" else set()
    assert update.sections == expected


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
    with pytest.raises(crm.ExportError) as caught:
        parse(text)
    assert message in caught.value.message


def test_every_bad_row_is_reported_with_its_spreadsheet_row_number():
    text = (
        HEADER
        + f"good@example.com,Ann,,subscribed,{PAY},\n"      # row 2: fine
        + f"two@@example.com,,,subscribed,{PAY},\n"         # row 3
        + "\n"                                              # row 4: blank, skipped
        + f" sp ace@example.com ,,,subscribed,{PAY},\n"     # row 5
        + f"x@example.com,,,weird,{PAY},\n"                 # row 6
        + f"GOOD@example.com,Ann,,unsubscribed,{PAY},\n"    # row 7: conflicts with row 2
        + f"y@example.com,{'n' * 201},,subscribed,{PAY},\n" # row 8
        + f"z@example.com,,,subscribed,{PAY},,extra\n"      # row 9
        + f",,,subscribed,{PAY},\n"                         # row 10
    )
    with pytest.raises(crm.ExportError) as caught:
        parse(text)
    rows = [problem.row for problem in caught.value.problems]
    assert rows == [3, 5, 6, 7, 8, 9, 10]
    assert caught.value.message == "7 bad rows"
    shown = [str(problem) for problem in caught.value.problems]
    assert shown[0] == "row 3: email 'two@@example.com' must contain exactly one @"
    assert "contains a space" in shown[1]
    assert "row 6: status 'weird'" in shown[2]
    assert shown[3] == "row 7: good@example.com is also on row 2 with a different status"
    assert "first name is longer than 200" in shown[4]
    assert "has 7 cells but the header names 6" in shown[5]
    assert shown[6] == "row 10: email is empty"


@pytest.mark.parametrize(
    ("second", "difference"),
    (
        (f"A@example.com,Ann,,subscribed,{STORE},", "lists or tags"),
        (f"a@example.com,Anne,,subscribed,{PAY},", "name"),
        (f"a@example.com,Anne,,bounced,{PAY},", "status and name"),
    ),
)
def test_conflicting_case_duplicates_name_both_rows(second, difference):
    shown = problems(f"{HEADER}a@example.com,Ann,,subscribed,{PAY},\n{second}\n")
    assert shown == [f"row 3: a@example.com is also on row 2 with a different {difference}"]


def test_a_row_with_two_problems_reports_both():
    shown = problems(f"{HEADER}bad,,,nope,,\n")
    assert len(shown) == 2 and all(s.startswith("row 2: ") for s in shown)


def test_size_limits():
    with pytest.raises(crm.ExportError, match="more than 3 contact rows"):
        parse(HEADER + "a@example.com,,,pending,,\n" * 4, max_rows=3)
    assert len(parse(HEADER + "a@example.com,,,pending,,\n" * 3, max_rows=3).contacts) == 1
    with pytest.raises(crm.ExportError, match="larger than the limit"):
        parse(HEADER + "x" * 100, max_chars=50)


def test_the_real_limits_refuse_a_huge_file_quickly():
    row = "someone@example.com,,,pending,,\n"
    with pytest.raises(crm.ExportError, match="more than 50,000 contact rows"):
        parse(HEADER + row * (crm.MAX_ROWS + 1))
    with pytest.raises(crm.ExportError, match="the limit is 5,242,880 bytes"):
        crm.decode_export(b"x" * (crm.MAX_BYTES + 1))


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
        with pytest.raises(crm.ExportError, match=r"not UTF-8 text \(line 2\)"):
            crm.decode_export(data)
    else:
        assert crm.decode_export(data).removeprefix("\ufeff") == expected


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
    except crm.CrmError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.lists(_CSV_ALPHABET, max_size=60).map("".join))
def test_csv_like_text_only_raises_our_error(text):
    for candidate in (text, "Email,Status,Lists\n" + text):
        try:
            plan = parse(candidate)
        except crm.CrmError:
            continue
        for contact in plan.contacts:
            assert contact.email == contact.email.strip().lower()
            assert contact.name is None or not contact.name.startswith(tuple("=+-@\t\r"))
            assert contact.status == "subscribed" or not contact.sections


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_our_error(data):
    try:
        parse(crm.decode_export(data))
    except crm.CrmError:
        pass


# ---- FluentCRM as it really is (issue 16) ------------------------------------------------------

def _plan(text: str, newsletter_map=MAP) -> dict[str, tuple[str | None, set[str], str | None]]:
    """email -> (status, sections, name) of an export's plan."""
    return {c.email: (c.status, set(c.sections or ()), c.name)
            for c in crm.parse_export(text, newsletter_map).contacts}


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
        with pytest.raises(crm.CsvError, match=rows):
            list(crm.php_csv_rows(text))
    else:
        assert list(crm.php_csv_rows(text)) == rows


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=st.sampled_from(list('ab ,"\\\n\r\t\'=é')),
                                 max_size=8).filter(lambda v: not v.endswith("\\")),
                         min_size=1, max_size=4), min_size=1, max_size=4))
def test_what_fputcsv_writes_reads_back_exactly(rows):
    text = "".join(shapes.fputcsv(row) for row in rows)
    read = list(crm.php_csv_rows(text))
    assert read == rows


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        ("'-dash", "-dash"), ("'+VIP", "+VIP"), ("'=cmd", "=cmd"), ("'@x", "@x"),
        ("'\tx", "\tx"), ("'\rx", "\rx"),
        ("'plain", "'plain"), ("O'Neil", "O'Neil"), ("''-x", "''-x"), ("", ""),
    ),
)
def test_unprefix_removes_only_the_exporters_quote(raw, expected):
    assert crm.unprefix(raw) == expected


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
    assert crm.COLUMN_ALIASES.get(crm._header_key(header)) == column


def test_the_exporters_quote_is_removed_from_emails_names_and_titles():
    vip = parse_map(shapes.VIP_MAP)
    plan = _plan((DATA / "fluentcrm_export_de.csv").read_text(encoding="utf-8"), vip)
    assert plan["vip@example.com"] == ("subscribed", {"vip"}, "Vera")
    assert "'-dash@example.com" not in plan and "-dash@example.com" in plan


@pytest.mark.parametrize(
    ("body", "expected"),
    (
        # the default "Full Subscriber Data (Raw)" body: status only (item 1)
        (shapes.raw_body(shapes.EDGE[0]), ("subscribed", None, set(), set())),
        (shapes.raw_body(shapes.EDGE[3]), ("unsubscribed", set(), set(), set())),
        # a Custom Data body sets the sections exactly
        (shapes.custom_body(shapes.EDGE[1]), ("subscribed", {"store-setup"}, set(), set())),
        (shapes.custom_body(shapes.Contact(9, "a@example.com", lists=("Other",))),
         ("subscribed", set(), set(), set())),
        # event bodies change one list's or tag's sections (item 2)
        ({"email": "a@example.com", "event": "list_applied", "list": PAY},
         (None, None, {"payments"}, set())),
        ({"email": "a@example.com", "event": "List_Removed", "list": PAY},
         (None, None, set(), {"payments"})),
        ({"email": "a@example.com", "event": "tag_removed", "tag": PAY},
         (None, None, set(), set())),
        ({"email": "a@example.com", "event": "list_applied", "list": PAY, "status": "bounced"},
         ("bounced", set(), set(), set())),
        ({"email": "a@example.com", "event": "list_applied", "list": PAY,
          "status": "subscribed"}, ("subscribed", None, {"payments"}, set())),
    ),
)
def test_webhook_bodies(body, expected):
    update = crm.webhook_update(MAP, body)
    sections = None if update.sections is None else set(update.sections)
    assert (update.status, sections, set(update.add), set(update.remove)) == expected


@pytest.mark.parametrize(
    ("body", "error", "field", "words"),
    (
        # the smartcode typo {{contact.lists}} renders "" (item 3)
        (shapes.custom_body(shapes.EDGE[1], {**shapes.CUSTOM_DATA, "lists": "{{contact.lists}}",
                                             "tags": "{{contact.tags}}"}),
         crm.SmartcodeError, "lists", "{{contact.lists.title}}"),
        ({"email": "a@example.com", "status": "subscribed", "lists": ""},
         crm.SmartcodeError, "lists", "empty"),
        ({"email": "a@example.com", "event": "list_joined", "list": PAY},
         crm.FieldError, "event", "list_applied"),
        ({"email": "a@example.com", "event": "tag_applied", "list": PAY},
         crm.FieldError, "tag", "is required"),
        ({"event": "list_applied", "list": PAY}, crm.FieldError, "email", "is required"),
        ({"email": "a@example.com", "status": "subscribed", "lists": [{"title": PAY}]},
         crm.FieldError, "lists", "comma-separated titles"),
    ),
)
def test_bad_webhook_bodies(body, error, field, words):
    with pytest.raises(error) as caught:
        crm.webhook_update(MAP, body)
    assert type(caught.value) is error
    assert caught.value.field == field and words in caught.value.message


@pytest.mark.parametrize(
    "lists", ("Online Sales FAQ: Payments, '+VIP", "''+VIP, Online Sales FAQ: Payments", " , "),
)
def test_the_webhook_and_the_export_read_titles_alike(lists):
    vip = parse_map(shapes.VIP_MAP)
    raw = crm.RawContact(email="a@example.com", status="subscribed", lists=(lists,),
                         tags=(lists,))
    from_export = crm.contact_update(vip, raw).sections
    try:
        from_webhook = crm.webhook_update(vip, {"email": "a@example.com",
                                                "status": "subscribed", "lists": lists,
                                                "tags": lists}).sections
    except crm.SmartcodeError:
        from_webhook = frozenset()
    assert from_webhook == from_export


def test_an_unsubscribed_body_with_empty_lists_is_not_a_smartcode_mistake():
    body = {"email": "a@example.com", "status": "unsubscribed", "lists": "", "tags": ""}
    assert crm.webhook_update(MAP, body).sections == frozenset()
