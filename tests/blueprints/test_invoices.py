"""Invoice pages: list, editor, invoice page and actions, PDF, client view, access."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.conftest import csrf_token
from tests.invoice_fixtures import make_customer, make_invoice  # noqa: F401

HX = {"HX-Request": "true"}


def numbers(html: str) -> list[str]:
    return re.findall(r'<tr id="invoice-\d+">\s*<td class="nowrap"><a [^>]*>([^<]+)</a>', html)


# -- list --------------------------------------------------------------------------------

def test_empty_list_invites_to_create(client, login_as):
    login_as("billing")
    page = client.get("/invoices/")
    assert page.status_code == 200
    assert "No invoices yet" in page.text and "Create the first invoice" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_list_search_filter_sort_and_fragment(client, login_as, make_customer, make_invoice):
    login_as("billing")
    acme, zeta = make_customer("Acme Ltd"), make_customer("Zeta GmbH")
    a1 = make_invoice(acme, status="finalized")
    a2 = make_invoice(acme, status="paid", issue_date=date.today() - timedelta(days=3))
    z1 = make_invoice(zeta, status="finalized", issue_date=date.today() - timedelta(days=60))
    page = client.get("/invoices/")
    assert numbers(page.text) == [a1.number, a2.number, z1.number]  # newest first
    assert numbers(client.get("/invoices/?q=zeta").text) == [z1.number]
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


def test_list_rows_include_the_email_icon_partial(client, login_as, make_invoice):
    login_as("billing")
    make_invoice()
    make_invoice()
    cells = re.findall(r'<td class="email-cell">(.*?)</td>', client.get("/invoices/").text,
                       re.S)
    assert len(cells) == 2 and all(cell.strip() for cell in cells)


def test_list_ignores_bad_arguments(client, login_as, make_invoice):
    login_as("billing")
    make_invoice()
    page = client.get("/invoices/?status=bogus&customer=x&from=2024-99-99&sort=drop&dir=up"
                      "&page=-3")
    assert page.status_code == 200 and len(numbers(page.text)) == 1


def test_no_match_says_so_and_offers_to_clear(client, login_as, make_invoice):
    login_as("billing")
    make_invoice()
    page = client.get("/invoices/?q=nothing-like-this")
    assert "No invoices match these filters" in page.text and "Clear filters" in page.text


def test_list_paginates(client, login_as, make_customer, make_invoice):
    login_as("billing")
    customer = make_customer()
    for _ in range(27):
        make_invoice(customer)
    first = client.get("/invoices/?sort=number&dir=asc")
    assert len(numbers(first.text)) == 25 and "Page 1 of 2" in first.text
    second = client.get("/invoices/?sort=number&dir=asc&page=2")
    assert numbers(second.text) == [f"{customer.id:04d}-0026", f"{customer.id:04d}-0027"]


def test_staff_list_shows_only_their_customers_invoices(client, login_as, make_customer,
                                                         make_invoice, make_user):
    staff = login_as("staff")
    mine = make_invoice(make_customer("Mine", owner=staff))
    make_invoice(make_customer("Theirs", owner=make_user("staff")))
    make_invoice(make_customer("Nobody's"))
    page = client.get("/invoices/")
    assert numbers(page.text) == [mine.number]
    assert "Theirs" not in page.text  # not even in the customer filter
