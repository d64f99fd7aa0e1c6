from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.events.status import (
    EVENT_TYPES,
    STATUS_CSS,
    STATUS_LABELS,
    STATUS_RULES,
    STATUS_TABLE,
    EventFact,
    Status,
    derive_status,
    open_count,
)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fact(type_: str, seconds: float, *, automated: bool = False, delivered: bool = False) -> EventFact:
    return EventFact(type_, at(seconds), automated=automated, delivered=delivered)


# -- plain examples ---------------------------------------------------------


def test_no_events_is_queued():
    assert derive_status([]) is Status.QUEUED


def test_relay_acceptance_is_sent():
    assert derive_status([fact("sent", 0)]) is Status.SENT


def test_accepted_then_deferred_is_delayed():
    assert derive_status([fact("sent", 0), fact("delayed", 60)]) is Status.DELAYED


def test_delayed_then_delivered_is_sent():
    events = [fact("sent", 0), fact("delayed", 60), fact("sent", 600, delivered=True)]
    assert derive_status(events) is Status.SENT


def test_delayed_then_resent_through_relay_is_sent():
    # "sent after a delay" means the message moved on, whatever flavour of sent it is
    assert derive_status([fact("delayed", 0), fact("sent", 30)]) is Status.SENT


def test_delivered_then_later_delay_report_is_delayed():
    # e.g. one recipient delivered, another still being retried
    events = [fact("sent", 0, delivered=True), fact("delayed", 30)]
    assert derive_status(events) is Status.DELAYED


def test_delayed_then_failed_is_rejected():
    assert derive_status([fact("delayed", 0), fact("rejected", 3600)]) is Status.REJECTED


def test_delayed_then_opened_is_opened():
    assert derive_status([fact("delayed", 0), fact("opened", 10)]) is Status.OPENED


@pytest.mark.parametrize("kind", ["clicked", "viewed"])
def test_clicks_and_views_imply_opened(kind):
    assert derive_status([fact("sent", 0), fact(kind, 5)]) is Status.OPENED


def test_rejected_outranks_a_later_open():
    assert derive_status([fact("rejected", 0), fact("opened", 100)]) is Status.REJECTED


def test_spam_outranks_rejected_and_opened():
    events = [fact("opened", 0), fact("rejected", 1), fact("spam", -100)]
    assert derive_status(events) is Status.SPAM


def test_automated_open_is_not_opened_but_proves_delivery():
    events = [fact("sent", 0), fact("delayed", 10), fact("opened", 20, automated=True)]
    assert derive_status(events) is Status.SENT


def test_automated_click_alone_is_sent_not_opened():
    assert derive_status([fact("clicked", 3, automated=True)]) is Status.SENT


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (fact("sent", 0), fact("delayed", 0), Status.DELAYED),
        (fact("sent", 0, delivered=True), fact("delayed", 0), Status.SENT),
        (fact("sent", 0), fact("sent", 0, delivered=True), Status.SENT),
    ],
)
def test_same_instant_ties_follow_delivery_stage(first, second, expected):
    assert derive_status([first, second]) is expected
    assert derive_status([second, first]) is expected


def test_naive_and_aware_times_mix_as_utc():
    naive_later = EventFact("sent", (T0 + timedelta(seconds=5)).replace(tzinfo=None), delivered=True)
    assert derive_status([fact("delayed", 0), naive_later]) is Status.SENT
    naive_earlier = EventFact("sent", (T0 - timedelta(seconds=5)).replace(tzinfo=None))
    assert derive_status([fact("delayed", 0), naive_earlier]) is Status.DELAYED


def test_other_timezones_compare_by_instant():
    paris = timezone(timedelta(hours=2))
    # 10:30 in Paris is 08:30 UTC, i.e. before the 09:00 UTC delay
    early_delivery = EventFact("sent", datetime(2024, 5, 1, 10, 30, tzinfo=paris), delivered=True)
    assert derive_status([fact("delayed", 0), early_delivery]) is Status.DELAYED


def test_unknown_event_types_are_ignored():
    assert derive_status([EventFact("unsubscribed", T0)]) is Status.QUEUED
    assert derive_status([fact("sent", 0), EventFact("unsubscribed", at(5))]) is Status.SENT


def test_labels_css_and_table_cover_every_status():
    assert STATUS_LABELS[Status.SPAM] == "Marked Spam"
    assert STATUS_CSS[Status.SENT] == "status-sent"
    assert set(STATUS_LABELS) == set(Status) == set(STATUS_CSS)
    assert [rule.status for rule in STATUS_RULES] == [
        Status.SPAM,
        Status.REJECTED,
        Status.OPENED,
        Status.DELAYED,
        Status.SENT,
        Status.QUEUED,
    ]
    assert [row[0] for row in STATUS_TABLE] == [
        "Marked Spam", "Rejected", "Opened", "Delayed", "Sent", "Queued",
    ]
    assert all(row[2] for row in STATUS_TABLE)


# -- properties -------------------------------------------------------------

event_facts = st.builds(
    EventFact,
    type=st.sampled_from(sorted(EVENT_TYPES) + ["unsubscribed"]),
    # coarse times so that ties happen often
    occurred_at=st.integers(min_value=0, max_value=20).map(lambda s: at(s)),
    automated=st.booleans(),
    delivered=st.booleans(),
)
event_lists = st.lists(event_facts, max_size=12)


@given(event_lists, st.randoms())
def test_any_arrival_order_gives_the_same_status(events, rnd):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert derive_status(shuffled) is derive_status(events)


@given(event_lists, st.integers(min_value=-100, max_value=100))
def test_a_spam_report_always_wins(events, seconds):
    assert derive_status(events + [fact("spam", seconds)]) is Status.SPAM


@given(event_lists, st.integers(min_value=-100, max_value=100))
def test_a_rejection_wins_unless_spam(events, seconds):
    status = derive_status(events + [fact("rejected", seconds)])
    expected = Status.SPAM if any(e.type == "spam" for e in events) else Status.REJECTED
    assert status is expected


@given(event_lists, st.sampled_from(["opened", "clicked", "viewed"]), st.integers(-100, 100))
def test_a_human_open_gives_opened_unless_spam_or_rejected(events, kind, seconds):
    status = derive_status(events + [fact(kind, seconds)])
    if any(e.type in ("spam", "rejected") for e in events):
        assert status in (Status.SPAM, Status.REJECTED)
    else:
        assert status is Status.OPENED


@given(event_lists)
def test_automated_hits_never_make_opened(events):
    machine_only = [e for e in events if not (e.type in ("opened", "clicked", "viewed") and not e.automated)]
    assert derive_status(machine_only) is not Status.OPENED


@given(event_lists)
def test_delivery_after_every_other_stage_event_shows_sent(events):
    quiet = [e for e in events if e.type in ("sent", "delayed") or (e.type in ("opened", "clicked", "viewed") and e.automated)]
    assert derive_status(quiet + [fact("sent", 21, delivered=True)]) is Status.SENT


@given(event_lists)
def test_a_delay_after_every_other_stage_event_shows_delayed(events):
    quiet = [e for e in events if e.type in ("sent", "delayed") or (e.type in ("opened", "clicked", "viewed") and e.automated)]
    assert derive_status(quiet + [fact("delayed", 21)]) is Status.DELAYED


# -- counts agree with the status ---------------------------------------------


@pytest.mark.parametrize("opens, views, clicks, expected", [
    (0, 0, 0, 0), (2, 0, 0, 2), (0, 1, 0, 1), (1, 1, 3, 2), (0, 0, 3, 1)])
def test_views_count_as_opens_and_a_click_alone_as_one(opens, views, clicks, expected):
    assert open_count(opens, views, clicks) == expected


@given(event_lists)
def test_the_open_count_is_above_zero_exactly_when_a_person_opened(events):
    def people(kind):
        return sum(1 for e in events if e.type == kind and not e.automated)

    count = open_count(people("opened"), people("viewed"), people("clicked"))
    status = derive_status(events)
    if status not in (Status.SPAM, Status.REJECTED):
        assert (count > 0) == (status is Status.OPENED)
