"""Helpers shared by the security and fault suites."""

from __future__ import annotations

import importlib.util

import pytest


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
