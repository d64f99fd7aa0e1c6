"""Follow-ups as tasks: who may see and hold them, adding, accepting, dismissing and
completing them, and the lists. No Flask: the caller passes the user, audits and commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import Select, and_, case, or_, select

from app import clock
from app.attention import notify
from app.attention.items import resolve
from app.customers.access import can_see_customer, visibility_clause
from app.extensions import db
from app.models import Customer, FollowUp, Invoice, User
from app.models.base import utcnow
from app.permissions import role_can

OPEN, DONE, SUGGESTED, DISMISSED = "open", "done", "suggested", "dismissed"
SHOWS = (OPEN, SUGGESTED, DONE)  # the "My follow-ups" filter
SHOW_LABELS = {OPEN: "Open", SUGGESTED: "Suggested", DONE: "Done"}


class FollowUpError(ValueError):
    """A change that cannot be made, with words for the person who asked."""


def may_hold(customer: Customer, user: User | None) -> bool:
    """Whether `user` may be responsible for a follow-up about `customer`: active, able to
    work on follow-ups, and able to see the customer (staff: their own customers)."""
    return (user is not None and user.active and role_can(user.role, "followups.edit")
            and can_see_customer(customer, user))


def assignable_users(customer: Customer) -> list[User]:
    users = db.session.scalars(select(User).where(User.active.is_(True))
                               .order_by(User.name, User.email))
    return [u for u in users if may_hold(customer, u)]


def visible_clause(user):
    """Follow-ups `user` may see: those of the customers they see."""
    if not role_can(getattr(user, "role", None), "followups.view"):
        return db.false()
    return visibility_clause(user, FollowUp.customer_id)


def visible_followup(followup_id: int, user) -> FollowUp | None:
    return db.session.scalar(select(FollowUp).where(FollowUp.id == followup_id,
                                                    visible_clause(user)))


@dataclass
class Draft:
    title: str
    due_on: date
    due_time: time | None = None
    notes: str = ""
    assignee_id: int | None = None
    invoice_id: int | None = None


def _assignee(customer: Customer, assignee_id: int | None) -> User | None:
    if not assignee_id:
        return None
    user = db.session.get(User, assignee_id)
    if not may_hold(customer, user):
        raise FollowUpError("That person cannot see this customer, so cannot be responsible "
                            "for the follow-up.")
    return user


def _invoice(customer: Customer, invoice_id: int | None) -> Invoice | None:
    if not invoice_id:
        return None
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.customer_id != customer.id:
        raise FollowUpError("That invoice is not this customer's.")
    return invoice


def add(customer: Customer, draft: Draft, user: User, *, link: str = "") -> FollowUp:
    """A new open follow-up; its assignee is told when it is someone else."""
    title = " ".join(draft.title.split())
    if not title:
        raise FollowUpError("Say what to follow up.")
    followup = FollowUp(customer=customer, title=title[:200], notes=draft.notes.strip(),
                        due_on=draft.due_on, due_time=draft.due_time, state=OPEN,
                        assignee=_assignee(customer, draft.assignee_id),
                        invoice=_invoice(customer, draft.invoice_id), created_by_id=user.id)
    db.session.add(followup)
    db.session.flush()
    _tell_assignee(followup, user, link)
    return followup


def change(followup: FollowUp, draft: Draft, user: User, *, link: str = "") -> bool:
    """New words, due date, person or invoice for an open or suggested follow-up; a new
    person responsible is told. False when nothing changed."""
    title = " ".join(draft.title.split())
    if not title:
        raise FollowUpError("Say what to follow up.")
    if followup.state not in (OPEN, SUGGESTED):
        raise FollowUpError("Only an open or suggested follow-up can be changed.")
    customer = followup.customer
    before = (followup.title, followup.notes, followup.due_on, followup.due_time,
              followup.assignee_id, followup.invoice_id)
    assignee = _assignee(customer, draft.assignee_id)
    followup.title, followup.notes = title[:200], draft.notes.strip()
    followup.due_on, followup.due_time = draft.due_on, draft.due_time
    followup.invoice = _invoice(customer, draft.invoice_id)
    followup.assignee = assignee
    if followup.due_on > clock.today():
        resolve(due_key(followup), by=user)  # not due any more; raised again when it is
    if assignee is not None and assignee.id != before[4]:
        _tell_assignee(followup, user, link)
    return before != (followup.title, followup.notes, followup.due_on, followup.due_time,
                      followup.assignee_id, followup.invoice_id)


def follow_new_owner(customer: Customer, user: User | None, *, link: str = "") -> int:
    """After `customer` changed hands: each open or suggested follow-up whose person may
    no longer hold it (staff who lost the customer) goes to the new owner, told as any
    assignee is, or to nobody when the owner may not hold it either. Returns how many."""
    owner = customer.owner
    moved = 0
    for followup in db.session.scalars(select(FollowUp).where(
            FollowUp.customer_id == customer.id, FollowUp.state.in_((OPEN, SUGGESTED)),
            FollowUp.assignee_id.isnot(None))):
        if may_hold(customer, followup.assignee):
            continue
        followup.assignee = owner if may_hold(customer, owner) else None
        if followup.assignee is not None and user is not None:
            _tell_assignee(followup, user, link)
        moved += 1
    return moved


def accept(followup: FollowUp, user: User, *, assignee_id: int | None = None,
           due_on: date | None = None, link: str = "") -> bool:
    """A suggestion becomes a task (for `assignee_id`, else its suggested person, else
    `user`); its attention item is done with. False when it was no longer a suggestion."""
    if followup.state != SUGGESTED:
        return False
    chosen = assignee_id or followup.assignee_id or user.id
    followup.assignee = _assignee(followup.customer, chosen)
    followup.state, followup.due_on = OPEN, due_on or followup.due_on
    if followup.item is not None:
        resolve(followup.item.dedupe_key, by=user)
    _tell_assignee(followup, user, link)
    return True


def dismiss(followup: FollowUp, user: User | None) -> bool:
    """A suggestion declined, for good (its key stays taken); its attention item — shared
    with the Sent Status screens for a rejected address — is dismissed with it."""
    if followup.state != SUGGESTED:
        return False
    followup.state, followup.dismissed_at = DISMISSED, utcnow()
    followup.dismissed_by_id = getattr(user, "id", None)
    item = followup.item
    if item is not None and item.is_open:
        item.dismissed_at, item.dismissed_by_id = utcnow(), getattr(user, "id", None)
    return True


def dismissed_with_item(item, user) -> int:
    """The suggestions presented by `item`, dismissed because the item was."""
    rows = db.session.scalars(select(FollowUp).where(FollowUp.item_id == item.id,
                                                     FollowUp.state == SUGGESTED)).all()
    return sum(dismiss(f, user) for f in rows)


def complete(followup: FollowUp, user: User) -> bool:
    """Done, by `user`, now; its "due" attention item leaves the lists."""
    if followup.state != OPEN:
        return False
    followup.state, followup.completed_at, followup.completed_by_id = DONE, utcnow(), user.id
    resolve(due_key(followup), by=user)
    return True


def reopen(followup: FollowUp, user: User) -> bool:
    if followup.state != DONE:
        return False
    followup.state, followup.completed_at, followup.completed_by_id = OPEN, None, None
    return True


def due_key(followup: FollowUp) -> str:
    return f"followup_due:{followup.id}"


def is_overdue(followup: FollowUp, today: date | None = None) -> bool:
    return followup.state == OPEN and followup.due_on < (today or clock.today())


def _tell_assignee(followup: FollowUp, by: User, link: str) -> None:
    who = followup.assignee
    if who is None or who.id == by.id:
        return
    notify.tell([who], "followup_assigned",
                f"{by.display_name} gave you a follow-up: {followup.title} "
                f"({followup.customer.display_name}), due {followup.due_on.isoformat()}",
                customer=followup.customer, link=link)


def for_customer(customer: Customer, limit: int = 50) -> list[FollowUp]:
    """A file's follow-ups: suggestions, then open ones by due date, then the latest done."""
    order = case((FollowUp.state == SUGGESTED, 0), (FollowUp.state == OPEN, 1), else_=2)
    return list(db.session.scalars(
        select(FollowUp).where(FollowUp.customer_id == customer.id,
                               FollowUp.state.in_((SUGGESTED, OPEN, DONE)))
        .order_by(order, FollowUp.due_on, FollowUp.completed_at.desc(), FollowUp.id)
        .limit(limit)))


def mine(user: User, show: str) -> Select:
    """The "My follow-ups" query: `user`'s open ones (overdue first: the earliest due
    comes first), done ones (latest first), or suggestions for them or for nobody yet."""
    base = select(FollowUp).join(Customer, Customer.id == FollowUp.customer_id).where(
        visible_clause(user))
    if show == SUGGESTED:
        return base.where(FollowUp.state == SUGGESTED, or_(
            FollowUp.assignee_id == user.id, FollowUp.assignee_id.is_(None))).order_by(
            FollowUp.created_at.desc(), FollowUp.id.desc())
    mine_only = and_(FollowUp.assignee_id == user.id)
    if show == DONE:
        return base.where(mine_only, FollowUp.state == DONE).order_by(
            FollowUp.completed_at.desc(), FollowUp.id.desc())
    return base.where(mine_only, FollowUp.state == OPEN).order_by(
        FollowUp.due_on, FollowUp.due_time.is_(None), FollowUp.due_time, FollowUp.id)
