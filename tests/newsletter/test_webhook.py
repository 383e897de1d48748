"""Outgoing Webhook bodies read into a contact's wanted state (no HTTP here)."""

from __future__ import annotations

import pytest

from gate.newsletter import fields, webhook
from gate.newsletter.sections import parse_map
from tests.newsletter import shapes
from tests.newsletter.helpers import MAP, PAY


@pytest.mark.parametrize(
    ("body", "expected"),
    (
        # the default "Full Subscriber Data (Raw)" body: status only (item 1)
        (shapes.raw_body(shapes.EDGE[0]), ("subscribed", None, set(), set())),
        (shapes.raw_body(shapes.EDGE[3]), ("unsubscribed", set(), set(), set())),
        # a Custom Data body sets the sections exactly
        (shapes.custom_body(shapes.EDGE[1]), ("subscribed", {"store-setup"}, set(), set())),
        (shapes.custom_body(shapes.Contact(9, "a@example.com", lists=("Other",))),
         ("subscribed", set(), set(), set())),
        # event bodies change one list's or tag's sections (item 2)
        ({"email": "a@example.com", "event": "list_applied", "list": PAY},
         (None, None, {"payments"}, set())),
        ({"email": "a@example.com", "event": "List_Removed", "list": PAY},
         (None, None, set(), {"payments"})),
        ({"email": "a@example.com", "event": "tag_removed", "tag": PAY},
         (None, None, set(), set())),
        ({"email": "a@example.com", "event": "list_applied", "list": PAY, "status": "bounced"},
         ("bounced", set(), set(), set())),
        ({"email": "a@example.com", "event": "list_applied", "list": PAY,
          "status": "subscribed"}, ("subscribed", None, {"payments"}, set())),
    ),
)
def test_webhook_bodies(body, expected):
    update = webhook.webhook_update(MAP, body)
    sections = None if update.sections is None else set(update.sections)
    assert (update.status, sections, set(update.add), set(update.remove)) == expected


@pytest.mark.parametrize(
    ("body", "error", "field", "words"),
    (
        # the smartcode typo {{contact.lists}} renders "" (item 3)
        (shapes.custom_body(shapes.EDGE[1], {**shapes.CUSTOM_DATA, "lists": "{{contact.lists}}",
                                             "tags": "{{contact.tags}}"}),
         fields.SmartcodeError, "lists", "{{contact.lists.title}}"),
        ({"email": "a@example.com", "status": "subscribed", "lists": ""},
         fields.SmartcodeError, "lists", "empty"),
        ({"email": "a@example.com", "event": "list_joined", "list": PAY},
         fields.FieldError, "event", "list_applied"),
        ({"email": "a@example.com", "event": "tag_applied", "list": PAY},
         fields.FieldError, "tag", "is required"),
        ({"event": "list_applied", "list": PAY}, fields.FieldError, "email", "is required"),
        ({"email": "a@example.com", "status": "subscribed", "lists": [{"title": PAY}]},
         fields.FieldError, "lists", "comma-separated titles"),
    ),
)
def test_bad_webhook_bodies(body, error, field, words):
    with pytest.raises(error) as caught:
        webhook.webhook_update(MAP, body)
    assert type(caught.value) is error
    assert caught.value.field == field and words in caught.value.message


@pytest.mark.parametrize(
    "lists", ("Online Sales FAQ: Payments, '+VIP", "''+VIP, Online Sales FAQ: Payments", " , "),
)
def test_the_webhook_and_the_export_read_titles_alike(lists):
    vip = parse_map(shapes.VIP_MAP)
    raw = fields.RawContact(email="a@example.com", status="subscribed", lists=(lists,),
                         tags=(lists,))
    from_export = fields.contact_update(vip, raw).sections
    try:
        from_webhook = webhook.webhook_update(vip, {"email": "a@example.com",
                                                "status": "subscribed", "lists": lists,
                                                "tags": lists}).sections
    except fields.SmartcodeError:
        from_webhook = frozenset()
    assert from_webhook == from_export


def test_an_unsubscribed_body_with_empty_lists_is_not_a_smartcode_mistake():
    body = {"email": "a@example.com", "status": "unsubscribed", "lists": "", "tags": ""}
    assert webhook.webhook_update(MAP, body).sections == frozenset()
