"""One contact's values: emails, names, statuses, titles and the exporter's quote."""

from __future__ import annotations

import pytest

from gate.newsletter import fields
from tests.newsletter.helpers import MAP, PAY, STORE


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
        assert fields.normalise_email(raw) == expected
    else:
        with pytest.raises(fields.FieldError) as caught:
            fields.normalise_email(raw)
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
    assert fields.clean_name(raw) == expected


def test_clean_name_refuses_overlong_names():
    with pytest.raises(fields.FieldError, match="longer than 200"):
        fields.clean_name("x" * 201, "first_name")


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
    if expected in fields.STATUSES:
        assert fields.parse_status(raw) == expected
    else:
        with pytest.raises(fields.FieldError, match=expected):
            fields.parse_status(raw)


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
    assert fields.split_titles(raw) == titles


@pytest.mark.parametrize("status", fields.STATUSES)
def test_only_subscribed_grants_sections(status):
    raw = fields.RawContact(email="a@example.com", status=status, lists=(f"{PAY}, {STORE}",))
    update = fields.contact_update(MAP, raw)
    expected = {"payments", "store-setup"} if status == "subscribed" else set()
    assert update.sections == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        ("'-dash", "-dash"), ("'+VIP", "+VIP"), ("'=cmd", "=cmd"), ("'@x", "@x"),
        ("'\tx", "\tx"), ("'\rx", "\rx"),
        ("'plain", "'plain"), ("O'Neil", "O'Neil"), ("''-x", "''-x"), ("", ""),
    ),
)
def test_unprefix_removes_only_the_exporters_quote(raw, expected):
    assert fields.unprefix(raw) == expected
