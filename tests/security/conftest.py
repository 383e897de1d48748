"""Fixtures and rules of the security suite (one file per area of ../shared/SECURITY.md).

Every test here carries ``@pytest.mark.asvs("...")`` naming the OWASP ASVS 5.0 requirement
(4.0.3 in brackets) it checks; collection fails for a test that does not.
"""

from __future__ import annotations

import importlib.util

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


def has_module(name: str) -> bool:
    """True when the gate part ``name`` (for example ``gate.auth``) exists in this tree."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def needs(*modules: str) -> pytest.MarkDecorator:
    """Skip until the named gate parts exist (they are built in parallel)."""
    missing = [m for m in modules if not has_module(m)]
    return pytest.mark.skipif(bool(missing), reason=f"not in this tree yet: {missing}")


def assert_clean(response, *, allowed: tuple[int, ...] = ()) -> None:
    """No 5xx and no traceback, whatever the input."""
    body = response.get_data()
    assert response.status_code < 500, (response.status_code, body[:300])
    assert b"Traceback" not in body
    if allowed:
        assert response.status_code in allowed, (response.status_code, body[:300])
