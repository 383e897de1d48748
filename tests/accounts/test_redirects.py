"""A ``next`` target can never leave the site, in any spelling (gate.accounts.redirects)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.accounts.redirects import safe_next

D = "/members/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/members/", "/members/"),
        ("/members/clients/onboarding?x=1#top", "/members/clients/onboarding?x=1#top"),
        ("/sops/billing/", "/sops/billing/"),
        ("/members/a%20b", "/members/a%20b"),
        ("/@evil.example", "/@evil.example"),  # a path on this site, not userinfo
        # off-site spellings
        ("//evil.example", D),
        ("///evil.example", D),
        ("/\\evil.example", D),
        ("\\\\evil.example", D),
        ("\\/evil.example", D),
        ("https:evil.example", D),
        ("https://evil.example/", D),
        ("HTTPS://evil.example/", D),
        ("https://good.example@evil.example/", D),
        ("//user:pass@evil.example", D),
        ("%2F%2Fevil.example", D),
        ("%2f%2fevil.example", D),
        ("/%2F/evil.example", D),
        ("/%5Cevil.example", D),
        ("/%5cevil.example", D),
        ("%5C%5Cevil.example", D),
        ("%252F%252Fevil.example", D),
        ("/%252F/evil.example", D),
        ("/\t/evil.example", D),
        ("\t//evil.example", D),
        ("/%09/evil.example", D),
        ("/\n/evil.example", D),
        ("/\r\n/evil.example", D),
        (" //evil.example", D),
        ("/\x00/evil.example", D),
        ("javascript:alert(1)", D),
        ("JaVaScRiPt:alert(1)", D),
        ("java\tscript:alert(1)", D),
        ("data:text/html,<script>alert(1)</script>", D),
        ("evil.example", D),
        ("members/", D),
        ("/auth/login", D),
        ("/auth/logout", D),
        ("/auth/account", "/auth/account"),  # pages worth coming back to after sign-in
        ("/auth/request-access?wanted=x", "/auth/request-access?wanted=x"),
        ("/auth/accounts", D),
        ("/auth/account/../login", D),
        ("/%ff%fe", D),  # not UTF-8 once decoded
        ("/" + "a" * 3000, D),
        # bad input
        ("", D),
        (None, D),
        (42, D),
        (["/members/"], D),
    ],
)
def test_safe_next(value, expected):
    assert safe_next(value, default=D) == expected


@given(st.text(max_size=60))
def test_any_text_stays_on_the_site(value):
    result = safe_next(value, default=D)
    resolved = urlsplit(urljoin("https://portal.example/auth/login", result.replace("\\", "/")))
    assert resolved.scheme == "https"
    assert resolved.netloc == "portal.example"
    assert not any(ord(c) < 32 for c in result)


@given(st.sampled_from(["//", "/\\", "\\\\", "%2F%2F", "/%5C", "/\t/", "https:", "javascript:"]),
       st.text(max_size=20))
def test_hostile_prefixes_always_fall_back(prefix, rest):
    assert safe_next(prefix + "evil.example" + rest, default=D) == D
