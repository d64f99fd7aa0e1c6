"""Invoice numbers: one office series taken at finalize, gap-free under concurrency and
rollback, in the format the settings give; drafts have none."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app import clock, settings
from app.invoices import rules
from app.invoices.listing import InvoiceFilters, invoice_list_query
from app.invoices.money import LineInput
from app.invoices.numbering import format_number, number_key
from app.invoices.rules import InvoiceError
from app.models import Invoice, NumberCounter
from tests.factories import make_customer, make_invoice


def _draft(db, customer=None, issued=date(2026, 5, 1)):
    invoice = rules.create_invoice(
        db.session, customer or make_customer(), issue_date=issued,
        due_date=issued + timedelta(days=30),
        lines=[LineInput("Item", Decimal("1"), Decimal("10"))])
    db.session.commit()
    return invoice


def _finalize(db, invoice):
    rules.finalize(invoice)
    db.session.commit()
    return invoice.number


# -- format ------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, expected", [
    ("{year}-{seq:04}", "2026-0042"),
    ("INV-{seq:05}", "INV-00042"),
    ("{seq}", "42"),
    ("{year}/{seq:3}", "2026/042"),
    ("R{year}{seq:06}", "R2026000042"),
    ("{seq:02}", "42"),  # wider than the padding: printed whole
])
def test_format_variants(pattern, expected):
    assert format_number(pattern, year=2026, seq=42) == expected


def test_search_key_keeps_letters_and_digits_only():
    assert number_key("INV-00042") == "inv00042"
    assert number_key(" 2026 / 0042 ") == "20260042"


# -- taken at finalize -------------------------------------------------------------------

def test_drafts_have_no_number_and_finalizing_takes_the_next_of_one_series(db):
    a, b = make_customer(), make_customer()
    first, second, third = _draft(db, a), _draft(db, b), _draft(db, a)
    assert (first.issued_number, first.number) == (None, "Draft")
    rules.void(second)  # a voided draft takes no number: it leaves no gap
    db.session.commit()
    assert [_finalize(db, third), _finalize(db, first)] == ["2026-0001", "2026-0002"]
    assert second.issued_number is None
    assert (first.number_year, first.number_seq, first.number_key) == (2026, 2, "20260002")


def test_the_format_setting_and_yearly_restart(db):
    settings.update({"invoices.number_format": "INV-{seq:05}",
                     "invoices.number_restart_yearly": False})
    numbers = [_finalize(db, _draft(db, issued=day))
               for day in (date(2025, 12, 30), date(2026, 1, 2))]
    assert numbers == ["INV-00001", "INV-00002"]  # one counter over the years
    settings.update({"invoices.number_format": "{year}-{seq:03}",
                     "invoices.number_restart_yearly": True})
    numbers = [_finalize(db, _draft(db, issued=day))
               for day in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 5))]
    assert numbers == ["2025-001", "2026-001", "2026-002"]


def test_a_rolled_back_finalize_gives_its_number_back(db):
    _finalize(db, _draft(db))
    second, third = _draft(db), _draft(db)
    rules.finalize(second)
    assert second.number == "2026-0002"
    db.session.rollback()
    assert _finalize(db, third) == "2026-0002"
    db.session.refresh(second)
    assert (second.status, second.issued_number) == ("draft", None)
    assert _finalize(db, second) == "2026-0003"


def test_a_format_that_would_repeat_a_number_is_refused_and_takes_none(db):
    settings.update({"invoices.number_format": "INV-{seq}",
                     "invoices.number_restart_yearly": True})
    _finalize(db, _draft(db, issued=date(2025, 6, 1)))  # INV-1 of 2025
    again = _draft(db, issued=date(2026, 6, 1))  # would be INV-1 of 2026
    with pytest.raises(InvoiceError, match="INV-1 is already used"):
        rules.finalize(again)
    db.session.rollback()
    counter = db.session.get(NumberCounter, ("invoice", 2026))
    assert counter is None or counter.last_value == 0
    assert db.session.get(Invoice, again.id).status == "draft"


def test_finalizing_through_the_page_takes_the_number(client, login_as, db):
    login_as("billing")
    invoice = _draft(db)
    from tests.conftest import csrf_from
    page = client.get(f"/invoices/{invoice.id}")
    assert "Invoice Draft" in page.text
    response = client.post(f"/invoices/{invoice.id}/finalize",
                           data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).number == "2026-0001"
    assert "Invoice 2026-0001" in client.get(f"/invoices/{invoice.id}").text


@pytest.mark.parametrize("zone, expected", [("UTC", "2026-0001"),
                                            ("Europe/Berlin", "2027-0001")])
def test_the_year_is_the_office_time_zones(app, db, monkeypatch, client, login_as, zone,
                                           expected):
    """At 23:30 UTC on 31 December it is already the new year in Berlin: a new invoice
    there is dated 1 January and opens the new year's series."""
    app.config["TODAY"] = None
    monkeypatch.setattr(clock, "now",
                        lambda: datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc))
    settings.update({"office.time_zone": zone})
    login_as("billing")
    form = client.get("/invoices/new").text
    issued = clock.today()
    assert f'value="{issued.isoformat()}"' in form  # the date the form offers
    invoice = _draft(db, issued=issued)
    assert _finalize(db, invoice) == expected


# -- concurrency -------------------------------------------------------------------------

def _in_thread(app, work):
    """Run `work(session)` in a thread with its own app context and database connection."""
    from app.extensions import db as ext_db

    result: dict = {}

    def run():
        with app.app_context():
            try:
                result["value"] = work(ext_db.session)
            except BaseException as exc:  # reported by the caller
                result["error"] = exc
                ext_db.session.rollback()
            finally:
                ext_db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_concurrent_finalizations_take_consecutive_numbers(app, db):
    """The first finalize holds the counter until it commits; the second waits for it,
    then takes the next number (no clash, no gap)."""
    ids = [_draft(db).id for _ in range(2)]
    first_took, release = threading.Event(), threading.Event()
    second_started = threading.Event()

    def first(session):
        invoice = session.get(Invoice, ids[0])
        rules.finalize(invoice)
        first_took.set()
        release.wait(10)  # hold the transaction while the second tries
        session.commit()
        return invoice.number

    def second(session):
        first_took.wait(10)
        second_started.set()
        invoice = session.get(Invoice, ids[1])
        rules.finalize(invoice)
        session.commit()
        return invoice.number

    t1, r1 = _in_thread(app, first)
    t2, r2 = _in_thread(app, second)
    second_started.wait(10)
    t2.join(1.0)
    assert t2.is_alive(), "the second finalize did not wait for the first"
    release.set()
    t1.join(30)
    t2.join(30)
    assert "error" not in r1 and "error" not in r2, (r1, r2)
    assert (r1["value"], r2["value"]) == ("2026-0001", "2026-0002")


def test_a_waiting_finalize_takes_the_number_a_rolled_back_one_gave_back(app, db):
    ids = [_draft(db).id for _ in range(2)]
    first_took, release = threading.Event(), threading.Event()

    def first(session):
        rules.finalize(session.get(Invoice, ids[0]))
        first_took.set()
        release.wait(10)
        session.rollback()

    def second(session):
        first_took.wait(10)
        invoice = session.get(Invoice, ids[1])
        rules.finalize(invoice)
        session.commit()
        return invoice.number

    t1, r1 = _in_thread(app, first)
    t2, r2 = _in_thread(app, second)
    first_took.wait(10)
    t2.join(1.0)
    release.set()
    t1.join(30)
    t2.join(30)
    assert "error" not in r1 and "error" not in r2, (r1, r2)
    assert r2["value"] == "2026-0001"
    db.session.expire_all()
    assert db.session.get(Invoice, ids[0]).issued_number is None


def test_many_concurrent_finalizations_leave_no_gap(app, db):
    ids = [_draft(db).id for _ in range(12)]
    start = threading.Barrier(2)

    def work(mine):
        def run(session):
            start.wait(10)
            for invoice_id in mine:
                rules.finalize(session.get(Invoice, invoice_id))
                session.commit()
        return run

    threads = [_in_thread(app, work(ids[i::2])) for i in range(2)]
    for thread, _ in threads:
        thread.join(60)
    assert [r for _, r in threads if "error" in r] == []
    numbers = sorted(db.session.scalars(db.select(Invoice.number_seq)).all())
    assert numbers == list(range(1, 13))


def test_the_same_draft_finalized_twice_at_once_takes_one_number(app, db):
    invoice_id = _draft(db).id
    start = threading.Barrier(2)

    def run(session):
        start.wait(10)
        invoice = session.get(Invoice, invoice_id)
        rules.finalize(invoice)
        session.commit()
        return invoice.number

    threads = [_in_thread(app, run) for _ in range(2)]
    for thread, _ in threads:
        thread.join(30)
    results = [r for _, r in threads]
    assert sorted("value" in r for r in results) == [False, True]
    refused = next(r["error"] for r in results if "error" in r)
    assert isinstance(refused, InvoiceError) and "only drafts" in str(refused)
    assert db.session.get(NumberCounter, ("invoice", 2026)).last_value == 1


# -- drafts in the list ------------------------------------------------------------------

def _listed(user, **args):
    filters = InvoiceFilters.from_args(args)
    from app.extensions import db as ext_db
    return [i.number for i in ext_db.session.scalars(
        invoice_list_query(user, filters, date(2026, 6, 1)))]


def test_drafts_sort_after_the_series_and_search_finds_numbers_loosely(db, make_user):
    admin = make_user("admin")
    settings.update({"invoices.number_format": "INV-{seq:05}"})
    # No digits in the customer's name or address: the search looks there too.
    customer = make_customer(company="Zeta Works", kind="company",
                             emails=("accounts@zeta.example",))
    for seq in range(1, 12):
        make_invoice(customer)  # INV-00001 … INV-00011
    make_invoice(customer, status="draft")
    listed = _listed(admin, sort="number", dir="asc")
    assert listed[:3] == ["INV-00001", "INV-00002", "INV-00003"]
    assert listed[-2:] == ["INV-00011", "Draft"]
    assert _listed(admin, sort="number", dir="desc")[:2] == ["Draft", "INV-00011"]
    for typed in ("INV-00011", "inv 00011", "00011", "11", "INV00011"):
        assert _listed(admin, q=typed) == ["INV-00011"], typed
    assert _listed(admin, q="draft") == ["Draft"]
    assert _listed(admin, q="²") == []  # a digit to str.isdigit(), not to int()
    assert _listed(admin, q="1", sort="number", dir="asc") == [
        "INV-00001", "INV-00010", "INV-00011"]


def test_the_list_page_shows_drafts_as_draft(client, login_as, db):
    login_as("billing")
    make_invoice(status="draft")
    page = client.get("/invoices/?q=draft")
    assert page.status_code == 200
    assert ">Draft</a>" in page.text
