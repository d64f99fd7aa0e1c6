"""What the mail providers' own failure categories mean in our reasons (app.events.reasons).

Each entry is (reason, classes the server's words may refine it within). An empty tuple
means the category is exact; ``ANY`` means the category says little and the server's
words decide. Sources: SendGrid's bounce and block classifications and dropped reasons,
Mailgun's failed-event reasons and delivery codes, Postmark's bounce types, Amazon SES's
bounce types and subtypes and DeliveryDelay types, as each provider documents them.
"""

from __future__ import annotations

from app.events.reasons import ADDRESS, CLASSES, MAILBOX, MESSAGE, OFFICE, OTHER, reason_for
from app.events.reasons import reason_from_category as _category

ANY = CLASSES
Category = tuple[str, tuple[str, ...]]

SENDGRID_CLASSIFICATIONS: dict[str, Category] = {
    "invalid address": ("userunknown", (ADDRESS,)),
    "mailbox unavailable": ("suspend", (MAILBOX,)),  # full, inactive or disabled
    "reputation": ("badreputation", (OFFICE,)),
    "content": ("contenterror", (MESSAGE, OFFICE)),  # spam content is ours to fix too
    "frequency or volume too high": ("ratelimited", ()),
    "technical failure": ("systemerror", ANY),  # DNS, TLS, authentication: words decide
    "unclassified": ("undefined", ANY),
}
# "dropped": SendGrid did not send at all.
SENDGRID_DROPPED: dict[str, Category] = {
    "bounced address": ("suppressed", ()),
    "unsubscribed address": ("suppressed", ()),
    "spam reporting address": ("suppressed", ()),
    "invalid": ("userunknown", ()),  # not an email address at all
    "invalid smtpapi header": ("mailererror", ()),
    "spam content": ("spamdetected", ()),
    "recipient list over package quota": ("ratelimited", ()),
}

MAILGUN_REASONS: dict[str, Category] = {
    "suppress-bounce": ("suppressed", ()),
    "suppress-unsubscribe": ("suppressed", ()),
    "suppress-complaint": ("suppressed", ()),
    "old": ("expired", ()),  # retried until too old
    "greylisted": ("ratelimited", ()),
    "espblock": ("blocked", (OFFICE,)),
}
# Mailgun's own delivery-status codes (6xx): not sending to a suppressed address.
MAILGUN_CODES: dict[str, Category] = {
    "605": ("suppressed", ()), "606": ("suppressed", ()), "607": ("suppressed", ()),
}

POSTMARK_TYPES: dict[str, Category] = {
    "HardBounce": ("userunknown", (ADDRESS,)),
    "BadEmailAddress": ("userunknown", ()),
    "SoftBounce": ("mailboxfull", (MAILBOX, OTHER)),  # full, disabled, out of disk space
    "Transient": ("undefined", ANY),
    "DnsError": ("networkerror", ()),
    "Blocked": ("blocked", (OFFICE,)),
    "DMARCPolicy": ("authfailure", ()),
    "ManuallyDeactivated": ("suppressed", ()),
    "InactiveRecipient": ("suppressed", ()),
    "VirusNotification": ("virusdetected", ()),
    "ContentRelated": ("contenterror", (MESSAGE, OFFICE)),
    "SMTPApiError": ("mailererror", ()),
    "TemplateRenderingFailed": ("contenterror", ()),
    "Unknown": ("undefined", ANY),
    # Not failures of our delivery; kept so every documented type has a meaning.
    "AddressChange": ("hasmoved", ()),
    "AutoResponder": ("undefined", ()),
    "ChallengeVerification": ("onhold", ()),
}

SES_BOUNCE_SUBTYPES: dict[str, Category] = {
    "General": ("undefined", ANY),
    "NoEmail": ("userunknown", ()),
    "Suppressed": ("suppressed", ()),  # SES's global suppression list
    "OnAccountSuppressionList": ("suppressed", ()),
    "MailboxFull": ("mailboxfull", ()),
    "MessageTooLarge": ("emailtoolarge", ()),
    "ContentRejected": ("contenterror", (MESSAGE, OFFICE)),
    "AttachmentRejected": ("contenterror", ()),
    "Undetermined": ("undefined", ANY),
}
SES_DELAY_TYPES: dict[str, Category] = {
    "InternalFailure": ("systemerror", ()),
    "General": ("undefined", ANY),
    "MailboxFull": ("mailboxfull", ()),
    "SpamDetected": ("spamdetected", ()),
    "RecipientServerError": ("systemerror", ANY),
    "IPFailure": ("blocked", (OFFICE,)),
    "TransientCommunicationFailure": ("networkerror", ()),
    "BYOIPHostNameLookupUnavailable": ("networkerror", ()),
    "Undetermined": ("undefined", ANY),
    "SendingDeferral": ("ratelimited", ()),
}


def from_table(table: dict[str, Category], key: str | None, code: str | None,
               text: str | None) -> str:
    """The category's reason, refined by the server's words where the table allows; the
    words alone when the provider sent no category we know."""
    entry = table.get(key or "")
    if entry is None:
        return reason_for(code, text)
    reason, within = entry
    return _category(reason, code, text, within=within) if within else reason


def sendgrid_reason(item: dict, event: str, code: str | None, text: str | None) -> str:
    if event == "dropped":
        words = str(item.get("reason") or "").strip().lower()
        key = next((k for k in SENDGRID_DROPPED if words == k or words.startswith(k + " ")),
                   None)
        return from_table(SENDGRID_DROPPED, key, code, text)
    classification = str(item.get("bounce_classification") or "").strip().lower()
    if classification:
        return from_table(SENDGRID_CLASSIFICATIONS, classification, code, text)
    if event == "blocked" or item.get("type") == "blocked":
        return _category("blocked", code, text, within=(OFFICE,))
    return reason_for(code, text)


def mailgun_reason(reason: str | None, code: str | None, reply: str | None,
                   text: str | None) -> str:
    if reply in MAILGUN_CODES:
        return from_table(MAILGUN_CODES, reply, code, text)
    if reason in MAILGUN_REASONS:
        return from_table(MAILGUN_REASONS, reason, code, text)
    return reason_for(code, text, reply)
