"""Fixtures and rules of the security suite (one file per area of ../shared/SECURITY.md).

Tests of one module live beside it (tests/accounts/...) with their ASVS marker;
:mod:`tests.security.index` lists them by requirement.

Every test here carries ``@pytest.mark.asvs("...")`` naming the OWASP ASVS 5.0 requirement
(4.0.3 in brackets) it checks; collection fails for a test that does not.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a security test that does not name its ASVS requirement."""
    missing = [
        item.nodeid for item in items
        if "/tests/security/" in str(item.path).replace("\\", "/")
        and item.get_closest_marker("asvs") is None
    ]
    if missing:
        raise pytest.UsageError("security tests without an asvs marker: " + ", ".join(missing))


