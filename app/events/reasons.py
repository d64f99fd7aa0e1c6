"""Why a recipient failed, and whose problem that is: one reason and one class.

Reasons use Sisimai's vocabulary (its old names are accepted as aliases); every reason
belongs to exactly one class, and ``REASON_CLASS`` is the only definition of a hard
bounce in the code: a failure of class ``address`` means the address is wrong or gone.
What follows from each class happens in one place, ``app.mail.consequences``.

Pure: the parser, the webhooks, the worker and the tests call ``reason_for`` directly.
"""

from __future__ import annotations

import re

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

# Codes too generic to decide anything by themselves: the text decides when it can.
_VAGUE_CODES = frozenset({"1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "7.1"})

# Diagnostic wording -> reason, first match wins. Extend with care: each pattern is a
# claim about whose problem a failure is.
_TEXT_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in (
        ("virusdetected", r"\bvirus|malware|infected"),
        ("authfailure", r"\b(spf|dkim|dmarc)\b"),
        ("requireptr", r"reverse dns|\bptr\b|no rdns"),
        ("norelaying", r"relay(ing)? (access )?(denied|not permitted|not allowed)"),
        ("ratelimited", r"too many (connections|messages)|rate limit|try again later"),
        ("spamdetected", r"\bspam\b|junk mail"),
        ("blocked", r"block(ed|list)|blacklist|\brbl\b|spamhaus|denied by policy"),
        ("emailtoolarge", r"(message|mail|size) (is )?too (big|large)|exceeds? .*size"),
        ("mailboxfull", r"mailbox (is )?full|over ?quota|quota exceeded|insufficient storage"),
        ("suspend", r"(account|mailbox) (is )?(disabled|suspended|inactive|deactivated)"),
        ("hostunknown", r"host (or domain name )?not found|domain (does not|doesn't) exist"
                        r"|no mx|unrouteable|unroutable"),
        ("userunknown", r"user(name)? unknown|unknown user|no such (user|mailbox|recipient)"
                        r"|does not exist|doesn't exist|not a valid (user|mailbox|recipient)"
                        r"|invalid (recipient|mailbox|address)|address rejected"
                        r"|recipient (address )?rejected|mailbox unavailable|not found"),
        ("expired", r"retry timeout|delivery time expired|gave up|too long"),
    )
)

_BASIC_REPLY_REASON: dict[str, str] = {
    "552": "mailboxfull", "452": "mailboxfull", "421": "ratelimited", "554": "rejected",
}


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


def reason_for(code: str | None, diagnostic: str | None = None,
               reply: str | None = None) -> str:
    """The reason for one failed recipient, from its enhanced status code ("5.1.1"), the
    diagnostic text and the basic SMTP reply code ("550")."""
    text = diagnostic or ""
    parts = (code or "").split(".")
    detail = ".".join(parts[1:3]) if len(parts) == 3 else ""
    if detail in _CODE_REASON and detail not in _VAGUE_CODES:
        return _CODE_REASON[detail]
    for reason, pattern in _TEXT_REASONS:
        if pattern.search(text):
            return reason
    if detail in _CODE_REASON:
        return _CODE_REASON[detail]
    basic = (reply or "").strip()[:3] or _reply_code(text)
    return _BASIC_REPLY_REASON.get(basic, "undefined")


def _reply_code(text: str) -> str:
    match = re.match(r"\s*([245]\d\d)\b", text)
    return match.group(1) if match else ""
