"""Interactions per staff member and week, email outcomes per staff member."""
from __future__ import annotations

from datetime import date

import pytest

from app.reports import activity
from app.reports.sql import Window
from tests.factories import add_events, at, make_customer, make_invoice, make_message, make_note

SPAN = Window(date(2026, 11, 23), date(2026, 12, 13))  # three whole weeks, Monday to Sunday


@pytest.fixture
def office(db, make_user):
    admin = make_user("admin")
    ann, bob = make_user("staff", name="Ann"), make_user("staff", name="Bob")
    mine, theirs = make_customer(owner=ann), make_customer(owner=bob)
    for customer, author, when, kind in (
        (mine, ann, at("2026-11-23", "00:00"), "call"),       # Monday of the first week
        (mine, ann, at("2026-11-29", "23:59"), "email"),      # Sunday: still the first week
        (mine, ann, at("2026-11-30", "08:00"), "meeting"),    # second week
        (theirs, bob, at("2026-12-13", "18:00"), "call"),     # third week
        (theirs, ann, at("2026-12-01"), "call"),              # Ann on Bob's customer
        (mine, bob, at("2026-11-22", "23:59"), "call"),       # before the window
    ):
        make_note(customer, author=author, occurred_at=when, kind=kind)
    inv_mine, inv_theirs = make_invoice(mine), make_invoice(theirs)
    for user, invoice, day, events in (
        (ann, inv_mine, "2026-11-24", [("sent", "10:00"), ("opened", "11:00")]),
        (ann, inv_mine, "2026-11-25", [("sent", "10:00"), ("rejected", "10:05")]),
        (ann, inv_theirs, "2026-11-26", [("sent", "10:00")]),
        (bob, inv_theirs, "2026-12-02", [("sent", "10:00"), ("delayed", "10:01")]),
    ):
        message = make_message(invoice, user=user, created=at(day))
        add_events(message, *[(kind, at(day, clock)) for kind, clock in events])
    return {"admin": admin, "ann": ann, "bob": bob}


def test_notes_per_staff_member_and_week(office):
    weeks, rows = activity.notes_per_week(office["admin"], SPAN)
    assert weeks == ["2026-11-23", "2026-11-30", "2026-12-07"]
    table = {r.name: [r.counts[w] for w in weeks] for r in rows}
    assert table == {"Ann": [2, 2, 0], "Bob": [0, 0, 1]}
    assert activity.notes_by_kind(office["admin"], SPAN) == {"call": 3, "email": 1,
                                                             "meeting": 1}


def test_email_outcomes_per_staff_member(office):
    rows = {r.name: r.counts for r in activity.email_outcomes(office["admin"], SPAN)}
    assert rows["Ann"] == {"queued": 0, "sent": 1, "delayed": 0, "opened": 1, "rejected": 1,
                           "spam": 0}
    assert rows["Bob"]["delayed"] == 1 and sum(rows["Bob"].values()) == 1


def test_staff_see_only_their_own_activity_on_their_customers(office):
    weeks, rows = activity.notes_per_week(office["ann"], SPAN)
    assert [(r.name, r.total) for r in rows] == [("Ann", 3)]  # not her note on Bob's customer
    outcomes = activity.email_outcomes(office["ann"], SPAN)
    assert [(r.name, r.total) for r in outcomes] == [("Ann", 2)]
