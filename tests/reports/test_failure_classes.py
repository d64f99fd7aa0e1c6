"""The Invoice Email report by whose problem a failure was: filter, sub-label, exports."""
from __future__ import annotations

import csv
import io

import pytest

from app.reports import email_report
from app.reports.email_report import EmailFilters
from tests.conftest import login
from tests.factories import add_events, at, make_customer, make_invoice, make_message


@pytest.fixture
def failed(db, make_user):
    """Emails refused for the address, the mailbox and the office, one delayed by the
    office then delivered, one sent."""
    admin = make_user("admin")
    invoice = make_invoice(make_customer(company="Acme", kind="company"))
    m = {"admin": admin}
    for key, day, events in (
        ("address", "2026-11-02", [("rejected", at("2026-11-02", "10:00"),
                                    {"reason": "userunknown"})]),
        # Delayed by a full mailbox, then refused for good by the office's blocklisting:
        # the refusal decides.
        ("office", "2026-11-03", [("delayed", at("2026-11-03", "10:00"),
                                   {"reason": "mailboxfull"}),
                                  ("rejected", at("2026-11-03", "11:00"),
                                   {"reason": "blocked"})]),
        ("mailbox", "2026-11-04", [("delayed", at("2026-11-04", "10:00"),
                                    {"reason": "blocked"}),
                                   ("delayed", at("2026-11-04", "12:00"),
                                    {"reason": "mailboxfull"})]),
        ("delivered", "2026-11-05", [("delayed", at("2026-11-05", "10:00"),
                                      {"reason": "ratelimited"}),
                                     ("sent", at("2026-11-05", "11:00"),
                                      {"delivered": True})]),
    ):
        m[key] = make_message(invoice, created=at(day), to=f"{key}@acme.test")
        add_events(m[key], ("sent", at(day)), *events)
    return m


def _ids(user, **filters) -> set[int]:
    return {r.id for r in email_report.page_of_rows(EmailFilters(**filters), user).items}


def test_the_class_is_that_of_the_failure_deciding_the_status(failed):
    rows = {r.id: r for r in email_report.page_of_rows(EmailFilters(), failed["admin"]).items}
    assert (rows[failed["address"].id].status, rows[failed["address"].id].failure_class) == (
        "rejected", "address")
    assert rows[failed["office"].id].failure_reason == "blocked"
    assert (rows[failed["mailbox"].id].status, rows[failed["mailbox"].id].failure_reason) == (
        "delayed", "mailboxfull")
    assert rows[failed["delivered"].id].failure_class is None  # Sent: no failure shown
    assert email_report.failure_text(rows[failed["address"].id]) == (
        "Rejected — the address does not exist")


def test_filter_by_class(failed):
    admin = failed["admin"]
    assert _ids(admin, failure_class="address") == {failed["address"].id}
    assert _ids(admin, failure_class="office") == {failed["office"].id}
    assert _ids(admin, failure_class="mailbox") == {failed["mailbox"].id}
    assert _ids(admin, failure_class="message") == set()
    assert _ids(admin, failure_class="office", status="delayed") == set()
    assert email_report.bounded_count(EmailFilters(failure_class="office"), admin) == (1, False)
    mix = email_report.status_mix(EmailFilters(failure_class="mailbox"), admin,
                                  at("2026-12-15").date())
    assert sum(m.counts.get("delayed", 0) for m in mix) == 1
    assert sum(m.total for m in mix) == 1


def test_an_unknown_class_is_a_message_not_an_error():
    filters, errors = EmailFilters.parse({"class": "nonsense"})
    assert filters.failure_class is None and errors == ["Whose problem: “nonsense” is not a "
                                                         "valid choice."]


def test_the_page_filters_by_class_and_says_why_under_the_status(client, failed):
    login(client, failed["admin"].email)
    page = client.get("/reports/accounting?class=address")
    assert page.status_code == 200
    assert f'data-message="{failed["address"].id}"' in page.text
    assert f'data-message="{failed["office"].id}"' not in page.text
    assert "the address does not exist" in page.text and "The address is wrong" in page.text
    assert '<option value="address" selected>' in page.text
    # The Sent Status filter keeps its five statuses and Queued.
    statuses = page.text.split('name="status"')[1].split("</select>")[0]
    assert statuses.count("<option") == 7  # "Any" and six


def test_exports_carry_reason_and_class(client, failed):
    login(client, failed["admin"].email)
    response = client.get("/reports/accounting/export/csv?class=office")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    header = rows[0]
    assert header[-4:] == ["Failure reason", "Failure class", "Failure in words",
                           "Sent Status"]
    assert len(rows) == 2
    assert rows[1][-4:] == ["blocked", "office", "Rejected — the receiving server refused "
                            "mail from your office (blocked)", "Rejected"]
    xlsx = client.get("/reports/accounting/export/xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
