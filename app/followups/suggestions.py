"""Suggested follow-ups, made by the periodic scan from the office's rules, and the
"due" attention items of open follow-ups. Safe to run twice: a suggestion's key (rule,
customer, invoice) is unique for ever, so accepted or dismissed it never comes back.

The rejected-address rule shares its attention item with the Sent Status screens (the
rejection's own `email_rejected` item, raised when the bounce arrived): it presents the
suggestion instead of a second item.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError

from app import audit, clock
from app.attention import notify
from app.attention.items import raise_item, resolve
from app.customers.segments import segment_members
from app.events.reasons import ADDRESS
from app.extensions import db
from app.followups import office
from app.followups.tasks import OPEN, SUGGESTED, due_key, may_hold
from app.invoices.rules import OPEN_STATES, overdue_clause
from app.models import AttentionItem, Customer, EmailEvent, EmailMessage, FollowUp, Invoice

TRACKED_KINDS = ("invoice", "reminder")  # system mail is no one's work
SCAN = "follow-up rules"  # the audit log's actor


@dataclass(frozen=True)
class Rule:
    title: str  # the suggested task
    label: str  # the office setting's words


RULES: dict[str, Rule] = {
    "unopened": Rule("Check they received the invoice",
                     "An invoice emailed N days ago and never opened"),
    "overdue": Rule("Chase the overdue invoice", "An invoice overdue"),
    "address": Rule("Get a new email address", "An email rejected: the address is wrong"),
    "at_risk": Rule("Get in touch: the customer is at risk",
                    "A customer turning “At risk”"),
}


def rule_key(rule: str, customer_id: int, invoice_id: int | None) -> str:
    return f"{rule}:c{customer_id}:i{invoice_id or '-'}"


def _opened(invoice_id_column):
    return exists().where(EmailMessage.invoice_id == invoice_id_column,
                          or_(EmailMessage.status == "opened", EmailMessage.human_opens > 0))


def _unopened(now: datetime, days: int):
    """(customer, invoice, None) for open invoices emailed `days` ago or more, never opened."""
    since = now - timedelta(days=days)
    emailed = exists().where(EmailMessage.invoice_id == Invoice.id,
                             EmailMessage.kind.in_(TRACKED_KINDS),
                             EmailMessage.sent_at.isnot(None), EmailMessage.sent_at <= since)
    rows = db.session.scalars(select(Invoice).where(
        Invoice.status.in_(OPEN_STATES), emailed, ~_opened(Invoice.id)))
    return [(i.customer, i, None) for i in rows]


def _overdue(now: datetime):
    return [(i.customer, i, None)
            for i in db.session.scalars(select(Invoice).where(overdue_clause(clock.today())))]


def _address(now: datetime):
    """Rejections of class `address` not marked wrong whose item (raised when the bounce
    arrived) is still open: the address was neither fixed nor the item dismissed."""
    rows = db.session.execute(
        select(EmailMessage, AttentionItem)
        .join(AttentionItem, AttentionItem.message_id == EmailMessage.id)
        .where(AttentionItem.kind == "email_rejected", AttentionItem.resolved_at.is_(None),
               AttentionItem.dismissed_at.is_(None), EmailMessage.customer_id.isnot(None),
               exists().where(EmailEvent.message_id == EmailMessage.id,
                              EmailEvent.type == "rejected", EmailEvent.failure_class == ADDRESS,
                              EmailEvent.overturned_at.is_(None))))
    return [(m.customer, m.invoice, item) for m, item in rows]


def _at_risk(now: datetime):
    return [(c, None, None) for c in db.session.scalars(
        select(Customer).where(Customer.id.in_(segment_members("at_risk", clock.today()))))]


FINDERS = {"unopened": lambda now: _unopened(now, office.unopened_days()),
           "overdue": _overdue, "address": _address, "at_risk": _at_risk}


def scan(now: datetime | None = None) -> dict[str, int]:
    """Suggest what the rules find, raise the items of follow-ups that came due, withdraw
    suggestions whose reason went away. Safe to run twice; the caller commits."""
    now, today = now or clock.now(), clock.today()
    taken = set(db.session.scalars(select(FollowUp.rule_key).where(
        FollowUp.rule_key.isnot(None))))
    suggested = 0
    for rule in office.rules_on():
        for customer, invoice, shared in FINDERS[rule](now):
            key = rule_key(rule, customer.id, getattr(invoice, "id", None))
            if key in taken or customer.erased_at is not None:
                continue
            taken.add(key)
            suggested += _suggest(rule, key, customer, invoice, shared, today)
    return {"suggested": suggested, "due": _raise_due(today),
            "withdrawn": _withdraw_stale(today)}


def _suggest(rule, key, customer, invoice, shared, today) -> bool:
    title = RULES[rule].title
    about = f"{customer.display_name}" + (f", invoice {invoice.number}" if invoice else "")
    owner = customer.owner if may_hold(customer, customer.owner) else None
    followup = FollowUp(customer=customer, invoice=invoice, title=title, state=SUGGESTED,
                        rule=rule, rule_key=key, due_on=today, assignee=owner)
    try:
        with db.session.begin_nested():  # another worker may suggest it at this moment
            db.session.add(followup)
    except IntegrityError:
        return False
    if shared is not None:  # the rejection's own item: one item, not a second
        item, new = shared, False
    else:
        item, new = raise_item("followup_suggested", f"followup_suggested:{key}",
                               customer=customer, invoice=invoice,
                               detail=title)
    followup.item = item
    audit.record("followup.suggested", actor=SCAN, subject_type="customer",
                 subject_id=customer.id, details={"followup": followup.id, "rule": rule},
                 summary=f"Follow-up suggested: {title}"
                 + (f" (invoice {invoice.number})" if invoice else ""))
    if new:
        notify.tell(notify.responsible_for(customer), "followup_suggested",
                    f"Suggested follow-up: {title} ({about})", item=item)
    return True


def _raise_due(today: date) -> int:
    """Open follow-ups due today or earlier become attention items; the assignee is told."""
    due = db.session.scalars(select(FollowUp).where(
        FollowUp.state == OPEN, FollowUp.due_on <= today)).all()
    raised = 0
    for followup in due:
        when = "overdue since" if followup.due_on < today else "due"
        item, new = raise_item("followup_due", due_key(followup), customer=followup.customer,
                               invoice=followup.invoice,
                               detail=f"{followup.title} ({when} {followup.due_on.isoformat()})")
        if new:
            raised += 1
            who = followup.assignee
            people = [who] if may_hold(followup.customer, who) else \
                notify.responsible_for(followup.customer)
            notify.tell(people, "followup_due", f"Follow-up due: {followup.title} "
                        f"({followup.customer.display_name})", item=item)
    return raised


def _withdraw_stale(today: date) -> int:
    """Suggestions whose reason went away (invoice settled, item resolved or dismissed
    elsewhere — e.g. the address fixed from the Sent Status screens) are withdrawn, and
    "due" items of follow-ups no longer open are resolved."""
    withdrawn = 0
    for followup in db.session.scalars(select(FollowUp).where(FollowUp.state == SUGGESTED)):
        item = followup.item
        gone = item is not None and not item.is_open
        settled = followup.rule in ("unopened", "overdue") and (
            followup.invoice is None or followup.invoice.status not in OPEN_STATES
            or (followup.rule == "overdue" and followup.invoice.due_date >= today))
        if gone or settled:
            followup.state = "dismissed"
            if item is not None and item.resolved_at is None and item.dismissed_at is None:
                resolve(item.dedupe_key)
            withdrawn += 1
    keys = db.session.scalars(
        select(AttentionItem.dedupe_key)
        .join(FollowUp, AttentionItem.dedupe_key == "followup_due:" + db.cast(
            FollowUp.id, db.String))
        .where(AttentionItem.kind == "followup_due", AttentionItem.resolved_at.is_(None),
               FollowUp.state != OPEN)).all()
    for key in keys:
        resolve(key)
    return withdrawn
