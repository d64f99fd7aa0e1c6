"""The rule that sums up one send's recipients in one line (the list icon, the invoice page,
the report): a problem first with how many it affects, otherwise the furthest progress."""
from itertools import combinations_with_replacement, permutations

import pytest

from app.events.status import (
    STATUS_LABELS, SUMMARY_PROBLEMS, SUMMARY_PROGRESS, Status, summarise,
)

Q, S, D, O, R, M = ("queued", "sent", "delayed", "opened", "rejected", "spam")

TABLE = [
    # recipients' statuses -> status shown, label
    ((Q,), Q, "Queued"),
    ((S,), S, "Sent"),
    ((D,), D, "Delayed"),
    ((O,), O, "Opened"),
    ((R,), R, "Rejected"),
    ((M,), M, "Marked Spam"),
    # every recipient alike: the status alone
    ((S, S), S, "Sent"),
    ((S, S, S), S, "Sent"),
    ((O, O, O), O, "Opened"),
    ((R, R), R, "Rejected"),
    ((Q, Q), Q, "Queued"),
    # no problem: the furthest progress, counted
    ((S, O), O, "1 of 2 opened"),
    ((O, S, O), O, "2 of 3 opened"),
    ((O, Q, S), O, "1 of 3 opened"),
    ((Q, S), S, "1 of 2 sent"),
    ((S, Q, S), S, "2 of 3 sent"),
    # a problem outranks any progress, with how many it affects
    ((R, O, S), R, "Rejected · 1 of 3"),
    ((O, O, R), R, "Rejected · 1 of 3"),
    ((R, R, S), R, "Rejected · 2 of 3"),
    ((D, O), D, "Delayed · 1 of 2"),
    ((D, Q, S), D, "Delayed · 1 of 3"),
    ((M, O), M, "Marked Spam · 1 of 2"),
    # problems among themselves: Marked Spam, then Rejected, then Delayed
    ((D, R), R, "Rejected · 1 of 2"),
    ((R, M, D), M, "Marked Spam · 1 of 3"),
    ((D, D, R), R, "Rejected · 1 of 3"),
    ((M, M, R), M, "Marked Spam · 2 of 3"),
]


@pytest.mark.parametrize(("statuses", "shown", "label"), TABLE,
                         ids=["-".join(row[0]) for row in TABLE])
def test_summary_table(statuses, shown, label):
    summary = summarise(statuses)
    assert summary.status is Status(shown)
    assert summary.label == label
    assert summary.total == len(statuses)
    assert summary.count == statuses.count(shown)


def test_no_recipients_no_summary():
    assert summarise([]) is None


def test_detail_counts_every_recipient_in_rule_order():
    assert summarise([S, R, O, O]).detail == "1 rejected, 2 opened, 1 sent"
    assert summarise([Q]).detail == "1 queued"
    assert summarise([D, M]).detail == "1 marked spam, 1 delayed"


# Every send of up to four recipients, in every order: checked against the rule's words.
ALL_SENDS = [combo for n in range(1, 5) for combo in combinations_with_replacement(Status, n)]


@pytest.mark.parametrize("statuses", ALL_SENDS, ids=lambda c: "-".join(s.value for s in c))
def test_rule_holds_for_every_send(statuses):
    summary = summarise(statuses)
    problems = [p for p in SUMMARY_PROBLEMS if p in statuses]
    # Never a sixth status: what shows is one of the recipients' own statuses.
    assert summary.status in Status and summary.status in statuses
    if problems:
        assert summary.status is problems[0]
    else:
        assert summary.status is next(p for p in SUMMARY_PROGRESS if p in statuses)
    count = statuses.count(summary.status)
    assert (summary.count, summary.total) == (count, len(statuses))
    word = STATUS_LABELS[summary.status]
    if count == len(statuses):
        assert summary.label == word
    elif problems:
        assert summary.label == f"{word} · {count} of {len(statuses)}"
    else:
        assert summary.label == f"{count} of {len(statuses)} {word.lower()}"
    # The order the recipients come in never matters.
    assert {summarise(list(order)) for order in permutations(statuses)} == {summary}


def test_rule_orders_cover_every_status_once():
    assert sorted(SUMMARY_PROBLEMS + SUMMARY_PROGRESS) == sorted(Status)
