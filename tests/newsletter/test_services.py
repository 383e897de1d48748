"""The rules applied to users and grants (gate/newsletter/services.py), through the import."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gate.models import User, utcnow
from tests.accounts.conftest import signed_in_email
from tests.newsletter import shapes
from tests.newsletter.helpers import HEADER, PAY, STORE, audit_actions, state

BOTH = f'"{PAY}, {STORE}"'


def test_a_status_change_removes_sections_and_ends_the_subscribers_sessions(
    app, run, csv_file, client, login_as
):
    assert run(csv_file(f"{HEADER}sub@example.com,Sue,,subscribed,{BOTH},\n")).exit_code == 0
    with app.app_context():
        from gate.db import get_session

        sue = get_session().scalar(select(User).where(User.email == "sub@example.com"))
    login_as(client, sue)
    assert signed_in_email(app, client) == "sub@example.com"
    assert client.get("/members/newsletter/payments/").status_code == 200

    result = run(csv_file(f"{HEADER}SUB@example.com,Sue,,unsubscribed,{BOTH},\n"))
    assert result.exit_code == 0, result.output
    assert "updated 1, granted 0, removed 2" in result.stdout
    assert "signed out 1 subscriber" in result.stdout
    assert state(app)["sub@example.com"] == ("subscriber", "Sue", ())
    assert signed_in_email(app, client) is None
    assert ("grant.remove", "sub@example.com", "newsletter:store-setup") in audit_actions(app)
    assert ("signout", "sub@example.com", "everywhere") in audit_actions(app)


def test_losing_one_section_takes_effect_on_the_next_request(
    app, run, csv_file, client, login_as, make_user
):
    sue = make_user("sub@example.com", "subscriber",
                    audiences=("newsletter:payments", "newsletter:store-setup"))
    login_as(client, sue)
    json = {"Accept": "application/json"}
    assert client.get("/members/newsletter/payments/", headers=json).status_code == 200
    result = run(csv_file(f"{HEADER}sub@example.com,,,subscribed,{STORE},\n"))
    assert result.exit_code == 0, result.output
    assert signed_in_email(app, client) == "sub@example.com"  # still signed in ...
    assert client.get("/members/newsletter/payments/", headers=json).status_code == 403
    assert client.get("/members/newsletter/store-setup/", headers=json).status_code == 200


def test_a_client_keeps_client_access_and_their_name(app, run, csv_file, make_user, client,
                                                     login_as):
    alice = make_user("alice@example.com", "client", account="Acme Ltd")
    login_as(client, alice)
    result = run(csv_file(f"{HEADER}Alice@Example.com,Eve,Imposter,subscribed,{PAY},\n"))
    assert result.exit_code == 0, result.output
    role, name, grants = state(app)["alice@example.com"]
    assert (role, name) == ("client", "")
    assert grants == ("client:acme-ltd", "clients", "newsletter:payments")

    result = run(csv_file(f"{HEADER}alice@example.com,,,bounced,{PAY},\n"))
    assert result.exit_code == 0, result.output
    assert state(app)["alice@example.com"][2] == ("client:acme-ltd", "clients")
    assert signed_in_email(app, client) == "alice@example.com"  # a client is not signed out


def test_subscriber_names_follow_the_crm(app, run, csv_file):
    run(csv_file(f"{HEADER}sub@example.com,Sue,,subscribed,{PAY},\n"))
    result = run(csv_file(f"{HEADER}sub@example.com,=Susan,Smith,subscribed,{PAY},\n"))
    assert "updated 1, granted 0" in result.stdout
    assert state(app)["sub@example.com"][1] == "Susan Smith"
    run(csv_file(f"{HEADER}sub@example.com,,,subscribed,{PAY},\n"))  # a blank name keeps it
    assert state(app)["sub@example.com"][1] == "Susan Smith"


def test_prune_removes_newsletter_grants_of_absent_users_only(app, run, csv_file, make_user):
    make_user("gone@example.com", "subscriber", audiences=("newsletter:payments",))
    make_user("client@example.com", "client", audiences=("newsletter:store-setup",))
    make_user("staff@example.com", "staff")
    export = csv_file(f"{HEADER}kept@example.com,,,subscribed,{PAY},\n")

    without = run(export)
    assert without.exit_code == 0
    assert state(app)["gone@example.com"][2] == ("newsletter:payments",)

    pruned = run(export, "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "updated 2, granted 0, removed 2" in pruned.stdout and "2 pruned" in pruned.stdout
    after = state(app)
    assert after["gone@example.com"][2] == ()
    assert after["client@example.com"][2] == ("client:test-client", "clients")
    assert after["kept@example.com"][2] == ("newsletter:payments",)
    assert after["staff@example.com"][2] == ()


def test_a_failure_half_way_rolls_the_whole_import_back(app, run, csv_file, monkeypatch):
    from gate.newsletter import services

    real = services.new_subscriber
    calls = []

    def flaky(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "new_subscriber", flaky)
    result = run(csv_file(f"{HEADER}a@example.com,,,subscribed,{PAY},\n"
                          f"b@example.com,,,subscribed,{PAY},\n"))
    assert isinstance(result.exception, RuntimeError)
    assert state(app) == {} and audit_actions(app) == []


def test_an_expired_section_is_renewed_and_a_revoked_user_stays_revoked(app, run, csv_file,
                                                                        make_user):
    from gate.accounts import services as accounts
    from gate.db import get_session

    user = make_user("sub@example.com", "subscriber")
    with app.app_context():
        db = get_session()
        row = db.get(User, user.id)
        accounts.grant(db, row, "newsletter:payments", utcnow() - timedelta(days=1))
        row.active = False
        db.commit()
    result = run(csv_file(f"{HEADER}sub@example.com,,,subscribed,{PAY},\n"))
    assert "granted 1" in result.stdout
    with app.app_context():
        row = get_session().get(User, user.id)
        assert row.audiences(utcnow()) == {"newsletter:payments"}
        assert row.active is False
    assert "nothing to change" in run(csv_file(f"{HEADER}sub@example.com,,,subscribed,{PAY},\n")
                                      ).stdout


def test_the_import_and_the_webhook_give_the_same_grants(app_config, tmp_path):
    """Every contact of the awkward export, by import, by webhook (JSON, form) and by
    events: the same users and grants whichever path brings them."""
    from gate import create_app

    path = tmp_path / "map.toml"
    path.write_text(shapes.VIP_MAP, encoding="utf-8")
    contacts = shapes.DEMO + shapes.EDGE

    def fresh(name: str):
        config = {**app_config, "NEWSLETTER_MAP_FILE": str(path),
                  "FLUENTCRM_WEBHOOK_SECRET": "s" * 20,
                  "DATABASE_URL": f"sqlite:///{tmp_path / name}.sqlite3"}
        return create_app(config)

    imported = fresh("import")
    export = tmp_path / "export.csv"
    export.write_text(shapes.export_csv(contacts, language="de"), encoding="utf-8")
    result = imported.test_cli_runner().invoke(args=["subscribers", "import", str(export)])
    assert result.exit_code == 0, result.output

    for name, encode, content_type in (
        ("json", shapes.json_encode, "application/json"),
        ("form", shapes.http_build_query, "application/x-www-form-urlencoded"),
    ):
        hooked = fresh(name)
        client = hooked.test_client()
        for contact in contacts:
            response = client.post("/hooks/fluentcrm", data=encode(shapes.custom_body(contact)),
                                   content_type=content_type,
                                   headers={"X-Webhook-Secret": "s" * 20})
            assert response.status_code in (200, 422), response.get_data(as_text=True)
        assert state(hooked) == state(imported), name
    assert state(imported)["vip@example.com"] == ("subscriber", "Vera", ("newsletter:vip",))
