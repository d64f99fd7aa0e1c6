"""Invoice pages: list, editor, invoice page and actions, PDF, client view, access."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app import clock
from tests.conftest import csrf_token
from tests.blueprints.helpers import invoice_form
from tests.factories import CONSULTING_240, make_customer, make_invoice

HX = {"HX-Request": "true"}


def numbers(html: str) -> list[str]:
    return re.findall(r'<tr id="invoice-\d+">\s*<td data-label="Number"[^>]*><a [^>]*>([^<]+)</a>', html)


# -- list --------------------------------------------------------------------------------

def test_empty_list_invites_to_create(client, login_as):
    login_as("billing")
    page = client.get("/invoices/")
    assert page.status_code == 200
    assert "No invoices yet" in page.text and "Create the first invoice" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_list_search_filter_sort_and_fragment(client, login_as):
    login_as("billing")
    acme = make_customer(kind="company", company="Acme Ltd")
    zeta = make_customer(kind="company", company="Zeta GmbH")
    a1 = make_invoice(acme, via_rules=True, status="finalized")
    a2 = make_invoice(acme, via_rules=True, status="paid",
                      issue_date=date.today() - timedelta(days=3))
    z1 = make_invoice(zeta, via_rules=True, status="finalized",
                      issue_date=date.today() - timedelta(days=60))
    page = client.get("/invoices/")
    assert numbers(page.text) == [a1.number, a2.number, z1.number]  # newest first
    assert numbers(client.get("/invoices/?q=zeta").text) == [z1.number]
    assert numbers(client.get("/invoices/?q=gmbh zeta").text) == [z1.number]  # any order
    assert numbers(client.get("/invoices/?q=%25").text) == []  # '%' is no wildcard
    assert numbers(client.get(f"/invoices/?q={a2.number}").text) == [a2.number]
    assert numbers(client.get("/invoices/?status=overdue").text) == [z1.number]
    assert numbers(client.get("/invoices/?status=paid").text) == [a2.number]
    assert numbers(client.get(f"/invoices/?customer={acme.id}").text) == [a1.number, a2.number]
    since = (date.today() - timedelta(days=5)).isoformat()
    assert numbers(client.get(f"/invoices/?from={since}&sort=issued&dir=asc").text) == [
        a2.number, a1.number]
    assert numbers(client.get("/invoices/?sort=customer&dir=desc").text)[0] == z1.number
    # htmx gets only the results; the same URL opened directly is a whole page.
    fragment = client.get("/invoices/?q=acme", headers=HX)
    assert "<html" not in fragment.text and numbers(fragment.text) == [a1.number, a2.number]
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" in client.get("/invoices/?q=acme").text


def test_list_rows_include_the_email_icon_partial(client, login_as):
    login_as("billing")
    make_invoice(via_rules=True, status="draft")
    make_invoice(via_rules=True, status="draft")
    cells = re.findall(r'<td data-label="Email" class="email-cell"[^>]*>(.*?)</td>',
                       client.get("/invoices/").text,
                       re.S)
    assert len(cells) == 2 and all(cell.strip() for cell in cells)


def test_list_ignores_bad_arguments(client, login_as):
    login_as("billing")
    make_invoice(via_rules=True, status="draft")
    page = client.get("/invoices/?status=bogus&customer=x&from=2024-99-99&sort=drop&dir=up"
                      "&page=-3")
    assert page.status_code == 200 and len(numbers(page.text)) == 1


def test_nul_bytes_in_search_and_fields_never_500(client, login_as, db):
    from app.models import Invoice

    login_as("billing")
    assert client.get("/invoices/?q=a%00b").status_code == 200
    response = client.post("/invoices/new", data=invoice_form(
        client, make_customer(), [("Fee\x00", "1", "10", "0")], notes="n\x00", action="save"))
    assert response.status_code == 303
    invoice = db.session.scalars(db.select(Invoice)).one()
    assert (invoice.lines[0].description, invoice.notes) == ("Fee", "n")


def test_no_match_says_so_and_offers_to_clear(client, login_as):
    login_as("billing")
    make_invoice(via_rules=True, status="draft")
    page = client.get("/invoices/?q=nothing-like-this")
    assert "No invoices match these filters" in page.text and "Clear filters" in page.text


def test_list_paginates(client, login_as):
    login_as("billing")
    customer = make_customer()
    for _ in range(27):
        make_invoice(customer, via_rules=True)
    first = client.get("/invoices/?sort=number&dir=asc")
    assert len(numbers(first.text)) == 25 and "Page 1 of 2" in first.text
    second = client.get("/invoices/?sort=number&dir=asc&page=2")
    year = clock.today().year
    assert numbers(second.text) == [f"{year}-0026", f"{year}-0027"]


def test_staff_list_shows_only_their_customers_invoices(client, login_as, make_user):
    staff = login_as("staff")
    mine = make_invoice(make_customer(kind="company", company="Mine", owner=staff),
                        via_rules=True, status="draft")
    make_invoice(make_customer(kind="company", company="Theirs", owner=make_user("staff")),
                 via_rules=True, status="draft")
    make_invoice(make_customer(kind="company", company="Nobody's"), via_rules=True,
                 status="draft")
    page = client.get("/invoices/")
    assert numbers(page.text) == [mine.number]
    assert "Theirs" not in page.text  # not even in the customer filter


# -- invoice page and actions ------------------------------------------------------------

def test_invoice_page_shows_lines_totals_and_actions(client, login_as):
    login_as("billing")
    invoice = make_invoice(via_rules=True, status="draft", lines=CONSULTING_240,
                           notes="Bank: IBAN XX00")
    page = client.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for text in (invoice.number, "Consulting", "€240.00", "Bank: IBAN XX00", "Finalize",
                 "Void this invoice", '<section class="invoice-emails"', "Download PDF"):
        assert text in page.text, text
    assert "Record a payment" not in page.text  # drafts take no payments
    assert page.text.count('id="invoice-emails"') == 1


def test_viewer_sees_the_invoice_but_no_actions(client, login_as):
    login_as("viewer")
    invoice = make_invoice(via_rules=True, status="finalized")
    page = client.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200
    assert "Record a payment" not in page.text and "Void this" not in page.text
    assert client.post(f"/invoices/{invoice.id}/void",
                       headers={"X-CSRFToken": csrf_token(client)}).status_code == 403


def test_finalize_then_void(client, login_as, db):
    from app.models import AuditLog

    login_as("billing")
    invoice = make_invoice(via_rules=True, status="draft")
    token = csrf_token(client)
    response = client.post(f"/invoices/{invoice.id}/finalize", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.refresh(invoice)
    assert invoice.status == "finalized"
    page = client.get(f"/invoices/{invoice.id}")
    assert "is final" in page.text and "Edit</a>" not in page.text
    assert "Record a payment" in page.text and "customer's view" in page.text
    client.post(f"/invoices/{invoice.id}/void", data={"csrf_token": token})
    db.session.refresh(invoice)
    assert invoice.status == "void"
    actions = db.session.scalars(db.select(AuditLog.action).where(
        AuditLog.subject_type == "invoice")).all()
    assert actions == ["invoice.finalized", "invoice.voided"]


def test_refused_transition_explains_why(client, login_as, db):
    login_as("billing")
    invoice = make_invoice(via_rules=True, status="draft", lines=[])
    response = client.post(f"/invoices/{invoice.id}/finalize",
                           data={"csrf_token": csrf_token(client)}, follow_redirects=True)
    assert "Add at least one line before finalizing." in response.text
    db.session.refresh(invoice)
    assert invoice.status == "draft"


def _payment(client, invoice, **fields):
    data = {"csrf_token": csrf_token(client), "paid_on": date.today().isoformat(),
            "amount": "100.00", "method": "bank_transfer", "reference": "TX-1", **fields}
    return data


def test_record_payments_until_paid(client, login_as, db):
    login_as("billing")
    invoice = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    response = client.post(f"/invoices/{invoice.id}/payments", data=_payment(client, invoice))
    assert response.status_code == 303
    db.session.refresh(invoice)
    assert invoice.status == "partially_paid" and invoice.balance == Decimal("140.00")
    fragment = client.post(f"/invoices/{invoice.id}/payments",
                           data=_payment(client, invoice, amount="140"), headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "notify" in fragment.headers["HX-Trigger"]
    assert 'data-status="paid"' in fragment.text and "TX-1" in fragment.text
    db.session.refresh(invoice)
    assert invoice.status == "paid" and len(invoice.payments) == 2


@pytest.mark.parametrize("fields, message", [
    ({"amount": "0"}, "Must be more than 0."),
    ({"amount": "-3"}, "Must be more than 0."),
    ({"amount": "abc"}, "is not a number"),
    ({"amount": "10.001"}, "Use at most 2 decimals."),
    ({"amount": "240.01"}, "more than the balance"),
    ({"paid_on": ""}, "Enter the payment date."),
    ({"method": "barter"}, "Not a valid choice."),
])
def test_bad_payment_is_refused_in_place(client, login_as, db, fields, message):
    login_as("billing")
    invoice = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    data = _payment(client, invoice, **fields)
    page = client.post(f"/invoices/{invoice.id}/payments", data=data)
    assert page.status_code == 422 and message in page.text
    fragment = client.post(f"/invoices/{invoice.id}/payments", data=data, headers=HX)
    assert fragment.status_code == 422 and message in fragment.text
    assert "<details class=\"payment-form\" open>" in fragment.text
    db.session.refresh(invoice)
    assert invoice.payments == [] and invoice.status == "finalized"


def test_overpayment_needs_the_explicit_tick(client, login_as, db):
    login_as("billing")
    invoice = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    response = client.post(f"/invoices/{invoice.id}/payments",
                           data=_payment(client, invoice, amount="250", allow_overpayment="y"))
    assert response.status_code == 303
    db.session.refresh(invoice)
    assert invoice.status == "paid" and invoice.balance == Decimal("-10.00")


def test_payment_on_a_void_invoice_is_refused(client, login_as):
    login_as("billing")
    invoice = make_invoice(via_rules=True, status="void")
    page = client.post(f"/invoices/{invoice.id}/payments", data=_payment(client, invoice))
    assert page.status_code == 409 and "A void invoice takes no payments." in page.text
    # From htmx: an error status is swapped only where the server retargets it.
    fragment = client.post(f"/invoices/{invoice.id}/payments", data=_payment(client, invoice),
                           headers={"HX-Request": "true"})
    assert fragment.status_code == 409 and "A void invoice takes no payments." in fragment.text
    assert fragment.headers["HX-Retarget"] == "#invoice-main"


# -- access ------------------------------------------------------------------------------

def test_staff_gets_404_for_other_customers_invoices(client, login_as, make_user):
    staff = login_as("staff")
    mine = make_invoice(make_customer(owner=staff), via_rules=True, status="finalized")
    other = make_invoice(make_customer(owner=make_user("staff")), via_rules=True,
                         status="finalized")
    token = csrf_token(client)
    assert client.get(f"/invoices/{mine.id}").status_code == 200
    for method, path in (("GET", ""), ("GET", "/edit"), ("GET", "/pdf"),
                         ("POST", "/finalize"), ("POST", "/void"), ("POST", "/payments")):
        response = client.open(f"/invoices/{other.id}{path}", method=method,
                               data={"csrf_token": token})
        assert response.status_code == 404, (method, path)
        assert other.number not in response.text


def test_missing_invoice_is_404(client, login_as):
    login_as("admin")
    for path in ("/invoices/424242", "/invoices/99999999999999999999",
                 "/invoices/99999999999999999999/pdf",
                 "/invoices/new?customer=99999999999999999999"):
        assert client.get(path).status_code == 404, path


# -- PDF and client view -----------------------------------------------------------------

def test_pdf_download(client, login_as):
    login_as("viewer")
    invoice = make_invoice(via_rules=True, status="partially_paid",
                           notes="Merci — Zahlbar in 30 Tagen, Łódź €")
    response = client.get(f"/invoices/{invoice.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f'filename="invoice-{invoice.number}.pdf"' in response.headers["Content-Disposition"]




def test_client_view_through_the_unguessable_key(client, app):
    app.config["OFFICE_NAME"] = "Smith & Daughters Accounting"
    invoice = make_invoice(via_rules=True, status="partially_paid", lines=CONSULTING_240,
                           notes="Pay to IBAN XX00")
    page = client.get(f"/i/{invoice.view_key}")  # not logged in
    assert page.status_code == 200
    for text in (invoice.number, "Smith &amp; Daughters Accounting", "Consulting",
                 "Pay to IBAN XX00", "€230.00", f"/i/{invoice.view_key}/pdf"):
        assert text in page.text, text
    assert "Log out" not in page.text and "Invoices</a>" not in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    pdf = client.get(f"/i/{invoice.view_key}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


@pytest.mark.parametrize("key", ["nope", "x" * 200, "%00", "a" * 30 + "%00"])
def test_unknown_client_key_is_404(client, key):
    make_invoice(via_rules=True, status="draft")
    assert client.get(f"/i/{key}").status_code == 404
    assert client.get(f"/i/{key}/pdf").status_code == 404


def test_render_client_view_is_callable_for_tracked_links(app):
    from app.blueprints.client import render_client_view

    invoice = make_invoice(via_rules=True, status="finalized")
    with app.test_request_context("/t/some-tracked-link"):
        response = render_client_view(invoice, "/somewhere/pdf")
    assert response.status_code == 200 and b'href="/somewhere/pdf"' in response.data


def test_tracked_link_records_a_viewed_event_once_per_email(app, client, db):
    from app.mail import hits, outbox
    from app.mail.tracking import view_url
    from app.models import EmailEvent

    invoice = make_invoice(via_rules=True, status="finalized")
    other = make_invoice(via_rules=True, status="finalized")
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("c@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice,
                                     attach_pdf=False)
    db.session.commit()
    path = view_url(message).split("localhost", 1)[1]
    assert path.startswith(f"/i/{invoice.view_key}?e=")
    assert client.get(path).status_code == 200
    token = path.split("?e=", 1)[1]
    for bad in (f"/i/{other.view_key}?e={token}", f"/i/{invoice.view_key}?e=garbage"):
        assert client.get(bad).status_code == 200  # the invoice shows; nothing is counted
    assert client.head(path).status_code == 200
    assert hits.drain() == 1
    events = db.session.scalars(db.select(EmailEvent)).all()
    assert [(e.message_id, e.type) for e in events] == [(message.id, "viewed")]
