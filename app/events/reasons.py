"""Why a recipient failed, and whose problem that is: one reason and one class.

Reasons use Sisimai's vocabulary (its old names are accepted as aliases); every reason
belongs to exactly one class, and ``REASON_CLASS`` is the only definition of a hard
bounce in the code: a failure of class ``address`` means the address is wrong or gone.
What follows from each class happens in one place, ``app.mail.consequences``.

Pure: the parser, the webhooks, the worker and the tests call ``reason_for`` directly.
"""

from __future__ import annotations

import re

from app.events.reason_text import WEAK_USERUNKNOWN, normalise, text_reason

ADDRESS, MAILBOX, OFFICE, MESSAGE, OTHER = "address", "mailbox", "office", "message", "other"
CLASSES = (ADDRESS, MAILBOX, OFFICE, MESSAGE, OTHER)

# Every reason, with its class. A test fails when a reason lacks one.
REASON_CLASS: dict[str, str] = {
    # The address is wrong or gone.
    "userunknown": ADDRESS,
    "hostunknown": ADDRESS,
    "hasmoved": ADDRESS,
    "notaccept": ADDRESS,
    # It exists but cannot take mail now.
    "mailboxfull": MAILBOX,
    "suspend": MAILBOX,
    "exceedlimit": MAILBOX,
    # The receiving side refused us (the sending office), not the customer's address.
    "blocked": OFFICE,
    "spamdetected": OFFICE,
    "policyviolation": OFFICE,
    "authfailure": OFFICE,
    "requireptr": OFFICE,
    "badreputation": OFFICE,
    "ratelimited": OFFICE,
    "norelaying": OFFICE,
    "securityerror": OFFICE,
    "rejected": OFFICE,
    "notcompliantrfc": OFFICE,
    "failedstarttls": OFFICE,
    # This message was refused.
    "contenterror": MESSAGE,
    "virusdetected": MESSAGE,
    "emailtoolarge": MESSAGE,
    # Nobody's fault we can name.
    "expired": OTHER,
    "networkerror": OTHER,
    "systemerror": OTHER,
    "systemfull": OTHER,
    "mailererror": OTHER,
    "syntaxerror": OTHER,
    "filtered": OTHER,
    "onhold": OTHER,
    "suppressed": OTHER,
    "undefined": OTHER,
}

# Old and alternative names, as Sisimai and providers have used them.
ALIASES: dict[str, str] = {
    "toomanyconn": "ratelimited",
    "speeding": "ratelimited",
    "mesgtoobig": "emailtoolarge",
}

CLASS_LABELS: dict[str, str] = {
    ADDRESS: "The address is wrong or no longer exists",
    MAILBOX: "The mailbox exists but cannot take mail now",
    OFFICE: "The receiving server refused mail from your office",
    MESSAGE: "The receiving server refused this message",
    OTHER: "Another problem",
}

# RFC 3463 enhanced status codes (subject.detail) -> reason; the text may refine it.
_CODE_REASON: dict[str, str] = {
    "1.0": "userunknown", "1.1": "userunknown", "1.2": "hostunknown", "1.3": "userunknown",
    "1.4": "userunknown", "1.6": "hasmoved", "1.7": "rejected", "1.8": "rejected",
    "1.10": "notaccept",
    "2.0": "undefined", "2.1": "suspend", "2.2": "mailboxfull", "2.3": "exceedlimit",
    "2.4": "systemerror",
    "3.0": "systemerror", "3.1": "systemfull", "3.2": "notaccept", "3.3": "systemerror",
    "3.4": "emailtoolarge", "3.5": "systemerror",
    "4.0": "networkerror", "4.1": "networkerror", "4.2": "networkerror",
    "4.3": "networkerror", "4.4": "hostunknown", "4.5": "systemfull", "4.6": "networkerror",
    "4.7": "expired",
    "5.0": "syntaxerror", "5.1": "syntaxerror", "5.2": "syntaxerror", "5.3": "ratelimited",
    "5.4": "syntaxerror", "5.5": "syntaxerror", "5.6": "securityerror",
    "6.0": "contenterror", "6.1": "contenterror", "6.2": "contenterror",
    "6.3": "contenterror", "6.4": "contenterror", "6.5": "contenterror",
    "6.6": "contenterror", "6.7": "contenterror", "6.8": "contenterror",
    "6.9": "contenterror", "6.10": "contenterror",
    "7.0": "securityerror", "7.1": "securityerror", "7.2": "policyviolation",
    "7.3": "securityerror", "7.4": "securityerror", "7.5": "securityerror",
    "7.6": "securityerror", "7.7": "securityerror", "7.8": "securityerror",
    "7.9": "securityerror", "7.10": "failedstarttls", "7.11": "failedstarttls",
    "7.12": "securityerror", "7.13": "suspend", "7.14": "securityerror",
    "7.15": "policyviolation", "7.16": "emailtoolarge", "7.17": "hasmoved",
    "7.18": "hasmoved", "7.19": "undefined", "7.20": "authfailure", "7.21": "authfailure",
    "7.22": "authfailure", "7.23": "authfailure", "7.24": "authfailure",
    "7.25": "requireptr", "7.26": "authfailure", "7.27": "rejected", "7.28": "ratelimited",
    "7.29": "authfailure", "7.30": "failedstarttls",
}

# Codes too generic, or too often misused, to decide by themselves: the text decides when
# it can, the table only when it says nothing. X.1.10 is RFC 7505's null MX, but Microsoft
# 365 sends 5.1.10 for "RecipientNotFound"; 5.4.1 is "no answer from host", but Exchange
# Online's directory check answers "5.4.1 Recipient address rejected: Access denied", and
# Gmail's "5.4.5 Daily sending quota exceeded" is no "mail system congestion".
_VAGUE_CODES = frozenset({
    "0.0", "1.0", "1.10", "2.0", "3.0", "4.0", "4.1", "4.5", "5.0", "5.1", "5.2", "5.4", "6.0",
    "7.0", "7.1",
})
# Subjects whose vague codes still rule out the generic "mailbox unavailable" wording:
# a 5.7.x refusal with RFC 5321's stock 550 text is policy, not a missing mailbox.
_NOT_ADDRESS_SUBJECTS = frozenset({"3", "4", "6", "7"})

# The basic reply code when nothing else says anything (RFC 5321 4.2.2).
_BASIC_REPLY_REASON: dict[str, str] = {
    "552": "mailboxfull", "452": "mailboxfull", "421": "ratelimited", "554": "rejected",
    "551": "hasmoved",
}

# A temporary failure cannot prove a domain gone or refusing mail: DNS may just be slow.
_TRANSIENT_REASON = {"hostunknown": "networkerror", "notaccept": "systemerror"}

_ENHANCED_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")  # no IPs
_BASIC_RE = re.compile(r"(?<![\d.])([45]\d\d)(?:[ \-:;,)\]]|$)")


def canonical(reason: str | None) -> str:
    """The reason under its current name; an unknown one is ``undefined``."""
    name = (reason or "").strip().lower()
    name = ALIASES.get(name, name)
    return name if name in REASON_CLASS else "undefined"


def class_of(reason: str | None) -> str:
    return REASON_CLASS[canonical(reason)]


def is_hard(reason: str | None) -> bool:
    """A hard bounce: the address itself is wrong or gone (the ``address`` class)."""
    return class_of(reason) == ADDRESS


def reason_for(code: str | None, diagnostic: str | None = None, reply: str | None = None,
               *, context: str | None = None, guess: bool = True,
               temporary: bool = False) -> str:
    """The reason for one failed recipient, from its enhanced status code ("5.1.1"), the
    diagnostic text, the basic SMTP reply code ("550") and, when the diagnostic says
    nothing, the text around the recipient in the notice (``context``). Without ``guess``,
    a vague code or a bare reply code gives "undefined" instead of their usual meaning;
    ``temporary`` says the failure is known to be temporary (a delay) whatever the code."""
    texts = [t for t in (normalise(diagnostic), normalise(context)) if t]
    enhanced = _enhanced(code) or next(filter(None, map(_enhanced, texts)), None)
    basic = (reply or "").strip()[:3] or next(filter(None, map(_basic_in, texts)), "")
    transient = temporary or (enhanced or basic or "5")[0] == "4"
    reason = _decide(enhanced, basic, texts, transient, guess)
    if transient or any("try again" in t for t in texts):  # Postfix: "Host not found, try again"
        return as_temporary(reason)
    return reason


def as_temporary(reason: str) -> str:
    """The reason of a failure known to be temporary: it cannot prove a domain gone."""
    return _TRANSIENT_REASON.get(reason, reason)


def _decide(enhanced: str | None, basic: str, texts: list[str], transient: bool,
            guess: bool) -> str:
    subject, _, detail = (enhanced or "").partition(".")[2].partition(".")
    key = f"{subject}.{detail}" if enhanced else ""
    said = next(filter(None, map(text_reason, texts)), None)
    if key and key not in _VAGUE_CODES and (key in _CODE_REASON or subject == "7"):
        # A precise code wins, except over a server that says it refused our sender.
        if said == "rejected" and REASON_CLASS[_CODE_REASON.get(key, "undefined")] == ADDRESS:
            return said
        if key in _CODE_REASON:
            return _CODE_REASON[key]
        return said or _CODE_REASON[f"{subject}.0"]  # X.7.nnn of one vendor's own
    if said:
        return said
    if (not transient and subject not in _NOT_ADDRESS_SUBJECTS
            and any(WEAK_USERUNKNOWN.search(t) for t in texts)):
        return "userunknown"
    if not guess:
        return "undefined"
    if key:
        return _CODE_REASON.get(key) or _CODE_REASON.get(f"{subject}.0", "undefined")
    return _BASIC_REPLY_REASON.get(basic, "undefined")


def _enhanced(code: str | None) -> str | None:
    match = _ENHANCED_RE.search(code or "")
    return ".".join(match.groups()) if match else None


def _basic_in(text: str) -> str:
    match = _BASIC_RE.search(text)
    return match.group(1) if match else ""


def reason_from_category(default: str, code: str | None = None, text: str | None = None, *,
                         within: tuple[str, ...] = ()) -> str:
    """A provider's own category first (``default``); the server's code and words may only
    make it more precise inside the classes ``within`` (the default's own class when empty),
    or stand in for a category that says nothing ("undefined")."""
    default = canonical(default)
    # A category that says nothing takes the code's usual meaning; one that says something
    # is only refined by words or a precise code, never by a vague code's guess.
    said = reason_for(code, text, guess=default == "undefined") if code or text else "undefined"
    if said == "undefined":
        return default
    if default == "undefined" or class_of(said) in (within or (class_of(default),)):
        return said
    return default
