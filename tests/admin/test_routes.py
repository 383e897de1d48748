"""The users and accounts pages (gate/admin/routes.py): search, filters, pages, forms."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gate.models import AuditEvent, LoginSession, User
from tests.admin.conftest import post, text


@pytest.fixture
def people(make_user, customer, reader):
    """A few more users: Bob Builder (client of Beta Co), a revoked subscriber."""
    make_user("bob@beta.example.com", "client", account="Beta Co")
    gone = make_user("gone@example.com", "subscriber", audiences=("newsletter:store-setup",))
    return gone


@pytest.mark.parametrize(("query", "found", "missing"), [
    ("q=ann", ["ann@example.com"], ["bob@beta.example.com"]),
    ("q=BETA", ["bob@beta.example.com"], ["ann@example.com"]),
    ("q=%25", [], ["ann@example.com"]),
    ("search=ann", ["ann@example.com"], ["bob@beta.example.com"]),
    ("role=subscriber", ["sub@example.com"], ["ann@example.com"]),
    ("account=beta-co", ["bob@beta.example.com"], ["ann@example.com"]),
    ("audience=newsletter:payments", ["sub@example.com"], ["gone@example.com"]),
    ("state=revoked", ["gone@example.com"], ["ann@example.com"]),
    ("state=bogus", ["ann@example.com"], ["gone@example.com"]),
])
def test_users_search_and_filters(app, runner, staff_client, people, query, found, missing):
    runner.invoke(args=["users", "revoke", "gone@example.com"])
    body = staff_client.get(f"/admin/users?{query}").get_data(as_text=True)
    for email in found:
        assert email in body
    for email in missing:
        assert email not in body


def test_users_search_by_name(peek, staff_client, customer):
    def rename(db):
        db.get(User, customer.id).name = "Annabel Quill"
        db.commit()

    peek(rename)
    assert "ann@example.com" in staff_client.get("/admin/users?q=quill").get_data(as_text=True)


def test_users_list_paginates(make_user, staff_client):
    for n in range(30):
        make_user(f"p{n:02d}@example.com", "staff")
    first = staff_client.get("/admin/users?role=staff").get_data(as_text=True)
    second = staff_client.get("/admin/users?role=staff&page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "p00@example.com" in first
    assert "p29@example.com" in second and "p00@example.com" not in second
    assert 'rel="prev"' in second and "role=staff" in second


def test_adding_a_client_invites_them(peek, staff_client, outbox):
    response = post(staff_client, "/admin/users/new", {
        "email": "new@shop.example.com", "name": "New Person", "role": "client",
        "account": "New Shop", "account_type": "debit_order", "invite": "y"})
    assert response.status_code == 303
    account = peek(lambda db: db.scalar(
        select(User).where(User.email == "new@shop.example.com")).account)
    assert account.slug == "new-shop" and account.account_type == "debit_order"
    assert outbox.last_token("new@shop.example.com", "invite")
    assert "invitation was sent" in text(staff_client.get(response.headers["Location"]))


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"email": "", "role": "client"}, "email", "Enter the email address."),
    ({"email": "a@@b", "role": "staff"}, "email", "not an email address"),
    ({"email": "ann@example.com", "role": "staff"}, "email", "user already exists"),
    ({"email": "x@example.com", "role": "client"}, "account", "needs an account"),
    ({"email": "x@example.com", "role": "staff", "account": "A"}, "account", "only for client"),
    ({"email": "x@example.com", "role": "subscriber", "audience": "newsletter:zz"},
     "audience", "unknown audience"),
    ({"email": "x@example.com", "role": "owner"}, "role", "Not a valid choice"),
])
def test_bad_new_users_get_a_field_message_and_change_nothing(peek, staff_client, customer,
                                                              data, field, message):
    count = peek(lambda db: len(list(db.scalars(select(User)))))
    response = post(staff_client, "/admin/users/new", {"account_type": "eft", **data})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    label = body.index(f'for="{field}"')
    assert message in body[label:label + 1500]
    assert peek(lambda db: len(list(db.scalars(select(User))))) == count


def test_editing_a_user_on_their_page(peek, staff_client, customer):
    page = f"/admin/users/{customer.id}"
    response = post(staff_client, page, {"email": "ann@example.com", "name": "Ann B",
                                         "role": "client", "account": "Acme Ltd"},
                    form_path=page)
    assert response.status_code == 303
    assert peek(lambda db: db.get(User, customer.id).name) == "Ann B"
    bad = post(staff_client, page, {"email": "nope", "name": "", "role": "client"},
               form_path=page)
    assert bad.status_code == 400 and "not an email address" in bad.get_data(as_text=True)


def test_grant_with_an_end_date_then_remove_it(peek, staff_client, customer):
    page = f"/admin/users/{customer.id}"
    response = post(staff_client, f"{page}/grants",
                    {"audience": "newsletter:payments", "until": "2099-12-31"}, form_path=page)
    assert response.status_code == 303
    body = staff_client.get(page).get_data(as_text=True)
    assert "newsletter:payments" in body and "2100-01-01 00:00 UTC" in body
    bad = post(staff_client, f"{page}/grants", {"audience": "nope", "until": "31/12/2099"},
               form_path=page)
    assert bad.status_code == 400 and "Not a valid date value" in bad.get_data(as_text=True)
    assert post(staff_client, f"{page}/grants/remove", {"audience": "newsletter:payments"},
                form_path=page).status_code == 303
    held = peek(lambda db: {g.audience for g in db.get(User, customer.id).grants})
    assert "newsletter:payments" not in held


def test_revoking_signs_the_client_out_on_their_next_request(app, login_as, staff_client,
                                                             customer):
    browser = app.test_client()
    login_as(browser, customer)
    assert browser.get("/members/").status_code == 200
    page = f"/admin/users/{customer.id}"
    assert post(staff_client, f"{page}/revoke", form_path=page).status_code == 303
    assert browser.get("/members/").status_code == 302
    assert post(staff_client, f"{page}/restore", form_path=page).status_code == 303


def test_sessions_are_listed_and_each_can_be_ended(app, peek, login_as, staff_client,
                                                   customer):
    browser = app.test_client()
    login_as(browser, customer)
    page = f"/admin/users/{customer.id}"
    body = staff_client.get(page).get_data(as_text=True)
    assert "End<span class=\"md-visually-hidden\"> session 1" in body
    row = peek(lambda db: db.scalar(
        select(LoginSession).where(LoginSession.user_id == customer.id)))
    assert post(staff_client, f"{page}/sessions/{row.id}/end", form_path=page
                ).status_code == 303
    assert browser.get("/members/").status_code == 302
    again = post(staff_client, f"{page}/sessions/{row.id}/end", form_path=page)
    assert again.status_code == 400 and "already ended" in again.get_data(as_text=True)


@pytest.mark.parametrize("action", ["delete", "revoke"])
def test_staff_cannot_remove_themselves(staff_client, staff, action):
    page = f"/admin/users/{staff.id}"
    response = post(staff_client, f"{page}/{action}", form_path=page)
    assert response.status_code == 400 and "yourself" in response.get_data(as_text=True)


def test_staff_cannot_drop_their_own_staff_role(staff_client, staff):
    page = f"/admin/users/{staff.id}"
    response = post(staff_client, page, {"email": staff.email, "role": "subscriber"},
                    form_path=page)
    assert response.status_code == 400 and "own staff role" in response.get_data(as_text=True)


def test_delete_then_restore_on_the_page(staff_client, customer, outbox):
    page = f"/admin/users/{customer.id}"
    response = post(staff_client, f"{page}/delete", form_path=page)
    assert response.status_code == 303 and response.headers["Location"].startswith(
        "/admin/users")
    assert "ann@example.com" not in staff_client.get("/admin/users").get_data(as_text=True)
    shown = staff_client.get(page).get_data(as_text=True)
    assert f"Deleted user {customer.id}" in shown and "ann@example.com" not in shown
    wrong = post(staff_client, f"{page}/restore", {"email": "bob@example.com"}, form_path=page)
    assert wrong.status_code == 400
    assert post(staff_client, f"{page}/restore", {"email": "ann@example.com"},
                form_path=page).status_code == 303
    assert post(staff_client, f"{page}/invite", form_path=page).status_code == 303
    assert outbox.last_token("ann@example.com", "invite")


def test_resend_invitation_and_reset(staff_client, customer, reader, outbox):
    page = f"/admin/users/{customer.id}"
    assert post(staff_client, f"{page}/reset", form_path=page).status_code == 303
    assert outbox.last_token("ann@example.com", "reset")
    sub_page = f"/admin/users/{reader.id}"
    refused = post(staff_client, f"{sub_page}/invite", form_path=sub_page)
    assert refused.status_code == 400 and "one-time link" in refused.get_data(as_text=True)


def test_unknown_user_is_404(staff_client):
    assert staff_client.get("/admin/users/999").status_code == 404


def test_accounts_page_renames_and_keeps_the_slug(peek, staff_client, customer):
    body = staff_client.get("/admin/accounts").get_data(as_text=True)
    assert "Acme Ltd" in body and "ann@example.com" in body and "client:acme-ltd" in body
    account_id = peek(lambda db: db.get(User, customer.id).account_id)
    response = post(staff_client, f"/admin/accounts/{account_id}",
                    {"name": "Acme Group", "account_type": "weekly_retainer"},
                    form_path="/admin/accounts")
    assert response.status_code == 303
    body = staff_client.get("/admin/accounts").get_data(as_text=True)
    assert "Acme Group" in body and "client:acme-ltd" in body
    bad = post(staff_client, f"/admin/accounts/{account_id}",
               {"name": "", "account_type": "eft"}, form_path="/admin/accounts")
    assert bad.status_code == 400 and "Enter the account name." in bad.get_data(as_text=True)
    detail = peek(lambda db: db.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "account.edit")))
    assert "by boss@example.com" in detail


def test_every_form_on_a_user_page_carries_its_csrf_token(staff_client, customer, login_as,
                                                          app):
    import re

    login_as(app.test_client(), customer)
    body = staff_client.get(f"/admin/users/{customer.id}").get_data(as_text=True)
    forms = re.findall(r'<form method="post".*?</form>', body, re.S)
    assert len(forms) >= 7
    assert all('name="csrf_token"' in form for form in forms)
