"""Helpers shared by the security and fault suites."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest


def has_module(name: str) -> bool:
    """True when the gate part ``name`` (``gate.accounts.routes``, say) exists in this tree."""
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


_CSRF = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


def csrf_token(client, path: str) -> str:
    """The CSRF token of the form served at ``path`` (a GET through ``client``)."""
    response = client.get(path, headers={"Accept": "text/html"})
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, (path, response.status_code, response.get_data()[:300])
    return match.group(1) or match.group(2)


def post_form(client, path: str, data: dict, *, form_path: str | None = None, **kwargs):
    """POST ``data`` to ``path`` with the CSRF token of the form at ``form_path`` (or path)."""
    token = csrf_token(client, form_path or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def sign_in(client, email: str, password: str, **fields):
    """Post the real sign-in form (extra fields: ``next``, ``remember``)."""
    return post_form(client, "/auth/login", {"email": email, "password": password, **fields})


def confirm_link(client, token: str, csrf: str | None = None):
    """Post the one-time link's confirmation form, as the button does."""
    csrf = csrf or csrf_token(client, f"/auth/link/{token}")
    return client.post(f"/auth/link/{token}", data={"csrf_token": csrf})


def is_signed_in(client) -> bool:
    """True when ``client`` is signed in (a background request to /members/ is not a 401)."""
    response = client.get("/members/", headers={"Accept": "application/json",
                                                "X-Requested-With": "XMLHttpRequest"})
    assert response.status_code < 500, response.get_data()[:300]
    return response.status_code != 401


def cookie(client, name_part: str):
    """The first cookie of ``client`` whose name contains ``name_part``, or None."""
    for item in client._cookies.values():  # noqa: SLF001 - Werkzeug's cookie store
        if name_part in item.key:
            return item
    return None


def set_cookie_headers(response, name_part: str) -> list[str]:
    """The Set-Cookie header values of ``response`` for cookies named like ``name_part``."""
    return [v for v in response.headers.getlist("Set-Cookie") if name_part in v.split("=")[0]]


def copy_restricted(target: Path) -> Path:
    """A writable copy of the project's restricted/ folder at ``target``."""
    import shutil

    from tests.conftest import ROOT

    shutil.copytree(ROOT / "restricted", target)
    return target
