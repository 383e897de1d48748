"""FluentCRM's own output formats, rebuilt from its source, so tests send what FluentCRM sends.

Each function names the source file whose behaviour it reproduces. They are written from
reading those files, not copied. Versions read:

- FluentCRM 2.9.84: github.com/FluentCRM/fluent-crm (free plugin: models, smartcode parser,
  REST controllers, the CSV library's settings);
- FluentCRM Pro 2.8.45: ``fluentcampaign-pro`` (mirrored at github.com/kitfunnel/
  fluentcampaign-pro): the exporter, the Outgoing Webhook action, the translations;
- PHP's ``fputcsv`` (php-src ext/standard/file.c, ``php_fputcsv``), ``json_encode`` and
  ``http_build_query`` with their default flags;
- the REST API docs: github.com/FluentCRM/rest-api-doc, source/includes/_contacts.md.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PAY = "Online Sales FAQ: Payments"
STORE = "Online Sales FAQ: Store Setup"


@dataclass(frozen=True)
class Contact:
    """One row of ``wp_fc_subscribers`` with its lists and tags (titles).

    Columns: fluent-crm database/migrations/Subscribers.php.
    """

    id: int
    email: str
    status: str = "subscribed"
    first_name: str | None = None
    last_name: str | None = None
    prefix: str | None = None
    phone: str | None = None
    contact_type: str = "lead"
    created_at: str = "2025-03-01 09:12:00"
    lists: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())


# The exporter's column map, in its order (the export keeps this order whatever the user
# ticks): fluentcampaign-pro app/Hooks/Handlers/DataExporter.php, contactColumnMaps().
EXPORT_COLUMNS = (
    ("id", "ID"), ("prefix", "Title"), ("first_name", "First Name"),
    ("last_name", "Last Name"), ("email", "Email"), ("phone", "Phone"), ("status", "Status"),
    ("contact_type", "Contact Type"), ("created_at", "Created At"), ("lists", "Lists"),
    ("tags", "Tags"),
)
# The same labels translated: fluentcampaign-pro languages/fluentcampaign-pro-<locale>.po
# (msgstr of each msgid above; the French "Courriel " keeps its trailing space).
TRANSLATED_LABELS = {
    "de": {"ID": "ID", "Title": "Titel", "First Name": "Vorname", "Last Name": "Nachname",
           "Email": "E-Mail", "Phone": "Telefon", "Status": "Status",
           "Contact Type": "Kontakttyp", "Created At": "Erstellt am", "Lists": "Listen",
           "Tags": "Schlüsselwörter"},
    "fr": {"ID": "ID", "Title": "Titre", "First Name": "Prénom", "Last Name": "Nom",
           "Email": "Courriel ", "Phone": "Téléphone", "Status": "Statut",
           "Contact Type": "Type de contact", "Created At": "Créé à", "Lists": "Listes",
           "Tags": "Tags"},
    "es": {"ID": "ID", "Title": "Título", "First Name": "Nombre", "Last Name": "Apellido",
           "Email": "Envíe un correo electrónico a", "Phone": "Teléfono",
           "Status": "Estatus", "Contact Type": "Tipo de contacto", "Created At": "Creado en",
           "Lists": "Listas", "Tags": "Etiquetas"},
}


def sanitize_for_csv(value: str) -> str:
    """A ``'`` before a value starting with ``= - + @``, tab or CR.

    fluentcampaign-pro app/Hooks/Handlers/DataExporter.php, sanitizeForCSV().
    """
    return "'" + value if value.startswith(("=", "-", "+", "@", "\t", "\r")) else value


def fputcsv(values: Iterable[str]) -> str:
    """One line as PHP's ``fputcsv`` writes it with FluentCRM's CSV settings.

    Settings: ``,`` ``"`` and escape ``\\`` (fluent-crm app/Services/Libs/csv/src/Config/
    Controls.php), line end ``\\n``, no BOM (League\\Csv Writer::insertOne). Quoting: php-src
    ext/standard/file.c, php_fputcsv(): a value holding ``, " \\ \\n \\r \\t`` or a space is
    quoted; inside, a quote is doubled unless a backslash came before it.
    """
    cells = []
    for value in values:
        if not any(ch in value for ch in ',"\\\n\r\t '):
            cells.append(value)
            continue
        out, escaped = ['"'], False
        for ch in value:
            if ch == "\\":
                escaped = True
            elif not escaped and ch == '"':
                out.append('"')
            else:
                escaped = False
            out.append(ch)
        out.append('"')
        cells.append("".join(out))
    return ",".join(cells) + "\n"


def _export_value(contact: Contact, column: str) -> str:
    """One cell as the exporter fills it: titles sanitised one by one and joined by ", "."""
    if column in ("lists", "tags"):
        return ", ".join(sanitize_for_csv(title) for title in getattr(contact, column))
    value = getattr(contact, column)
    return "" if value is None else sanitize_for_csv(str(value))


def export_csv(
    contacts: Iterable[Contact],
    columns: Sequence[str] = ("id", "first_name", "last_name", "email", "status", "lists",
                              "tags"),
    language: str = "en",
) -> str:
    """A contacts export: fluentcampaign-pro app/Hooks/Handlers/DataExporter.php,
    exportContacts() (the ticked columns in the column map's order, translated labels)."""
    chosen = [(key, label) for key, label in EXPORT_COLUMNS if key in columns]
    labels = TRANSLATED_LABELS.get(language, {})
    text = fputcsv(labels.get(label, label) for _, label in chosen)
    for contact in contacts:
        text += fputcsv(_export_value(contact, key) for key, _ in chosen)
    return text


def raw_body(contact: Contact) -> dict[str, Any]:
    """The Outgoing Webhook's default body, "Full Subscriber Data (Raw)".

    fluentcampaign-pro app/Services/Funnel/Actions/HTTPSendDataAction.php, handle(): a fresh
    ``Subscriber::find()`` (no lists or tags loaded) ``->toArray()`` plus ``custom_field``;
    the attributes are the table's columns (database/migrations/Subscribers.php) as wpdb
    returns them (text), plus the model's appends ``full_name`` and ``photo``
    (app/Models/Subscriber.php).
    """
    full = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    return {
        "id": str(contact.id), "user_id": None, "hash": "5acfbfb0e8135fe5a1e36bb40d90ad69",
        "contact_owner": None, "company_id": None, "prefix": contact.prefix,
        "first_name": contact.first_name, "last_name": contact.last_name,
        "email": contact.email, "timezone": None, "address_line_1": None,
        "address_line_2": None, "postal_code": None, "city": None, "state": None,
        "country": None, "ip": None, "latitude": None, "longitude": None,
        "total_points": "0", "life_time_value": "0", "phone": contact.phone,
        "status": contact.status, "contact_type": contact.contact_type, "source": "web",
        "avatar": None, "date_of_birth": None, "created_at": contact.created_at,
        "last_activity": None, "updated_at": contact.created_at, "full_name": full,
        "photo": "https://www.gravatar.com/avatar/5acfbfb0e8135fe5a1e36bb40d90ad69?s=128",
        "custom_field": {"company_size": "2-10"},
    }


def smartcode(template: str, contact: Contact) -> str:
    """``{{contact.<key>}}`` rendered as FluentCRM renders it.

    fluent-crm app/Services/Libs/Parser/ShortcodeParser.php, getSubscriberValue(): one key
    reads the contact's attribute (``""`` when empty or unknown, ``{{contact.lists}}``
    included: lists are not attributes); ``lists.<property>`` and ``tags.<property>`` join
    that property of each list or tag with ", "; anything else renders as ``""``.
    """
    inner = template.strip().removeprefix("{{").removesuffix("}}").strip()
    scope, _, key = inner.partition(".")
    if scope != "contact":
        return ""
    parts = key.split(".")
    if len(parts) == 1:
        value = getattr(contact, parts[0], None) if parts[0] in raw_body(contact) else None
        return "" if not value else str(value)
    if parts[0] in ("lists", "tags") and parts[1] == "title":
        return ", ".join(getattr(contact, parts[0]))
    return ""


# The Custom Data body the README tells you to set up.
CUSTOM_DATA = {
    "email": "{{contact.email}}", "status": "{{contact.status}}",
    "first_name": "{{contact.first_name}}", "last_name": "{{contact.last_name}}",
    "lists": "{{contact.lists.title}}", "tags": "{{contact.tags.title}}",
}


def custom_body(contact: Contact, mapping: Mapping[str, str] = CUSTOM_DATA) -> dict[str, str]:
    """A "Custom Data" body: each Data Value rendered (HTTPSendDataAction.php, handle();
    rows with an empty key or value are skipped)."""
    return {key: smartcode(value, contact) for key, value in mapping.items() if key and value}


def json_encode(body: Mapping[str, Any]) -> bytes:
    """PHP's ``json_encode`` with default flags: ``\\/`` for ``/``, ``\\uXXXX`` for non-ASCII
    (the action's "Send as JSON format", runRequestProcess())."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


def _query_pairs(value: Any, prefix: str) -> list[tuple[str, str]]:
    """``http_build_query``'s pairs: nulls left out, arrays as ``key[sub]``, booleans 1/0."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [pair for key, item in value.items()
                for pair in _query_pairs(item, f"{prefix}[{key}]")]
    if isinstance(value, bool):
        return [(prefix, "1" if value else "0")]
    return [(prefix, str(value))]


def http_build_query(body: Mapping[str, Any]) -> str:
    """The action's "Send as Form Method" body: WordPress' ``wp_remote_request`` encodes an
    array body with PHP's ``http_build_query`` (``urlencode``: spaces as ``+``)."""
    pairs = [pair for key, value in body.items() for pair in _query_pairs(value, key)]
    return "&".join(f"{urllib.parse.quote_plus(k, safe='')}={urllib.parse.quote_plus(v, safe='')}"
                    .replace("~", "%7E") for k, v in pairs)


def _term(kind: str, number: int, title: str, contact: Contact) -> dict[str, Any]:
    """A list or tag as the REST API shows it, with its pivot row."""
    model = "Lists" if kind == "lists" else "Tag"
    slug = "-".join(title.lower().replace(":", "").split())
    return {
        "id": str(number), "title": title, "slug": slug, "description": None,
        **({"is_public": "0"} if kind == "lists" else {}),
        "created_at": "2021-07-17 21:01:59", "updated_at": "2021-07-17 21:01:59",
        "pivot": {"subscriber_id": str(contact.id), "object_id": str(number),
                  "object_type": f"FluentCrm\\App\\Models\\{model}",
                  "created_at": contact.created_at, "updated_at": contact.created_at},
    }


def api_contact(contact: Contact) -> dict[str, Any]:
    """A contact as ``GET /subscribers`` lists it: the raw attributes (no custom_field) plus
    ``tags`` and ``lists`` objects (REST API docs, source/includes/_contacts.md; fluent-crm
    app/Http/Controllers/SubscriberController.php, index())."""
    body = {key: value for key, value in raw_body(contact).items() if key != "custom_field"}
    body["tags"] = [_term("tags", n, t, contact) for n, t in enumerate(contact.tags, 1)]
    body["lists"] = [_term("lists", n, t, contact) for n, t in enumerate(contact.lists, 1)]
    return body


# ---- FluentCRM's REST API on loopback ---------------------------------------------------------

API_PREFIX = "/wp-json/fluent-crm/v2"
# WordPress' answer to a wrong application password (wp-includes/user.php,
# wp_authenticate_application_password: "incorrect_password", status 401).
BAD_CREDENTIALS = {"code": "incorrect_password",
                   "message": "The provided password is an invalid application password.",
                   "data": {"status": 401}}


class FakeFluentCrm:
    """FluentCRM's REST API as documented, on 127.0.0.1 and a free port.

    ``GET /wp-json/fluent-crm/v2/subscribers?page=&per_page=`` pages the contacts, oldest id
    first, at most ``page_cap`` per page (a server may give fewer than asked), answering
    ``{"subscribers": paginator}`` as SubscriberController::index() does, or the paginator
    alone (``shape="documented"``, as the docs' example shows); ``/subscribers/0?
    get_by_email=`` answers ``{"subscriber": ...}`` or 422 "Subscriber not found"
    (SubscriberController::show()); wrong credentials get WordPress' 401.
    """

    def __init__(self, contacts: Iterable[Contact], *, user: str = "portal-sync",
                 password: str = "abcd EFGH 1234 ijkl MNOP 5678", page_cap: int = 2,
                 shape: str = "controller") -> None:
        self.contacts = list(contacts)
        self.user, self.password = user, password
        self.page_cap, self.shape = page_cap, shape
        self.requests: list[str] = []
        self.url = ""

    def _page(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """One page of contacts in the paginator's shape."""
        page = int(query.get("page", ["1"])[0])
        per_page = min(int(query.get("per_page", ["10"])[0]), self.page_cap)
        ordered = sorted(self.contacts, key=lambda c: c.id)
        chunk = ordered[(page - 1) * per_page: page * per_page]
        paginator = {
            "current_page": page, "per_page": per_page,
            "from": (page - 1) * per_page + 1 if chunk else None,
            "to": (page - 1) * per_page + len(chunk) if chunk else None,
            "last_page": max(1, -(-len(ordered) // per_page)), "total": len(ordered),
            "data": [api_contact(contact) for contact in chunk],
        }
        return paginator if self.shape == "documented" else {"subscribers": paginator,
                                                              "custom": None}

    def answer(self, path: str, query: Mapping[str, list[str]],
               authorization: str) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) for one GET."""
        import base64

        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, BAD_CREDENTIALS
        if path == f"{API_PREFIX}/subscribers":
            return 200, self._page(query)
        if path == f"{API_PREFIX}/subscribers/0" and "get_by_email" in query:
            email = query["get_by_email"][0].lower()
            found = [c for c in self.contacts if c.email.lower() == email]
            if not found:
                return 422, {"message": "Subscriber not found"}
            return 200, {"subscriber": api_contact(found[0])}
        return 404, {"code": "rest_no_route",
                     "message": "No route was found matching the URL and request method.",
                     "data": {"status": 404}}


def serve(fake: FakeFluentCrm):
    """Run ``fake`` on 127.0.0.1 (a free port) in a thread; a context manager."""
    import contextlib
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            parts = urllib.parse.urlsplit(self.path)
            fake.requests.append(self.path)
            status, body = fake.answer(parts.path, urllib.parse.parse_qs(parts.query),
                                       self.headers.get("Authorization", ""))
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        def log_message(self, *args: Any) -> None:
            """Keep the test output quiet."""

    @contextlib.contextmanager
    def running():
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        fake.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield fake
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    return running()


# ---- the contacts behind the fixture files in tests/data ----------------------------------------

VIP = "+VIP"  # a tag title FluentCRM's exporter writes as '+VIP
# The map the tests use for tags: the default sections plus one section granted by VIP.
VIP_MAP = (
    '[[section]]\nslug = "store-setup"\nlists = ["Online Sales FAQ: Store Setup"]\n'
    '[[section]]\nslug = "payments"\nlists = ["Online Sales FAQ: Payments"]\n'
    '[[section]]\nslug = "vip"\ntags = ["+VIP"]\n'
)

DEMO = (
    Contact(11, "Thandi.Nkosi@Example.co.za", first_name="Thandi", last_name="Nkosi",
            prefix="Ms", phone="+27 11 555 0101", lists=(STORE, PAY), tags=("Webinar",)),
    Contact(12, "pieter@example.com", first_name="Pieter", last_name="van Wyk",
            contact_type="customer", created_at="2025-03-02 10:00:00", lists=(PAY,)),
    Contact(13, "sam@example.org", status="unsubscribed", first_name="Sam", last_name="Jones",
            prefix="Mr", created_at="2025-03-03 11:30:00", lists=(STORE,)),
    Contact(14, "lee@example.net", status="pending", first_name="Lee",
            created_at="2025-03-04 08:45:00", lists=(PAY,)),
    Contact(15, "ann@example.net", first_name="Ann", last_name="Lee",
            created_at="2025-03-05 14:20:00", lists=("Monthly Specials",)),
)
# What FluentCRM writes awkwardly: a ' before an email, a name and a tag; a slashed quote
# (a name stored as O\"Neil, which fputcsv writes as "O\"Neil").
EDGE = (
    Contact(21, "-dash@example.com", first_name="Dash", lists=(PAY,)),
    Contact(22, "oneil@example.com", first_name="Siobhán", last_name='O\\"Neil',
            lists=(STORE,)),
    Contact(23, "vip@example.com", first_name="=Vera", tags=(VIP,)),
    Contact(24, "gone@example.com", status="unsubscribed", first_name="Gone", lists=(PAY,)),
)
ALL_COLUMNS = tuple(key for key, _ in EXPORT_COLUMNS)


def fixture_files() -> dict[str, str | bytes]:
    """The fixture files of tests/data, by name, as the functions above produce them."""
    both = DEMO + EDGE
    return {
        "fluentcrm_contacts.csv": export_csv(DEMO, ALL_COLUMNS),
        "fluentcrm_export_de.csv": export_csv(both, language="de"),
        "fluentcrm_export_fr.csv": export_csv(both, language="fr"),
        "fluentcrm_export_es.csv": export_csv(both, language="es"),
        "fluentcrm_export_slice_1.csv": export_csv(both[:5]),
        "fluentcrm_export_slice_2.csv": export_csv(both[5:]),
        "fluentcrm_webhook_raw.json": json_encode(raw_body(EDGE[0])),
        "fluentcrm_webhook_raw.form": http_build_query(raw_body(EDGE[0])),
        "fluentcrm_webhook_custom.json": json_encode(custom_body(EDGE[1])),
        "fluentcrm_webhook_custom.form": http_build_query(custom_body(EDGE[1])),
        "fluentcrm_webhook_typo.json": json_encode(custom_body(
            EDGE[1], {**CUSTOM_DATA, "lists": "{{contact.lists}}", "tags": "{{contact.tags}}"})),
        "fluentcrm_api_subscribers.json": json.dumps(
            {"subscribers": {"current_page": 1, "per_page": 10, "from": 1, "to": 2,
                             "last_page": 1, "total": 2,
                             "data": [api_contact(EDGE[0]), api_contact(EDGE[2])]},
             "custom": None}, indent=2) + "\n",
    }
