"""The Invoice Email report: one row per invoice email, its filters, its charts.

The Sent Status is read from `EmailMessage.status`, which the event pipeline keeps
derived from the events (app/mail/recorder.py); nothing here recomputes it per row.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased, selectinload

from app.customers.access import sees_all_customers, visibility_clause, visible_customers
from app.customers.search import matches as customer_matches
from app.events.reasons import CLASSES
from app.events.status import STATUS_LABELS, Status
from app.extensions import db
from app.mail import failures
from app.models import (
    SYSTEM_KIND, Customer, EmailEvent, EmailMessage, Invoice, ReminderStage, User,
)
from app.paging import Page
from app.permissions import ROLE_PERMISSIONS, role_can
from app.reports.filters import ArgReader
from app.reports.sql import customer_name, month_ranges, window

PER_PAGE = 25
# Counting every match of a broad filter over hundreds of thousands of emails costs more
# than the page itself; past this many the page says "more than 10,000".
COUNT_BOUND = 10_000
STATUS_KEYS = tuple(s.value for s in Status)
Staff = aliased(User, name="staff")
# The event that decided a Rejected or Delayed status: its reason and class.
Failure = aliased(EmailEvent, name="failure")
FAILED_STATUSES = (Status.REJECTED.value, Status.DELAYED.value)

SORTS = {
    "date": EmailMessage.created_at,
    "invoice": Invoice.number,
    "customer": Customer.sort_name,
    "recipient": EmailMessage.to_address,
    "opens": EmailMessage.human_opens,
    "clicks": EmailMessage.clicks,
    "last_event": EmailMessage.last_event_at,
    "status": EmailMessage.status,
}


@dataclass(frozen=True)
class EmailFilters:
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    customer_id: int | None = None
    customer_text: str = ""  # part of a customer's name, email or phone
    staff_id: int | None = None
    failure_class: str | None = None  # whose problem a Rejected or Delayed email was
    # "invoice", "reminder" (any stage) or a reminder stage's id, as text
    sent_as: str | None = None
    sort: str = "date"
    descending: bool = True
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> tuple[EmailFilters, list[str]]:
        read = ArgReader(args)
        first, last = read.date_range()
        filters = cls(
            date_from=first, date_to=last,
            status=read.choice("status", "Status", STATUS_KEYS),
            customer_id=read.ident("customer", "Customer"),
            customer_text=read.text("q")[:100],
            staff_id=read.ident("staff", "Staff member"),
            failure_class=read.choice("class", "Whose problem", CLASSES),
            sent_as=_sent_as(read),
            sort=read.choice("sort", "Sort", SORTS, "date") or "date",
            descending=read.text("dir") != "asc",
            page=read.page(),
        )
        return filters, read.errors


@dataclass
class ReportPage(Page):
    bounded: bool = False  # True when `total` is a lower bound (COUNT_BOUND reached)


def _filtered(query: Select, filters: EmailFilters, user) -> Select:
    query = visible_customers(user, query).where(EmailMessage.kind != SYSTEM_KIND)
    if filters.date_from:
        query = query.where(EmailMessage.created_at >= window(filters.date_from, None,
                                                              filters.date_from).start)
    if filters.date_to:
        query = query.where(EmailMessage.created_at < window(filters.date_to, filters.date_to,
                                                             filters.date_to).end)
    if filters.status:
        query = query.where(EmailMessage.status == filters.status)
    if filters.customer_id:
        query = query.where(EmailMessage.customer_id == filters.customer_id)
    if filters.customer_text:
        query = query.where(EmailMessage.customer_id.in_(
            select(Customer.id).where(customer_matches(filters.customer_text))))
    if filters.staff_id:
        query = query.where(EmailMessage.created_by_id == filters.staff_id)
    if filters.failure_class:
        query = query.where(EmailMessage.status.in_(FAILED_STATUSES),
                            Failure.failure_class == filters.failure_class)
    if filters.sent_as in ("invoice", "reminder"):
        query = query.where(EmailMessage.kind == filters.sent_as)
    elif filters.sent_as:
        query = query.where(EmailMessage.kind == "reminder",
                            EmailMessage.reminder_stage_id == int(filters.sent_as))
    return query


def _sent_as(read) -> str | None:
    raw = read.text("sent_as")
    if raw in ("", "invoice", "reminder") or (raw.isascii() and raw.isdigit() and len(raw) < 10):
        return raw or None
    read.errors.append(f"Sent as: “{raw[:20]}” is not a valid choice.")
    return None


def sent_as_choices() -> list[tuple[str, str]]:
    """The report's "Sent as" filter: invoice emails, any reminder, or one stage."""
    stages = db.session.scalars(select(ReminderStage).order_by(ReminderStage.offset_days))
    return [("invoice", "Invoice emails"), ("reminder", "Any reminder")] + [
        (str(s.id), f"Reminder: {s.label}") for s in stages]


def _deciding_failure():
    """The id of the latest event of the email's own status (rejected or delayed)."""
    return (select(EmailEvent.id)
            .where(EmailEvent.message_id == EmailMessage.id,
                   EmailEvent.type == EmailMessage.status)
            .order_by(EmailEvent.occurred_at.desc(), EmailEvent.id.desc()).limit(1)
            .correlate(EmailMessage).scalar_subquery())


def _joined(query: Select, user, *, need_all: bool, failure: bool = False) -> Select:
    """Outer joins for names; the customer join only when it is shown or filtered on;
    the deciding failure (`Failure`) when shown or filtered on."""
    if need_all or failure:
        query = query.outerjoin(Failure, and_(EmailMessage.status.in_(FAILED_STATUSES),
                                              Failure.id == _deciding_failure()))
    if need_all or not sees_all_customers(user):
        query = query.outerjoin(Customer, Customer.id == EmailMessage.customer_id)
    if need_all:
        query = (query.outerjoin(Invoice, Invoice.id == EmailMessage.invoice_id)
                 .outerjoin(Staff, Staff.id == EmailMessage.created_by_id))
    return query


def rows_query(filters: EmailFilters, user) -> Select:
    """The report's rows, filtered and sorted (no limit)."""
    query = _joined(select(
        EmailMessage.id, EmailMessage.created_at, EmailMessage.sent_at,
        EmailMessage.invoice_id, Invoice.number.label("invoice_number"),
        EmailMessage.customer_id, Customer.kind, Customer.first_name, Customer.last_name,
        Customer.company, EmailMessage.to_address, EmailMessage.recipient_role,
        EmailMessage.subject,
        EmailMessage.human_opens, EmailMessage.automated_opens, EmailMessage.clicks,
        EmailMessage.last_event_at, EmailMessage.last_event_type, EmailMessage.status,
        Staff.name.label("staff_name"), Staff.email.label("staff_email"),
        Failure.reason.label("failure_reason"), Failure.failure_class,
        Failure.overturned_at.label("failure_overturned_at"),
    ).select_from(EmailMessage), user, need_all=True)
    query = _filtered(query, filters, user)
    column = SORTS[filters.sort]
    order = column.desc() if filters.descending else column.asc()
    tiebreak = EmailMessage.id.desc() if filters.descending else EmailMessage.id.asc()
    if filters.sort in ("invoice", "customer", "last_event"):
        order = order.nulls_last()
    return query.order_by(order, tiebreak)


def rows_among(filters: EmailFilters, user, message_ids: set[int]) -> list:
    """The report's rows for these emails only, as `filters` would show them (the user's
    access applies: an email the user may not see is simply not there)."""
    if not message_ids:
        return []
    return list(db.session.execute(
        rows_query(filters, user).where(EmailMessage.id.in_(message_ids))))


def bounded_count(filters: EmailFilters, user, bound: int = COUNT_BOUND) -> tuple[int, bool]:
    """How many rows match, counting no further than `bound` (then True: "more than")."""
    inner = _filtered(_joined(select(EmailMessage.id).select_from(EmailMessage), user,
                              need_all=False, failure=bool(filters.failure_class)),
                      filters, user).limit(bound + 1)
    total = db.session.scalar(select(func.count()).select_from(inner.subquery())) or 0
    return min(total, bound), total > bound


def page_of_rows(filters: EmailFilters, user, per_page: int = PER_PAGE) -> ReportPage:
    total, bounded = bounded_count(filters, user)
    pages = max(1, -(-total // per_page))
    number = min(filters.page, pages)
    rows = db.session.execute(
        rows_query(filters, user).limit(per_page).offset((number - 1) * per_page)).all()
    return ReportPage(items=rows, page=number, per_page=per_page, total=total,
                      bounded=bounded)


def all_rows(filters: EmailFilters, user) -> Iterator:
    """Every matching row, streamed in chunks (for exports)."""
    result = db.session.execute(rows_query(filters, user).execution_options(yield_per=2000))
    yield from result


def staff_name(row) -> str:
    return row.staff_name or row.staff_email or ""


def status_label(key: str) -> str:
    return STATUS_LABELS[Status(key)]


def failure_text(row) -> str:
    """A row's failure in plain words ("Rejected — the mailbox is full"), or ""."""
    if not row.failure_class:
        return ""
    return failures.failure_text(row.status, row.failure_reason) + _overturned(row)


def failure_words(row) -> str:
    """The reason alone ("the mailbox is full"), under the row's Sent Status; nothing
    when no reason is known (the history still says so)."""
    if not row.failure_class or failures.is_unknown(row.failure_reason):
        return ""
    return failures.words(row.failure_reason) + _overturned(row)


def _overturned(row) -> str:
    return " (verdict marked wrong)" if row.failure_overturned_at else ""


# ---- status mix over time ------------------------------------------------------------

@dataclass(frozen=True)
class MonthMix:
    month: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def status_mix(filters: EmailFilters, user, today: date) -> list[MonthMix]:
    """Emails per month and Sent Status over the filter's window (default: 12 months).

    One index range per month (UNION ALL) rather than a month function on every row:
    the ranges are counted straight off the (status, created_at) index.
    """
    span = window(filters.date_from, filters.date_to, today)
    unwindowed = EmailFilters(status=filters.status, customer_id=filters.customer_id,
                              customer_text=filters.customer_text, staff_id=filters.staff_id,
                              failure_class=filters.failure_class)
    parts = []
    for month, start, end in month_ranges(span):
        part = select(literal(month).label("month"), EmailMessage.status,
                      func.count().label("n")).select_from(EmailMessage)
        part = _filtered(_joined(part, user, need_all=False,
                                 failure=bool(filters.failure_class)), unwindowed, user)
        parts.append(part.where(EmailMessage.created_at >= start,
                                EmailMessage.created_at < end).group_by(EmailMessage.status))
    counts: dict[str, dict[str, int]] = {m: {} for m in span.months()}
    for row_month, status, n in db.session.execute(union_all(*parts)):
        counts[row_month][status] = n
    return [MonthMix(m, counts[m]) for m in sorted(counts)]


# ---- one message's history -----------------------------------------------------------

def message_with_history(message_id: int, user) -> EmailMessage | None:
    """The message and its events, or None when it doesn't exist or isn't visible."""
    query = (select(EmailMessage).where(EmailMessage.id == message_id,
                                        EmailMessage.kind != SYSTEM_KIND)
             .options(selectinload(EmailMessage.events).selectinload(EmailEvent.overturned_by),
                      selectinload(EmailMessage.invoice),
                      selectinload(EmailMessage.created_by)))
    if not sees_all_customers(user):
        query = query.join(Customer, Customer.id == EmailMessage.customer_id).where(
            visibility_clause(user))
    return db.session.scalar(query)


def staff_choices(user) -> list[tuple[int, str]]:
    """Staff members for the "sent by" menu (staff see only themselves): those whose role
    may send invoices, and anyone who sent some before their role changed."""
    senders = [role for role in ROLE_PERMISSIONS if role_can(role, "invoices.send")]
    staff = select(User.id, User.name, User.email).where(or_(
        User.role.in_(senders),
        User.id.in_(select(EmailMessage.created_by_id).where(
            EmailMessage.created_by_id.is_not(None), EmailMessage.kind != SYSTEM_KIND))),
    ).order_by(User.name, User.email)
    if not sees_all_customers(user):
        staff = staff.where(User.id == user.id)
    return [(r.id, r.name or r.email) for r in db.session.execute(staff)]


def customer_label(customer_id: int, user) -> str | None:
    """The name of the customer a filter points at, if `user` may see it."""
    query = select(Customer.id.label("customer_id"), Customer.kind, Customer.first_name,
                   Customer.last_name, Customer.company).where(Customer.id == customer_id)
    query = visible_customers(user, query)
    row = db.session.execute(query).first()
    return customer_name(row) if row else None
