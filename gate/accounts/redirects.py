"""Safe ``next`` targets: only a path on this site, in every spelling a browser might read.

Pure: no Flask. A candidate is refused unless it and each of its percent-decoded forms is an
absolute path (``/...``) that cannot turn into a scheme-relative or absolute URL once a browser
turns backslashes into slashes and drops tabs and newlines. Refused candidates give the default.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2048
_MAX_DECODE_ROUNDS = 4
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
RETURN_PAGES = frozenset({"/auth/account", "/auth/password", "/auth/request-access"})
"""Pages under ``/auth/`` that are worth coming back to after signing in."""


def _decoded_forms(value: str) -> list[str]:
    forms = [value]
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = unquote(forms[-1], errors="strict")
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return forms


def _is_local_path(form: str) -> bool:
    if _CONTROL.search(form) or form != form.strip():
        return False
    browser_form = form.replace("\\", "/")
    if not browser_form.startswith("/") or browser_form.startswith("//"):
        return False
    parts = urlsplit(browser_form)
    return not parts.scheme and not parts.netloc


def safe_next(value: object, default: str = "/") -> str:
    """``value`` when it is a path on this site, else ``default``.

    ``//evil``, ``/\\evil``, ``https:evil``, ``%2F%2Fevil``, ``/%5Cevil``, tab and newline
    forms, ``javascript:`` and overlong values all give ``default``; so do paths under
    ``/auth/`` (a sign-in page is never a useful place to return to) but
    :data:`RETURN_PAGES`.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return default
    try:
        forms = _decoded_forms(value)
    except UnicodeDecodeError:
        return default
    if not all(_is_local_path(form) for form in forms):
        return default
    last = forms[-1].replace("\\", "/")
    if last.startswith("/auth/") and urlsplit(last).path not in RETURN_PAGES:
        return default
    return value
