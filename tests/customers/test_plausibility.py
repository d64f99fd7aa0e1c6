"""Customer data that cannot be right is refused with the reason; long text is never cut."""
from __future__ import annotations

from datetime import date

from app.customers.plausibility import born_or_founded_problem
from app.models import Customer, Note
from tests.conftest import csrf_token
from tests.factories import make_customer


def test_a_birth_or_founding_date_may_not_be_in_the_future(app):  # office formats
    today = date(2026, 5, 1)
    assert born_or_founded_problem(None, today) is None
    assert born_or_founded_problem(today, today) is None
    assert born_or_founded_problem(date(1906, 12, 9), today) is None
    assert "in the future" in born_or_founded_problem(date(2026, 5, 2), today)


def test_the_identity_form_refuses_a_future_birth_date(app, client, login_as, db):
    app.config["TODAY"] = date(2026, 5, 1)
    login_as("admin")
    c = make_customer(first_name="Ada", last_name="Lovelace")
    token = csrf_token(client, f"/customers/{c.id}")
    data = {"csrf_token": token, "kind": "person", "first_name": "Ada",
            "last_name": "Lovelace", "size": ""}
    bad = client.post(f"/customers/{c.id}/identity/edit",
                      data={**data, "born_or_founded": "2062-12-10"})
    assert bad.status_code == 422
    assert "10 Dec 2062 is in the future; a birth or founding date can&#39;t be." in bad.text
    assert db.session.get(Customer, c.id).born_or_founded is None
    good = client.post(f"/customers/{c.id}/identity/edit",
                       data={**data, "born_or_founded": "1815-12-10"})
    assert good.status_code == 303


def test_a_note_over_the_limit_is_refused_whole_and_never_cut(client, login_as, db):
    login_as("admin")
    c = make_customer()
    page = client.get(f"/customers/{c.id}").text
    note_box = page[page.index('name="body"') - 200:page.index('name="body"') + 200]
    assert "maxlength" not in note_box  # the browser would cut a pasted text silently
    text = "word " * 2001  # 10,005 characters
    token = csrf_token(client, f"/customers/{c.id}")
    response = client.post(f"/customers/{c.id}/notes", data={
        "csrf_token": token, "kind": "call", "body": text, "invoice_id": "0"})
    assert response.status_code == 422
    assert "The note is 10,004 characters long; at most 10,000 fit." in response.text
    assert text.strip() in response.text  # kept in the form, whole, to shorten
    assert db.session.scalar(db.select(db.func.count(Note.id))) == 0
    ok = client.post(f"/customers/{c.id}/notes", data={
        "csrf_token": token, "kind": "call", "body": "x" * 10000, "invoice_id": "0"})
    assert ok.status_code in (200, 303)
    assert len(db.session.scalars(db.select(Note)).one().body) == 10000
