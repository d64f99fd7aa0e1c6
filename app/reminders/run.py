"""What the next run sends and skips, and sending it: once per invoice and stage.

An invoice is due the latest enabled stage whose day has come (due date + offset). A
stage already sent to the invoice is never sent again, whatever its day says now (the
dedupe is the stage's id, so editing stages re-sends nothing); a run missed for days
sends the one stage now due, not each stage it passed. The daily run and "Send now" both
go through `send`, whose unique (invoice, stage) row decides which of them sends.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import audit, clock, settings
from app.attention.items import raise_item, resolve
from app.customers.access import visibility_clause
from app.events import reasons
from app.extensions import db
from app.invoices.rules import OPEN_STATES
from app.mail import outbox
from app.mail.failures import failure_class
from app.mail.placeholders import fill, values_for
from app.models import SYSTEM_KIND, Customer, EmailMessage, Invoice, ReminderSend, ReminderStage

log = logging.getLogger(__name__)

# Why a reminder is not sent, in a bookkeeper's words.
SKIPS = {
    "off": "Reminders are switched off for this customer",
    "no_address": "No email address on the file",
    "address": "Rejected — the address does not exist",
    "spam": "The customer marked an earlier email as spam",
    "suppressed": "The address is suppressed",
}
# A person chose this; it needs no one's attention.
_DELIBERATE = {"off"}


@dataclass(frozen=True)
class Due:
    invoice: Invoice
    stage: ReminderStage
    address: str | None
    skip: str = ""  # a SKIPS key; "" when the reminder goes
    detail: str = ""  # more words about the skip (the switch's reason, the suppression's)

    @property
    def skip_words(self) -> str:
        words = SKIPS.get(self.skip, "")
        return f"{words}: {self.detail}" if words and self.detail else words


@dataclass(frozen=True)
class Counts:
    going: int
    skipped: int


def counts(dues: list[Due]) -> Counts | None:
    """How many go and how many are skipped; None when nothing is due at all."""
    skipped = sum(1 for d in dues if d.skip)
    return Counts(len(dues) - skipped, skipped) if dues else None


def enabled_stages() -> list[ReminderStage]:
    return list(db.session.scalars(select(ReminderStage).where(ReminderStage.enabled.is_(True))
                                   .order_by(ReminderStage.offset_days, ReminderStage.id)))


def due_list(today: date | None = None, *, user=None,
             invoice_ids: list[int] | None = None) -> list[Due]:
    """What a run now would send and skip (for `user`: their customers only)."""
    today = today or clock.today()
    stages = enabled_stages()
    if not stages:
        return []
    query = (select(Invoice).join(Customer, Invoice.customer_id == Customer.id)
             .where(Invoice.status.in_(OPEN_STATES),
                    Invoice.due_date <= today - timedelta(days=stages[0].offset_days),
                    visibility_clause(user) if user is not None else true())
             .options(selectinload(Invoice.customer).selectinload(Customer.emails))
             .order_by(Invoice.due_date, Invoice.id))
    if invoice_ids is not None:
        query = query.where(Invoice.id.in_(invoice_ids))
    invoices = [i for i in db.session.scalars(query) if i.balance > 0]
    sent = set(db.session.execute(select(ReminderSend.invoice_id, ReminderSend.stage_id).where(
        ReminderSend.invoice_id.in_([i.id for i in invoices]))).all())
    dues = []
    for invoice in invoices:
        passed = [s for s in stages if invoice.due_date + timedelta(days=s.offset_days) <= today]
        stage = passed[-1]
        if (invoice.id, stage.id) not in sent:
            dues.append(_checked(invoice, stage))
    return dues


def _checked(invoice: Invoice, stage: ReminderStage) -> Due:
    customer = invoice.customer
    email = customer.primary_email
    address = email.address if email is not None else None
    if customer.reminders_off:  # the file's switch, with the reason people see
        return Due(invoice, stage, address, "off", customer.reminders_off_reason)
    if email is None:
        return Due(invoice, stage, None, "no_address")
    refused = refusal(email.address)
    if refused:
        return Due(invoice, stage, address, refused)
    if email.suppressed:
        return Due(invoice, stage, address, "suppressed", email.suppressed_reason)
    return Due(invoice, stage, address)


def refusal(address: str) -> str:
    """"address" when the last email to `address` was rejected because the address is wrong
    or gone, "spam" when it was marked as spam, else "": no reminder goes there, whatever
    the address's suppression says (a person may have lifted it without fixing anything)."""
    last = db.session.scalar(
        select(EmailMessage).where(EmailMessage.to_address == outbox.stored_address(address),
                                   EmailMessage.kind != SYSTEM_KIND,
                                   EmailMessage.state != "queued")
        .order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc()).limit(1))
    if last is None:
        return ""
    if last.status == "spam" or any(e.type == "spam" for e in last.events):
        return "spam"
    return "address" if failure_class(last) == reasons.ADDRESS else ""


def texts(invoice: Invoice, stage: ReminderStage, today: date) -> tuple[str, str]:
    """The stage's subject and body for `invoice`, placeholders filled."""
    values = values_for(invoice, office_name=settings.get("office.name"), today=today,
                        locale=settings.get("locale.code"))
    return fill(stage.subject, values), fill(stage.body, values)


def send(dues: list[Due], *, today: date | None = None, user=None, source: str = "run",
         ip: str | None = None) -> int:
    """Queue each due reminder that is not skipped and not sent yet; how many were queued.

    Each is committed on its own with its (invoice, stage) row: a second run, or a "Send
    now" at the same moment, fails on that row and sends nothing.
    """
    today = today or clock.today()
    queued: list[int] = []
    for due in dues:
        if due.skip:
            continue
        ids = _send_one(due, today, user, source, ip)
        queued += ids
    outbox.enqueue(queued)
    return len(queued)


def _send_one(due: Due, today: date, user, source: str, ip: str | None) -> list[int]:
    invoice, stage = due.invoice, due.stage
    mark = ReminderSend(invoice_id=invoice.id, stage_id=stage.id, source=source,
                        sent_by_id=getattr(user, "id", None))
    db.session.refresh(invoice.customer)
    if invoice.customer.reminders_off:  # switched off since the list was made
        return []
    # The mark first, in the reminder's own transaction (no savepoint: on SQLite, releasing
    # one outside a transaction commits it): PostgreSQL makes a second sender wait here
    # until the first commits, then refuses it.
    try:
        db.session.add(mark)
        db.session.flush()
    except IntegrityError:  # sent a moment ago by another run or person
        db.session.rollback()
        return []
    subject, body = texts(invoice, stage, today)
    messages = outbox.add_messages(
        recipients=[outbox.Recipient(due.address, invoice.customer.display_name)],
        subject=subject, body=body, invoice=invoice, kind="reminder", user=user,
        batch=f"reminder-{invoice.id}-s{stage.id}")
    for message in messages:
        message.reminder_stage_id = stage.id
    mark.message_id = messages[0].id
    if user is not None:
        audit.record("reminder.sent", user=user, ip=ip, subject_type="invoice",
                     subject_id=invoice.id, details={"stage": stage.label,
                                                     "to": due.address})
    resolve(_skip_key(invoice.id, stage.id))
    try:
        db.session.commit()
    except IntegrityError:  # the same, caught at commit (PostgreSQL waits for the other)
        db.session.rollback()
        return []
    return [m.id for m in messages]


def _skip_key(invoice_id: int, stage_id: int) -> str:
    return f"reminder-skipped-{invoice_id}-{stage_id}"


def raise_skips(dues: list[Due]) -> int:
    """An attention item for each reminder the run skips for a reason someone should act
    on (not the customer's own switch); how many are new."""
    new = 0
    for due in dues:
        if due.skip and due.skip not in _DELIBERATE:
            _item, is_new = raise_item(
                "reminder_skipped", _skip_key(due.invoice.id, due.stage.id),
                invoice=due.invoice, detail=f"{due.stage.label}: {due.skip_words}")
            new += is_new
    db.session.commit()
    return new


def run(today: date | None = None) -> int:
    """The scheduled run: raise the skips, queue the rest; how many were queued."""
    today = today or clock.today()
    dues = due_list(today)
    raise_skips(dues)
    return send(dues, today=today)
