"""The ASVS index: which test checks which requirement, wherever the test lives.

A security test lives beside the module it tests (``tests/accounts/test_sessions.py`` for
sessions) and carries ``@pytest.mark.asvs("...")``; ``tests/security`` keeps only the tests
that cross modules (access, fuzzing, headers, inputs) and this index. ``INDEX`` points at every
marked test outside this folder; ``test_index.py`` fails when it and the markers disagree.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent

INDEX: dict[str, tuple[str, ...]] = {
    "3.3.1 cookie attributes": ("accounts/test_sessions.py::test_asvs_3_3_1_cookie_attributes",),
    "3.5.3 a GET of a link changes nothing": (
        "accounts/test_routes_links.py::test_asvs_3_5_3_get_or_head_of_a_link_does_not_consume_it",
    ),
    "3.7.2 next stays on this site": (
        "accounts/test_routes_signin.py::test_next_never_leaves_the_site",
    ),
    "4.1.3 no spoofed host in mail": (
        "accounts/test_routes_links.py::test_asvs_4_1_3_a_spoofed_host_never_reaches_an_emailed_link",
    ),
    "[4.2.2] CSRF": (
        "accounts/test_routes_signin.py::test_asvs_4_2_2_a_form_post_without_a_valid_csrf_token_is_400",
    ),
    "6.2.8 oversized passwords": (
        "accounts/test_routes_signin.py::test_bad_or_oversized_input_is_refused_before_hashing",
    ),
    "6.2.9 long and unicode passwords": (
        "accounts/test_routes_signin.py::"
        "test_asvs_6_2_9_long_and_unicode_passwords_work_and_are_not_truncated",
    ),
    "6.3.1 rate limits": (
        "accounts/test_pages.py::test_every_attempt_counts_per_ip",
        "accounts/test_pages.py::test_failures_count_per_account_before_hashing",
        "accounts/test_pages.py::test_link_requests_are_limited_per_email_and_ip",
        "accounts/test_pages.py::test_nobody_can_lock_a_chosen_user_out",
    ),
    "6.3.8 no account enumeration": (
        "accounts/test_routes_signin.py::test_wrong_password_and_unknown_email_look_the_same",
        "accounts/test_routes_signin.py::test_asvs_6_3_8_every_failed_sign_in_costs_one_hash",
        "accounts/test_routes_links.py::test_known_and_unknown_addresses_get_the_same_answer",
    ),
    "6.5.1 a link works once": (
        "accounts/test_routes_links.py::"
        "test_asvs_6_5_1_a_link_redeemed_twice_in_sequence_gives_one_session",
    ),
    "7.2.4 a new session id at sign-in": (
        "accounts/test_sessions.py::test_asvs_7_2_4_the_session_cookie_changes_at_sign_in",
    ),
    "7.3.1 / 7.3.2 idle and absolute lifetimes": (
        "accounts/test_sessions.py::test_idle_and_absolute_lifetimes",
    ),
    "7.4.1 ended sessions": (
        "accounts/test_sessions.py::test_revocation_takes_effect_on_the_next_request",
    ),
    "8.3.2 changed access applies at once": (
        "accounts/test_sessions.py::test_grant_changes_apply_on_the_next_request",
        "accounts/test_routes_links.py::test_a_removed_subscriber_cannot_use_a_link_sent_before",
    ),
    "9.1.1 tampered cookies": (
        "accounts/test_sessions.py::test_asvs_9_1_1_a_tampered_cookie_is_anonymous_never_an_error",
    ),
    "9.2.1 token lifetimes, purposes and keys": (
        "accounts/test_tokens.py::test_lifetimes",
        "accounts/test_tokens.py::test_a_token_is_bound_to_its_purpose",
        "accounts/test_tokens.py::test_a_token_signed_with_another_key_is_invalid",
    ),
    "9.2.2 tampered tokens": (
        "accounts/test_tokens.py::test_asvs_9_2_2_a_tampered_token_is_invalid",
    ),
    "15.4.2 concurrent redemptions": (
        "accounts/test_routes_links.py::"
        "test_asvs_15_4_2_ten_concurrent_redemptions_give_exactly_one_session",
    ),
    "16.2.5 no tokens in logs": (
        "accounts/test_routes_links.py::test_tokens_never_reach_the_logs_in_production",
    ),
}


def marked_tests(folder: str) -> set[str]:
    """``path::name`` of every test function under ``folder`` with an ``asvs`` marker."""
    found = set()
    for path in sorted((TESTS / folder).glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                "asvs" in ast.unparse(d) for d in node.decorator_list
            ):
                found.add(f"{path.relative_to(TESTS).as_posix()}::{node.name}")
    return found
