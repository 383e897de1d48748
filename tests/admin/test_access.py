"""Who may open the staff pages: staff only; others 403 in the site's look, anonymous readers
the sign-in page; every POST needs a valid CSRF token (gate/admin/__init__.py)."""

from __future__ import annotations

import pytest

from tests.admin.conftest import post

GET_URLS = ["/admin/", "/admin/users", "/admin/users/new", "/admin/users/1", "/admin/accounts",
            "/admin/audit", "/admin/audit?format=csv", "/admin/mail", "/admin/import",
            "/admin/view-as", "/admin/view-as?audience=clients", "/admin/view-as/"]
POST_URLS = ["/admin/users/new", "/admin/users/1", "/admin/users/1/grants",
             "/admin/users/1/grants/remove", "/admin/users/1/revoke", "/admin/users/1/restore",
             "/admin/users/1/delete", "/admin/users/1/invite", "/admin/users/1/reset",
             "/admin/users/1/sessions/1/end", "/admin/accounts/1", "/admin/mail/retry",
             "/admin/mail/1/retry", "/admin/import", "/admin/import/apply"]


@pytest.mark.parametrize("url", GET_URLS)
def test_anonymous_get_goes_to_sign_in(client, staff, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("url", POST_URLS)
def test_anonymous_post_goes_to_sign_in_and_changes_nothing(client, staff, url):
    response = client.post(url, data={"email": "x@example.com"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_anonymous_json_gets_401(client):
    response = client.get("/admin/users", headers={"Accept": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["client", "subscriber"])
@pytest.mark.parametrize("method,url", [("GET", u) for u in GET_URLS]
                         + [("POST", u) for u in POST_URLS])
def test_non_staff_get_403_in_the_sites_look(app, make_user, login_as, staff, role, method, url):
    other = make_user(f"{role}@example.com", role,
                      audiences=("newsletter:payments",) if role == "subscriber" else ())
    client = app.test_client()
    login_as(client, other)
    response = client.open(url, method=method, data={"email": "x@example.com"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "md-header" in body and "staff only" in body


@pytest.mark.parametrize("url", POST_URLS)
def test_staff_post_without_csrf_is_refused(staff_client, customer, url):
    response = staff_client.post(url, data={"email": "x@example.com", "name": "X"})
    assert response.status_code == 400


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_staff_post_with_a_bad_csrf_token_is_refused(staff_client, customer, token):
    response = staff_client.post(f"/admin/users/{customer.id}/revoke",
                                 data={"csrf_token": token})
    assert response.status_code == 400


@pytest.mark.parametrize("url", ["/admin/", "/admin/users", "/admin/users/new",
                                 "/admin/accounts", "/admin/audit", "/admin/mail",
                                 "/admin/import", "/admin/view-as"])
def test_staff_pages_open_in_the_sites_frame_with_a_strict_csp(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    body = response.get_data(as_text=True)
    assert "md-header" in body and 'aria-label="Staff pages"' in body
    assert "style=" not in body.split("<!--sop:content-->")[-1].split("<!--/sop:content-->")[0]
    assert response.headers["Cache-Control"] == "private, no-store"
    csp = response.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "object-src 'none'" in csp and "'unsafe-inline'" not in script_src


def test_a_revoked_staff_member_is_signed_out(app, staff, staff_client, runner):
    assert runner.invoke(args=["users", "revoke", staff.email]).exit_code == 0
    assert staff_client.get("/admin/").status_code == 302


def test_post_helper_token_works(staff_client, customer):
    response = post(staff_client, f"/admin/users/{customer.id}/revoke")
    assert response.status_code == 303
