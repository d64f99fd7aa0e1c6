"""Rejected and spam-marked emails become attention items and notify the responsible.

`mail_problem` is called where a rejection or complaint is stored (the consequences of
each failure class, app.mail.consequences); it is safe to call twice for one message.
"""
from __future__ import annotations

from app.attention import notify
from app.attention.items import raise_item
from app.events.reasons import CLASS_LABELS, OFFICE
from app.models import SYSTEM_KIND, AttentionItem, EmailMessage


def mail_problem(message: EmailMessage, failure_class: str | None = None, *,
                 complaint: bool = False, reason: str = "") -> AttentionItem | None:
    """Raise the item for a rejected (with its class) or spam-marked email, and tell the
    responsible person (admins for office-class refusals, or when nobody is). None for
    system mail, which is no one's work. The caller commits."""
    if message.kind == SYSTEM_KIND:
        return None
    who = message.to_address
    if complaint:
        kind, text = "email_spam", f"{who} marked an email as spam"
    elif failure_class == OFFICE:
        kind, text = "office_rejection", \
            f"{who}: {CLASS_LABELS[OFFICE]}" + (f" ({reason})" if reason else "")
    else:
        label = CLASS_LABELS.get(failure_class or "", "")
        kind = "email_rejected"
        text = f"Email to {who} rejected" + (f" — {label.lower()}" if label else "")
    item, new = raise_item(kind, f"{kind}:{message.id}", message=message, detail=text)
    if new:
        people = notify.admins() if kind == "office_rejection" \
            else notify.responsible_for(message.customer)
        notify.tell(people, kind, _headline(message, text), item=item)
    return item


def bounce_review_reason(address: str, text: str) -> str:
    """Why a customer's contacts need review after `address` was rejected as wrong (the
    rejection's own item says so: no second "contact details" item is raised for it)."""
    return f"{address} bounced: {text}"[:500]


def flagged_by_bounce(reason: str, address: str) -> bool:
    return reason.startswith(f"{address} bounced")


def _headline(message: EmailMessage, text: str) -> str:
    customer = message.customer
    invoice = message.invoice
    about = " · ".join(p for p in (
        customer.display_name if customer is not None else "",
        f"invoice {invoice.number}" if invoice is not None else "") if p)
    return f"{text}" + (f" ({about})" if about else "")
