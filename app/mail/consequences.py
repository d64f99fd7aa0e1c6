"""What failures, deliveries and complaints change: the only place that changes anything.

A final failure acts by the class of its reason (`app.events.reasons`, the only
definition of a hard bounce), whatever reported it (our SMTP session, a bounce, a
provider's webhook):

- ``address``: the address is wrong or gone: invalid, suppressed, the customer flagged;
- ``mailbox``: it exists but cannot take mail now: it stays usable, the customer file
  says so and the audit log tells the customer's owner; a later delivery clears it;
- ``office``: the receiving side refused *us*: the address is never touched; admins are
  alerted (audit log, Admin → Bounce review) with the server's words and what to check;
- ``message``: this email was refused (its size, its content): the sender is told on
  the email's history and in the audit log;
- ``other``: nothing automatic.

A person may overturn a verdict (`overturn`): the address is restored and the event
marked, so the history shows it. No Flask: the caller passes the user and commits.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import select, update

from app import audit
from app.attention.mail_problems import bounce_review_reason, flagged_by_bounce, mail_problem
from app.customers.consent import change_consent
from app.events import reasons
from app.events.reasons import ADDRESS, MAILBOX, MESSAGE, OFFICE
from app.extensions import db
from app.mail import failures, live
from app.models import Customer, CustomerEmail, EmailEvent, EmailMessage
from app.models.base import utcnow

SYSTEM = "mail system"
COMPLAINT = "spam complaint"


def _addresses(message: EmailMessage) -> list[CustomerEmail]:
    query = select(CustomerEmail).where(CustomerEmail.address == message.to_address)
    if message.customer_id:
        query = query.where(CustomerEmail.customer_id == message.customer_id)
    return list(db.session.scalars(query))


def after_rejection(message: EmailMessage, *, reason: str, words: str = "",
                    size: int | None = None, at: datetime | None = None) -> str:
    """What a final refusal of `message` changes, by its reason's class; the class.

    `words` are the receiving server's (its reply or diagnostic), `size` the email's
    size in bytes when known (a refusal for size says it).
    """
    reason = reasons.canonical(reason)
    failure_class = reasons.class_of(reason)
    words = " ".join((words or "").split())
    if failure_class == ADDRESS:
        _address_gone(message, reason, words)
    elif failure_class == MAILBOX:
        _mailbox_unavailable(message, reason, words, at or utcnow())
    elif failure_class == OFFICE:
        _office_refused(message, reason, words)
    elif failure_class == MESSAGE:
        _message_refused(message, reason, words, size)
    mail_problem(message, failure_class, reason=reason)  # work for someone, whatever class
    return failure_class


def _address_gone(message: EmailMessage, reason: str, words: str) -> None:
    text = failures.failure_text("rejected", reason)
    for email in _addresses(message):
        if email.state == "invalid" and email.suppressed:
            continue
        email.state, email.state_reason = "invalid", f"{text}: {words}"[:500]
        email.suppressed, email.suppressed_reason = True, f"hard bounce: {words or text}"[:500]
        email.suppressed_at = utcnow()
        email.problem, email.problem_at = "", None
        customer = db.session.get(Customer, email.customer_id)
        customer.needs_review = True
        customer.needs_review_reason = bounce_review_reason(email.address, text)
        audit.record("customer.email_bounced", actor=SYSTEM, subject_type="customer",
                     subject_id=customer.id,
                     details={"address": email.address, "message": message.id,
                              "reason": reason},
                     summary=f"{email.address} marked invalid: {text}")


def _mailbox_unavailable(message: EmailMessage, reason: str, words: str,
                         at: datetime) -> None:
    text = failures.failure_text("rejected", reason)
    for email in _addresses(message):
        if email.state == "invalid":
            continue  # already judged worse; a full mailbox changes nothing of that
        email.problem, email.problem_at = MAILBOX, at
        email.state_reason = f"{text} (the address stays in use): {words}"[:500]
        customer = db.session.get(Customer, email.customer_id)
        owner = customer.owner.email if customer.owner else "no one (unassigned)"
        audit.record("customer.email_mailbox_problem", actor=SYSTEM, subject_type="customer",
                     subject_id=customer.id,
                     details={"address": email.address, "message": message.id,
                              "reason": reason, "responsible": owner},
                     summary=f"{email.address}: {text}. The address stays in use; "
                             f"for {owner} to follow up with the customer.")


def _office_refused(message: EmailMessage, reason: str, words: str) -> None:
    text = failures.failure_text("rejected", reason)
    audit.record("mail.office_refused", actor=SYSTEM,
                 subject_type="customer" if message.customer_id else None,
                 subject_id=message.customer_id,
                 details={"address": message.to_address, "message": message.id,
                          "reason": reason, "server_said": words[:1000]},
                 summary=f"{text}. The receiving server said: “{words[:500]}”. "
                         f"{failures.office_checks(reason)}")


def _message_refused(message: EmailMessage, reason: str, words: str,
                     size: int | None) -> None:
    text = failures.failure_text("rejected", reason)
    if size:
        text += f" (this email was {failures.size_text(size)}"
        text += ", with its PDF attached)" if message.attach_pdf else ")"
    audit.record("email.message_refused", actor=SYSTEM,
                 subject_type="invoice" if message.invoice_id else None,
                 subject_id=message.invoice_id,
                 details={"message": message.id, "reason": reason, "size": size,
                          "sender": message.created_by_id},
                 summary=f"{text}. The receiving server said: “{words[:500]}”")


def after_delivery(delivered: Iterable[tuple[int, datetime]]) -> int:
    """Deliveries (message id, when) clear a mailbox-class problem of their address that
    is older than them; how many addresses were cleared."""
    latest: dict[int, datetime] = {}
    for message_id, at in delivered:
        latest[message_id] = max(_aware(at), latest.get(message_id, _aware(at)))
    if not latest:
        return 0
    rows = db.session.execute(
        select(CustomerEmail, EmailMessage.id)
        .join(EmailMessage, EmailMessage.to_address == CustomerEmail.address)
        .where(EmailMessage.id.in_(latest), CustomerEmail.problem == MAILBOX)).all()
    cleared = set()
    for email, message_id in rows:
        if email.id in cleared or email.problem != MAILBOX:
            continue
        if email.problem_at is None or _aware(email.problem_at) <= latest[message_id]:
            email.problem, email.problem_at, email.state_reason = "", None, ""
            cleared.add(email.id)
            audit.record("customer.email_mailbox_cleared", actor=SYSTEM,
                         subject_type="customer", subject_id=email.customer_id,
                         details={"address": email.address, "message": message_id},
                         summary=f"{email.address} took mail again: the mailbox problem "
                                 "is cleared")
    return len(cleared)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def can_overturn(event: EmailEvent) -> bool:
    """A rejection whose verdict a person may still mark wrong."""
    return event.type == "rejected" and event.overturned_at is None


def overturn(event: EmailEvent, *, user, note: str = "") -> list[str] | None:
    """A person says the verdict of `event` (a rejection) was wrong: the address is usable
    again (state ok, a bounce's suppression lifted, the customer no longer flagged for it),
    the event is marked, the audit log says who and why. The addresses restored; None
    when there was nothing to overturn (not a rejection, or overturned already).

    A complaint's suppression stays: overturning a bounce says nothing about consent.
    The mark is set first, by one UPDATE that checks it is unset: of two clicks at once,
    the second waits on the row and then finds it taken. The caller commits.
    """
    note = " ".join(note.split())[:1000]
    taken = db.session.execute(
        update(EmailEvent)
        .where(EmailEvent.id == event.id, EmailEvent.type == "rejected",
               EmailEvent.overturned_at.is_(None))
        .values(overturned_at=utcnow(), overturned_by_id=user.id, overturn_note=note)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(event)
    if not taken:
        return None
    message = event.message
    live.touch([message])  # open pages show the mark
    who = getattr(user, "display_name", "") or user.email
    restored = []
    for email in _addresses(message):
        changed = email.state == "invalid" or email.problem or (
            email.suppressed and email.suppressed_reason != COMPLAINT)
        email.problem, email.problem_at = "", None
        if email.state == "invalid":
            email.state = "ok"
        email.state_reason = f"Bounce verdict overturned by {who}: {note}"[:500]
        if email.suppressed and email.suppressed_reason != COMPLAINT:
            email.suppressed, email.suppressed_reason, email.suppressed_at = False, "", None
        customer = db.session.get(Customer, email.customer_id)
        if customer.needs_review and flagged_by_bounce(customer.needs_review_reason,
                                                       email.address):
            customer.needs_review, customer.needs_review_reason = False, ""
        if changed:
            restored.append(email.address)
    audit.record("email.verdict_overturned", user=user,
                 subject_type="customer" if message.customer_id else None,
                 subject_id=message.customer_id,
                 details={"address": message.to_address, "message": message.id,
                          "event": event.id, "reason": event.reason,
                          "class": event.failure_class, "note": note,
                          "restored": restored},
                 summary=f"{who} marked “{failures.failure_text('rejected', event.reason)}” "
                         f"wrong for {message.to_address}"
                         + (f": {note}" if note else "")
                         + ("; the address is usable again" if restored else ""))
    return restored


def after_complaint(message: EmailMessage) -> None:
    """A spam complaint withdraws marketing consent and suppresses the address."""
    now = utcnow()
    mail_problem(message, complaint=True)
    for email in _addresses(message):
        if email.suppressed and email.suppressed_reason == COMPLAINT:
            continue  # already done for an earlier complaint
        email.suppressed, email.suppressed_at = True, now
        email.suppressed_reason = COMPLAINT
        customer = db.session.get(Customer, email.customer_id)
        change_consent(customer, "marketing", False, source="withdrawn by spam complaint",
                       at=now)
        audit.record("customer.spam_complaint", actor=SYSTEM,
                     subject_type="customer", subject_id=customer.id,
                     details={"address": email.address, "message": message.id},
                     summary=f"{email.address} complained of spam; address suppressed, "
                             "marketing consent withdrawn")
