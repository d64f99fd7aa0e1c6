"""Every reason and class has a bookkeeper's words."""
from __future__ import annotations

from app.events import reasons
from app.mail import failures


def test_every_reason_has_words_and_every_word_a_reason():
    assert set(failures.REASON_WORDS) == set(reasons.REASON_CLASS)
    assert set(failures.CLASS_WORDS) == set(reasons.CLASSES)


def test_failures_in_plain_words():
    assert failures.failure_text("rejected", "userunknown") == (
        "Rejected — the address does not exist")
    assert failures.failure_text("delayed", "mailboxfull") == "Delayed — the mailbox is full"
    assert failures.failure_text("rejected", "blocked") == (
        "Rejected — the receiving server refused mail from your office (blocked)")
    assert failures.failure_text("rejected", "mesgtoobig") == (
        "Rejected — the email is too large for the receiving server")  # an old name
    assert failures.failure_text("rejected", "no-such-reason").endswith("no reason given")


def test_office_refusals_say_what_to_check():
    assert "SPF, DKIM and DMARC" in failures.office_checks("authfailure")
    assert "reverse DNS" in failures.office_checks("requireptr")
    assert "blocklist" in failures.office_checks("blocked")


def test_sizes_read_as_people_say_them():
    assert failures.size_text(12_345_678) == "12.3 MB"
    assert failures.size_text(640_000) == "640 KB"
    assert failures.size_text(None) == ""
