"""A failed delivery in a bookkeeper's words: what happened, whose problem, what to check.

The reasons and their classes are `app.events.reasons`'; this module only says them.
Templates read these functions (as globals), the exports too, so every screen and file
says the same thing.
"""
from __future__ import annotations

from app.events import reasons
from app.events.reasons import ADDRESS, MAILBOX, MESSAGE, OFFICE, OTHER

# What follows "Rejected — " or "Delayed — ". Every reason of the table has its words
# (tests/mail/test_failures.py fails when one is missing).
REASON_WORDS: dict[str, str] = {
    "userunknown": "the address does not exist",
    "hostunknown": "the address's domain does not exist",
    "hasmoved": "the person has moved to another address",
    "notaccept": "the address's domain accepts no mail",
    "mailboxfull": "the mailbox is full",
    "suspend": "the mailbox is suspended or disabled",
    "exceedlimit": "the email is larger than this mailbox accepts",
    "blocked": "the receiving server refused mail from your office (blocked)",
    "spamdetected": "the receiving server took the email for spam",
    "policyviolation": "the receiving server's rules refused mail from your office",
    "authfailure": "your office's sender checks failed (SPF, DKIM or DMARC)",
    "requireptr": "your office's mail server has no reverse DNS name",
    "badreputation": "the receiving server distrusts your office's mail server",
    "ratelimited": "your office sent too much at once; the receiving server slowed it down",
    "norelaying": "the server would not pass on mail from your office",
    "securityerror": "a security check refused mail from your office",
    "rejected": "the receiving server refused your office's sender address",
    "notcompliantrfc": "the receiving server found the email's format wrong",
    "failedstarttls": "no secure connection could be made to the receiving server",
    "contenterror": "the receiving server refused the email's content",
    "virusdetected": "the receiving server found a virus in the email",
    "emailtoolarge": "the email is too large for the receiving server",
    "expired": "delivery was tried for too long and given up",
    "networkerror": "the receiving server could not be reached",
    "systemerror": "the receiving server had a problem",
    "systemfull": "the receiving server is out of space",
    "mailererror": "the mail software could not send it",
    "syntaxerror": "the mail servers did not understand each other",
    "filtered": "the recipient's mail filter refused it",
    "onhold": "the email is held by the receiving server",
    "suppressed": "not sent: the address is blocked after an earlier bounce or complaint",
    "undefined": "no reason given",
}

# Whose problem, in a few words: the class filter's options and the report's sub-label.
CLASS_WORDS: dict[str, str] = {
    ADDRESS: "The address is wrong",
    MAILBOX: "The mailbox can't take mail",
    OFFICE: "Your office was refused",
    MESSAGE: "This email was refused",
    OTHER: "Another problem",
}

# What the office should check when the receiving side refused *it* (class office).
_OFFICE_CHECKS: dict[str, str] = {
    "authfailure": "Ask whoever runs your mail to check your domain's SPF, DKIM and DMARC "
                   "records: the receiving server could not confirm the email is yours.",
    "requireptr": "Ask whoever runs your mail to give your mail server a reverse DNS (PTR) "
                  "name that matches its own name.",
    "ratelimited": "Send fewer emails at once to this provider, or ask whoever runs your "
                   "mail to spread them out.",
    "failedstarttls": "Ask whoever runs your mail to check its TLS (encryption) settings "
                      "and certificate.",
}
_OFFICE_DEFAULT = ("Ask whoever runs your mail to check that your mail server's address is "
                   "on no blocklist (Spamhaus and others), that your domain's SPF, DKIM and "
                   "DMARC records are right, and that the server has a reverse DNS (PTR) "
                   "name. The customer's address was not changed.")


def words(reason: str | None) -> str:
    return REASON_WORDS[reasons.canonical(reason)]


def is_unknown(reason: str | None) -> bool:
    return reasons.canonical(reason) == "undefined"


def failure_text(event_type: str, reason: str | None) -> str:
    """"Rejected — the address does not exist"; "Delayed — the mailbox is full"."""
    head = {"rejected": "Rejected", "delayed": "Delayed"}.get(event_type, event_type.title())
    return f"{head} — {words(reason)}"


def class_words(failure_class: str | None) -> str:
    return CLASS_WORDS.get(failure_class or "", "")


def office_checks(reason: str | None) -> str:
    """What to check when a receiving server refused mail from the office itself."""
    return _OFFICE_CHECKS.get(reasons.canonical(reason), _OFFICE_DEFAULT)


def size_text(size: int | None) -> str:
    """An email's size as a bookkeeper reads it: "3.2 MB", "640 KB"."""
    if not size:
        return ""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


def failure_class(message) -> str | None:
    """The class of an email's last rejection (an EmailMessage with its events), or None
    when it was not rejected."""
    if message.status != "rejected":
        return None
    rejections = [e for e in message.events if e.type == "rejected"]
    if not rejections:
        return OTHER
    last = max(rejections, key=lambda e: (e.occurred_at, e.id))
    return last.failure_class or reasons.class_of(last.reason)
