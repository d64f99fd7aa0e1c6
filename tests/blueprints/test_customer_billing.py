"""The customer file's Billing section (currency, terms, language, reminders switch) and its
list of the customer's invoices."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.models import AuditLog, Customer
from tests.conftest import csrf_token
from tests.factories import make_customer, make_invoice, make_message

HX = {"HX-Request": "true"}


def _billing(client, customer, **fields):
    data = {"csrf_token": csrf_token(client, f"/customers/{customer.id}"), "currency": "",
            "payment_terms_days": "", "language": "", **fields}
    return client.post(f"/customers/{customer.id}/billing/edit", data=data)


def test_billing_details_are_edited_on_the_file_and_audited(client, login_as, db):
    login_as("billing")
    c = make_customer(first_name="Gwen", last_name="Pound")
    page = client.get(f"/customers/{c.id}").text
    assert 'data-testid="edit-billing"' in page
    assert "EUR <small class=\"muted\">(office default)</small>" in page
    response = _billing(client, c, currency="GBP", payment_terms_days="14", language="en",
                        reminders_off="y", reminders_off_reason="Pays by standing order")
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Customer, c.id)
    assert (saved.currency, saved.payment_terms_days, saved.language, saved.reminders_off,
            saved.reminders_off_reason) == ("GBP", 14, "en", True, "Pays by standing order")
    entry = db.session.scalars(db.select(AuditLog).where(
        AuditLog.action == "customer.updated").order_by(AuditLog.id.desc())).first()
    assert entry.details["section"] == "billing"
    assert entry.details["changes"]["currency"] == ["", "GBP"]
    assert entry.details["changes"]["payment_terms_days"] == [None, 14]
    assert entry.details["changes"]["reminders_off"] == [False, True]
    page = client.get(f"/customers/{c.id}").text
    assert "no reminders" in page and "Pays by standing order" in page
    assert "14 days" in page
    # Back to the office's defaults: empty currency and terms; the reason goes with the switch.
    assert _billing(client, c).status_code == 303
    db.session.expire_all()
    saved = db.session.get(Customer, c.id)
    assert (saved.currency, saved.payment_terms_days, saved.reminders_off,
            saved.reminders_off_reason) == ("", None, False, "")


@pytest.mark.parametrize("fields, message", [
    ({"reminders_off": "y"}, "Say why"),
    ({"payment_terms_days": "400"}, "from 0 to 365"),
    ({"payment_terms_days": "-1"}, "from 0 to 365"),
    ({"payment_terms_days": "ten"}, "Not a valid integer value."),
    ({"currency": "XYZ"}, "Not a valid choice."),
])
def test_bad_billing_input_is_refused_with_a_message(client, login_as, fields, message):
    login_as("admin")
    c = make_customer()
    response = _billing(client, c, **fields)
    assert response.status_code == 422 and message in response.text


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_roles_with_edit_billing_change_billing(client, login_as, role):
    user = login_as(role)
    c = make_customer(owner=user)
    assert 'data-testid="edit-billing"' not in client.get(f"/customers/{c.id}").text
    assert client.get(f"/customers/{c.id}/billing/edit").status_code == 403
    assert _billing(client, c, currency="GBP").status_code == 403


def test_the_file_lists_the_customers_invoices_with_their_email_status(client, login_as):
    login_as("billing")
    c = make_customer(first_name="Ivy", last_name="Invoiced")
    euro = make_invoice(c, total="120.00", status="partially_paid", paid="20.00")
    pound = make_invoice(c, total="50.00", currency="GBP", status="draft")
    make_message(euro)
    other = make_invoice(make_customer(), total="999.00")
    page = client.get(f"/customers/{c.id}").text
    assert f'id="file-invoice-{euro.id}"' in page and f'id="file-invoice-{pound.id}"' in page
    assert other.number not in page.split('id="sec-invoices"')[1].split("</section>")[0]
    assert "€120.00" in page and "€100.00" in page  # total and balance (en_GB formats)
    assert "£50.00" in page
    assert 'data-status="partially_paid"' in page and 'data-status="draft"' in page
    # The envelope and its Email History popup, as on the invoices list.
    assert f'data-testid="email-icon-{euro.id}"' in page
    assert f'hx-get="/invoices/{euro.id}/emails/history"' in page
    assert f'href="/invoices/new?customer={c.id}"' in page


def test_new_invoice_for_this_customer_only_where_one_may_be_made(client, login_as,
                                                                 make_user, db):
    staff = login_as("staff")
    mine = make_customer(owner=staff)
    assert f'href="/invoices/new?customer={mine.id}"' in client.get(f"/customers/{mine.id}").text
    theirs = make_customer(owner=make_user("staff"))
    assert client.get(f"/customers/{theirs.id}").status_code == 404
    mine.status = "archived"
    db.session.commit()
    assert "New invoice for this customer" not in client.get(f"/customers/{mine.id}").text


def test_viewer_sees_the_invoices_but_no_new_invoice_button(client, login_as):
    login_as("viewer")
    c = make_customer()
    invoice = make_invoice(c)
    page = client.get(f"/customers/{c.id}").text
    assert f'id="file-invoice-{invoice.id}"' in page
    assert "New invoice for this customer" not in page


def test_many_invoices_are_paged_in_place(client, login_as, app):
    app.config["TODAY"] = date(2026, 12, 1)
    login_as("billing")
    c = make_customer()
    invoices = [make_invoice(c, issue_date=date(2026, 1, 1) + timedelta(days=i))
                for i in range(12)]  # newest last
    page = client.get(f"/customers/{c.id}").text
    assert page.count('id="file-invoice-') == 10
    assert f'id="file-invoice-{invoices[-1].id}"' in page
    assert f'id="file-invoice-{invoices[0].id}"' not in page
    assert f'href="/customers/{c.id}?invoices_page=2#sec-invoices"' in page
    assert f'hx-get="/customers/{c.id}/invoices?page=2"' in page
    fragment = client.get(f"/customers/{c.id}/invoices?page=2", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.count('id="file-invoice-') == 2
    assert f'id="file-invoice-{invoices[0].id}"' in fragment.text
    # Without htmx the fragment's URL opens the file at that page of invoices.
    plain = client.get(f"/customers/{c.id}/invoices?page=2")
    assert plain.status_code == 302
    assert plain.headers["Location"].endswith(f"/customers/{c.id}?invoices_page=2#sec-invoices")
    full = client.get(f"/customers/{c.id}?invoices_page=2").text
    assert full.count('id="file-invoice-') == 2 and "Page 2 of 2" in full


def test_billing_details_are_in_the_data_export_and_the_reason_goes_on_erasure(client,
                                                                               login_as, db):
    from app.customers.privacy import erase_customer

    login_as("admin")
    c = make_customer(currency="GBP", payment_terms_days=21, reminders_off=True,
                      reminders_off_reason="In hospital until March")
    export = client.get(f"/customers/{c.id}/export.json").get_data(as_text=True)
    assert "In hospital until March" in export and '"payment_terms_days": 21' in export
    erase_customer(c)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Customer, c.id).reminders_off_reason == ""
