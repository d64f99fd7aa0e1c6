"""The kinds of attention item: what each says, and which permission sees it.

A new kind (reminders skipped, follow-ups due…) adds one entry here; the model stores
the kind as a word, so no table changes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    label: str  # what the home page says
    action: str  # what to do about it, on the link to where it is fixed
    # Seen only by roles with this permission besides seeing the customer (None: anyone
    # who sees the customer).
    permission: str | None = None


KINDS: dict[str, Kind] = {
    "email_rejected": Kind("Email rejected", "See what to do"),
    "email_spam": Kind("Email marked as spam", "Contact the customer another way"),
    "email_delayed": Kind("Email delayed for over a day", "Check the email"),
    "invoice_unopened": Kind("Overdue and never opened", "Follow up"),
    "reminder_skipped": Kind("Reminder not sent", "Check the contact details"),
    "contact_review": Kind("Contact details need review", "Review the contacts"),
    "followup_suggested": Kind("Suggested follow-up", "Accept or dismiss"),
    "followup_due": Kind("Follow-up due", "Open the follow-ups"),
    "office_rejection": Kind("Mail from the office refused", "Check the office's mail set-up",
                             permission="attention.office"),
}


def kind_of(name: str) -> Kind:
    return KINDS.get(name) or Kind(name.replace("_", " ").capitalize(), "Open")
