"""FluentCRM's REST API: every contact with its lists and tags, or one contact by email.

The API lives on the WordPress site (``FLUENTCRM_API_URL``) under ``/wp-json/fluent-crm/v2``
and takes HTTP Basic auth with a WordPress application password of a FluentCRM manager
(``FLUENTCRM_API_USER``, ``FLUENTCRM_API_PASSWORD``). Shapes, as FluentCRM answers them:

- ``GET /subscribers?page=N&per_page=M`` answers ``{"subscribers": {"current_page",
  "last_page", "per_page", "total", "data": [contact, ...]}}`` (the documented example shows
  the paginator itself at the top level; both are read). Every contact carries ``email``,
  ``status``, ``first_name``, ``last_name`` and its ``lists`` and ``tags`` as objects with a
  ``title`` (fluent-crm app/Http/Controllers/SubscriberController.php, ``index``; the REST
  API docs, source/includes/_contacts.md, "Get All Contacts").
- ``GET /subscribers/0?get_by_email=EMAIL`` answers ``{"subscriber": contact}`` (``show``).
- Bad credentials: 401 (WordPress' REST API), a user without FluentCRM access: 403.

Contacts become :class:`gate.RawContact` and go through the same checks as an export's
rows. Any failure (unreachable, refused, not JSON, an unexpected shape) is an
:class:`ApiError` with one line saying why, raised before anything is changed. Redirects are
refused rather than followed, so the credentials never travel to another address.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import IO, Any

from gate.config import ConfigError, is_production
from gate.exceptions import GateError
from gate.newsletter.fields import RawContact
from gate.newsletter.plan import Entry, RowProblem

API_PATH = "/wp-json/fluent-crm/v2"
PAGE_SIZE = 100
MAX_PAGES = 10_000
MAX_ANSWER_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 20.0


class ApiError(GateError, RuntimeError):
    """FluentCRM's REST API could not be used; the message is one line saying why.

    ``status`` is the HTTP status FluentCRM answered with (None when there was no answer).
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ApiSettings:
    """Where the API is and how to sign in to it."""

    base: str
    user: str
    password: str
    timeout: float = DEFAULT_TIMEOUT


def _is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (plain HTTP is fine to those)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_from(config: Mapping[str, Any]) -> ApiSettings | None:
    """The API settings of a configuration; None when ``FLUENTCRM_API_URL`` is unset.

    Raises :class:`gate.config.ConfigError` for a URL that is not http(s), missing
    credentials, or plain HTTP to another machine in production.
    """
    url = str(config.get("FLUENTCRM_API_URL") or "").strip().rstrip("/")
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"FLUENTCRM_API_URL={url!r} must be the WordPress site's "
                          "address, such as https://crm.example.com")
    if parts.scheme == "http" and is_production(config) and not _is_loopback(parts.hostname):
        raise ConfigError("FLUENTCRM_API_URL must use https:// in production (the API "
                          "password would travel in clear text)")
    user = str(config.get("FLUENTCRM_API_USER") or "")
    password = str(config.get("FLUENTCRM_API_PASSWORD") or "")
    if not user or not password:
        raise ConfigError("FLUENTCRM_API_URL is set: FLUENTCRM_API_USER and "
                          "FLUENTCRM_API_PASSWORD are needed too")
    try:
        timeout = float(config.get("FLUENTCRM_API_TIMEOUT") or DEFAULT_TIMEOUT)
    except (TypeError, ValueError):
        raise ConfigError("FLUENTCRM_API_TIMEOUT must be a number of seconds") from None
    base = url if url.endswith(API_PATH) else url + API_PATH
    return ApiSettings(base=base, user=user, password=password, timeout=timeout)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the Authorization header must never go to another address."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        """Answer None, so urllib raises the 3xx as an HTTPError."""
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _refusal(exc: urllib.error.HTTPError, url: str) -> ApiError:
    """The one-line error for an HTTP error status."""
    if exc.code in (401, 403):
        return ApiError(f"FluentCRM refused the credentials (HTTP {exc.code} from {url}): check "
                        "FLUENTCRM_API_USER and FLUENTCRM_API_PASSWORD (an application "
                        "password of a FluentCRM manager)", exc.code)
    if 300 <= exc.code < 400:
        where = exc.headers.get("Location", "another address") if exc.headers else "elsewhere"
        return ApiError(f"FluentCRM's API at {url} redirects to {where}: set "
                        "FLUENTCRM_API_URL to the final address", exc.code)
    if exc.code == 404:
        return ApiError(f"no FluentCRM REST API at {url} (HTTP 404): check FLUENTCRM_API_URL "
                        "and that FluentCRM is active on that site", exc.code)
    return ApiError(f"FluentCRM's API answered HTTP {exc.code} at {url}", exc.code)


class FluentCrmApi:
    """A small client of FluentCRM's REST API (read only)."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        token = f"{settings.user}:{settings.password}".encode()
        self._headers = {
            "Authorization": "Basic " + base64.b64encode(token).decode("ascii"),
            "Accept": "application/json",
            "User-Agent": "sop-portal (FluentCRM sync)",
        }

    def get(self, path: str, query: Mapping[str, str | int]) -> Any:
        """The decoded JSON answer of ``GET <base><path>?<query>``, or :class:`ApiError`."""
        url = f"{self.settings.base}{path}?{urllib.parse.urlencode(query)}"
        shown = f"{self.settings.base}{path}"
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with _OPENER.open(request, timeout=self.settings.timeout) as answer:
                body = answer.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            with exc:  # the error holds the open answer
                raise _refusal(exc, shown) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, socket.timeout | TimeoutError):
                reason = f"no answer within {self.settings.timeout:g} s"
            raise ApiError(f"cannot reach FluentCRM at {shown}: {reason}") from None
        if len(body) > MAX_ANSWER_BYTES:
            raise ApiError(f"FluentCRM's answer from {shown} is larger than "
                           f"{MAX_ANSWER_BYTES:,} bytes")
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ApiError(f"FluentCRM's answer from {shown} is not JSON: is "
                           "FLUENTCRM_API_URL the WordPress site?") from None

    def pages(self, per_page: int = PAGE_SIZE) -> Iterator[list[Any]]:
        """Every page of contacts (with their lists and tags), oldest contact first.

        When the number of contacts changes between pages (a contact added or deleted while
        they are read), a contact may have moved across a page boundary unseen: that is an
        :class:`ApiError` too, so a prune never acts on an incomplete picture.
        """
        page, last, total = 1, 1, None
        while page <= last:
            if page > MAX_PAGES:
                raise ApiError(f"FluentCRM reports more than {MAX_PAGES:,} pages of contacts")
            answer = self.get("/subscribers", {
                "page": page, "per_page": per_page, "sort_by": "id", "sort_type": "ASC",
            })
            paginator = _paginator(answer, page)
            total = _same_total(total, paginator.get("total"))
            yield paginator["data"]
            if not paginator["data"]:
                return
            last_page = str(paginator.get("last_page", page))
            last = int(last_page) if last_page.isdigit() else page
            page += 1

    def contacts(self, per_page: int = PAGE_SIZE) -> list[Entry]:
        """Every contact as (place, raw contact or its problem), read before any change."""
        return [raw_contact(item) for data in self.pages(per_page) for item in data]

    def contact(self, email: str) -> RawContact | None:
        """One contact by email (None when FluentCRM has no such contact)."""
        try:
            answer = self.get("/subscribers/0", {"get_by_email": email})
        except ApiError as exc:
            if exc.status in (404, 422):  # FluentCRM's "Subscriber not found"
                return None
            raise
        item = answer.get("subscriber") if isinstance(answer, dict) else None
        if not isinstance(item, dict):
            return None
        place, found = raw_contact(item)
        if isinstance(found, RowProblem):
            raise ApiError(f"FluentCRM's answer for {place} has an unexpected shape")
        return found


def _paginator(answer: Any, page: int) -> dict[str, Any]:
    """The paginator of a contacts answer (``{"subscribers": {...}}`` or the paginator itself),
    with a ``data`` list; ApiError for any other shape."""
    paginator = answer.get("subscribers", answer) if isinstance(answer, dict) else None
    if not isinstance(paginator, dict) or not isinstance(paginator.get("data"), list):
        raise ApiError("FluentCRM's contacts answer has an unexpected shape (no "
                       f"subscribers.data list on page {page})")
    return paginator


def _same_total(first: Any, now: Any) -> Any:
    """The contacts total of the first page; ApiError when a later page reports another."""
    if first is not None and now is not None and str(first) != str(now):
        raise ApiError(f"FluentCRM's contacts changed while they were read ({first} then "
                       f"{now} contacts): run the sync again")
    return now if first is None else first


def _titles(value: Any) -> tuple[str, ...] | None:
    """The titles of a contact's ``lists`` or ``tags`` (objects with a ``title``)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        return None
    titles = [item.get("title") if isinstance(item, dict) else None for item in value]
    found = tuple(title for title in titles if isinstance(title, str))
    return found if len(found) == len(titles) else None


def _optional_text(value: Any) -> str | None:
    """A name field: text, or None for null and anything else."""
    return value if isinstance(value, str) else None


def raw_contact(item: Any) -> Entry:
    """One contact of an answer as (place, raw contact), or (place, its problem)."""
    if not isinstance(item, dict):
        return "a contact", RowProblem(None, "is not an object", "a contact")
    place = f"contact {item.get('id', '?')}"
    lists, tags = _titles(item.get("lists")), _titles(item.get("tags"))
    if lists is None or tags is None:
        return place, RowProblem(None, "lists or tags without titles", place)
    email, status = item.get("email"), item.get("status")
    return place, RawContact(
        email=email if isinstance(email, str) else None,
        status=status if isinstance(status, str) else None,
        lists=lists, tags=tags,
        first_name=_optional_text(item.get("first_name")),
        last_name=_optional_text(item.get("last_name")),
    )
