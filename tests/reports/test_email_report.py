"""The Invoice Email report's rows, filters, counts and status mix, against hand-made emails."""
from __future__ import annotations

from datetime import date

import pytest

from app.reports import email_report
from app.reports.email_report import EmailFilters
from app.reports.sql import month_of, week_of
from tests.factories import add_events, at, make_customer, make_invoice, make_message
from tests.reports.conftest import TODAY


@pytest.fixture
def emails(db, make_user):
    """Six emails whose statuses were worked out by hand from their events."""
    admin, ann, bob = make_user("admin"), make_user("staff", name="Ann"), \
        make_user("staff", name="Bob")
    acme = make_customer(kind="company", company="Acme", owner=ann)
    zed = make_customer(first_name="Zed", last_name="Zimmer", owner=bob)
    i1, i2 = make_invoice(acme), make_invoice(zed)
    m = {}
    # Opened: events arrive out of order (the open first, then older delivery events).
    m["opened"] = make_message(i1, user=ann, created=at("2026-10-05"), to="a@acme.test")
    add_events(m["opened"], ("opened", at("2026-10-06", "09:00")))
    add_events(m["opened"], ("delayed", at("2026-10-05", "10:05")),
               ("sent", at("2026-10-05", "10:00")))
    # Sent: a delay, the same delay reported again (stored once), then delivery.
    m["sent"] = make_message(i1, user=ann, created=at("2026-11-02"), to="b@acme.test")
    add_events(m["sent"], ("sent", at("2026-11-02")), ("delayed", at("2026-11-02", "10:10")))
    add_events(m["sent"], ("delayed", at("2026-11-02", "10:10")),
               ("sent", at("2026-11-02", "11:00"), {"delivered": True}))
    # Automated opens only (a privacy proxy): still "Sent", counted apart.
    m["auto"] = make_message(i2, user=bob, created=at("2026-11-20"), to="z@zed.test")
    add_events(m["auto"], ("sent", at("2026-11-20")),
               ("opened", at("2026-11-20", "10:01"), {"automated": True}),
               ("opened", at("2026-11-21", "08:00"), {"automated": True}))
    # Rejected after an automated click; clicks by scanners are not counted as clicks.
    m["rejected"] = make_message(i2, user=bob, created=at("2026-11-25"), to="y@zed.test")
    add_events(m["rejected"], ("sent", at("2026-11-25")),
               ("clicked", at("2026-11-25", "10:02"), {"automated": True}),
               ("rejected", at("2026-11-25", "10:30")))
    # Marked spam outranks a human open and a click.
    m["spam"] = make_message(i2, user=ann, created=at("2026-12-01"), to="x@zed.test")
    add_events(m["spam"], ("sent", at("2026-12-01")), ("opened", at("2026-12-01", "11:00")),
               ("clicked", at("2026-12-01", "11:01")), ("spam", at("2026-12-01", "11:02")))
    # Queued: never sent, no events.
    m["queued"] = make_message(i1, user=admin, created=at("2026-12-14"), state="queued")
    return {"admin": admin, "ann": ann, "bob": bob, "acme": acme, "zed": zed, **m}


def _rows(user, **filters):
    return email_report.page_of_rows(EmailFilters(**filters), user).items


def test_statuses_and_counters_come_from_the_event_pipeline(emails):
    rows = {r.id: r for r in _rows(emails["admin"])}
    expected = {  # status, human opens, automated opens, clicks, last event
        "opened": ("opened", 1, 0, 0, "opened"),
        "sent": ("sent", 0, 0, 0, "sent"),
        "auto": ("sent", 0, 2, 0, "opened"),
        "rejected": ("rejected", 0, 0, 0, "rejected"),
        "spam": ("spam", 1, 0, 1, "spam"),
        "queued": ("queued", 0, 0, 0, ""),
    }
    for key, (status, human, automated, clicks, last) in expected.items():
        row = rows[emails[key].id]
        assert (row.status, row.human_opens, row.automated_opens, row.clicks,
                row.last_event_type) == (status, human, automated, clicks, last), key


def test_rows_newest_first_with_names(emails):
    rows = _rows(emails["admin"])
    assert [r.id for r in rows] == [emails[k].id for k in
                                    ("queued", "spam", "rejected", "auto", "sent", "opened")]
    assert email_report.customer_name(rows[1]) == "Zed Zimmer"
    assert email_report.customer_name(rows[0]) == "Acme"
    assert email_report.staff_name(rows[0]) == emails["admin"].name


def test_filters(emails):
    admin = emails["admin"]
    assert [r.id for r in _rows(admin, status="sent")] == [emails["auto"].id, emails["sent"].id]
    assert {r.id for r in _rows(admin, customer_id=emails["acme"].id)} == \
        {emails[k].id for k in ("opened", "sent", "queued")}
    assert {r.id for r in _rows(admin, staff_id=emails["bob"].id)} == \
        {emails["auto"].id, emails["rejected"].id}
    assert {r.id for r in _rows(admin, customer_text="zimm")} == \
        {emails[k].id for k in ("auto", "rejected", "spam")}
    assert {r.id for r in _rows(admin, customer_text="zimmer zed")} == \
        {emails[k].id for k in ("auto", "rejected", "spam")}  # terms in any order
    assert _rows(admin, customer_text="100%_") == []  # LIKE wildcards are taken literally
    # The "to" day is included whole; "from" starts at midnight UTC.
    assert {r.id for r in _rows(admin, date_from=date(2026, 11, 2),
                                date_to=date(2026, 11, 25))} == \
        {emails[k].id for k in ("sent", "auto", "rejected")}


def test_sorting_by_opens_and_customer(emails):
    admin = emails["admin"]
    by_opens = _rows(admin, sort="opens", descending=True)
    assert [r.human_opens for r in by_opens] == [1, 1, 0, 0, 0, 0]
    by_customer = _rows(admin, sort="customer", descending=False)
    assert [email_report.customer_name(r) for r in by_customer] == ["Acme"] * 3 + ["Zed Zimmer"] * 3


def test_count_is_bounded_and_says_so(emails):
    assert email_report.bounded_count(EmailFilters(), emails["admin"], bound=4) == (4, True)
    assert email_report.bounded_count(EmailFilters(), emails["admin"], bound=6) == (6, False)
    page = email_report.page_of_rows(EmailFilters(page=2), emails["admin"], per_page=4)
    assert (page.page, page.pages, len(page.items), page.bounded) == (2, 2, 2, False)


def test_status_mix_by_month(emails):
    mix = {m.month: m.counts for m in
           email_report.status_mix(EmailFilters(), emails["admin"], TODAY)}
    assert list(mix)[0] == "2026-01" and list(mix)[-1] == "2026-12"
    assert mix["2026-10"] == {"opened": 1}
    assert mix["2026-11"] == {"sent": 2, "rejected": 1}
    assert mix["2026-12"] == {"spam": 1, "queued": 1}
    assert mix["2026-05"] == {}


def test_staff_sees_only_assigned_customers(emails):
    ann = emails["ann"]
    # Ann's customer is Acme: she sees its emails, whoever sent them, and nothing of Zed's.
    assert {r.id for r in _rows(ann)} == {emails[k].id for k in ("opened", "sent", "queued")}
    assert email_report.message_with_history(emails["spam"].id, ann) is None
    assert email_report.message_with_history(emails["sent"].id, ann) is not None


def test_history_lists_events_in_time_order(emails):
    message = email_report.message_with_history(emails["opened"].id, emails["admin"])
    assert [e.type for e in message.events] == ["sent", "delayed", "opened"]


@pytest.mark.parametrize("moment,month,week", [
    ("2026-11-30T23:59:00", "2026-11", "2026-11-30"),  # a Monday, last minute of November
    ("2026-12-06T23:00:00", "2026-12", "2026-11-30"),  # the Sunday closing that week
    ("2027-01-01T00:00:00", "2027-01", "2026-12-28"),
])
def test_month_and_week_buckets_in_utc(db, moment, month, week):
    from datetime import datetime, timezone

    from sqlalchemy import Date, literal, select

    from app.models import UTCDateTime

    value = literal(datetime.fromisoformat(moment).replace(tzinfo=timezone.utc), UTCDateTime)
    row = db.session.execute(select(month_of(value), week_of(value))).one()
    assert tuple(row) == (month, week)
    day = literal(datetime.fromisoformat(moment).date(), Date)
    assert db.session.scalar(select(month_of(day))) == month


def test_sent_by_lists_those_who_may_send_or_did(app, db, make_user):
    admin = make_user("admin", name="Ann Admin")
    sender = make_user("billing", name="Bea Billing")
    viewer = make_user("viewer", name="Vic Viewer")
    demoted = make_user("viewer", name="Dee Demoted")  # sent mail before becoming a viewer
    make_message(make_invoice(make_customer()), user=demoted)
    db.session.commit()
    names = [name for _id, name in email_report.staff_choices(admin)]
    assert names == ["Ann Admin", "Bea Billing", "Dee Demoted"]
    assert viewer.name not in names and sender.name in names
