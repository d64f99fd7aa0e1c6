"""The reason and class of a failed recipient: one complete table."""
from __future__ import annotations

import pytest

from app.events import reasons
from app.events.reasons import CLASSES, REASON_CLASS, canonical, class_of, is_hard, reason_for

# Sisimai's vocabulary of failure reasons (current names) plus `suppressed` (a provider's
# own suppression list); every one must have a class.
VOCABULARY = {
    "userunknown", "hostunknown", "hasmoved", "notaccept", "mailboxfull", "suspend",
    "exceedlimit", "blocked", "spamdetected", "policyviolation", "authfailure", "requireptr",
    "badreputation", "ratelimited", "norelaying", "securityerror", "rejected",
    "notcompliantrfc", "failedstarttls", "contenterror", "virusdetected", "emailtoolarge",
    "expired", "networkerror", "systemerror", "systemfull", "mailererror", "syntaxerror",
    "filtered", "onhold", "suppressed", "undefined",
}


def test_every_reason_has_exactly_one_known_class():
    assert set(REASON_CLASS) == VOCABULARY
    assert set(REASON_CLASS.values()) <= set(CLASSES)
    assert set(reasons.CLASS_LABELS) == set(CLASSES)


def test_every_reason_the_code_can_produce_is_in_the_table():
    produced = set(reasons._CODE_REASON.values()) | set(reasons._BASIC_REPLY_REASON.values())
    produced |= {reason for reason, _ in reasons._TEXT_REASONS}
    assert produced <= set(REASON_CLASS)


@pytest.mark.parametrize("old, new", [
    ("toomanyconn", "ratelimited"), ("speeding", "ratelimited"),
    ("mesgtoobig", "emailtoolarge"), ("MailboxFull", "mailboxfull"), ("nonsense", "undefined"),
    (None, "undefined"),
])
def test_old_names_are_accepted(old, new):
    assert canonical(old) == new


def test_only_the_address_class_is_a_hard_bounce():
    hard = {reason for reason in REASON_CLASS if is_hard(reason)}
    assert hard == {"userunknown", "hostunknown", "hasmoved", "notaccept"}


@pytest.mark.parametrize("code, text, reason, klass", [
    ("5.1.1", "550 5.1.1 <a@b.c>: Recipient address rejected", "userunknown", "address"),
    ("5.2.2", "552 5.2.2 Mailbox full", "mailboxfull", "mailbox"),
    ("5.7.1", "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org",
     "blocked", "office"),
    ("5.7.26", "550 5.7.26 Unauthenticated email is not accepted", "authfailure", "office"),
    ("5.3.4", "552 5.3.4 Message size exceeds fixed limit", "emailtoolarge", "message"),
    ("4.4.7", "Delivery time expired", "expired", "other"),
    (None, "550 That's not a valid user here.", "userunknown", "address"),
    (None, "", "undefined", "other"),
])
def test_reason_from_code_and_text(code, text, reason, klass):
    assert reason_for(code, text) == reason
    assert class_of(reason_for(code, text)) == klass
