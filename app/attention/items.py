"""Raising, resolving, dismissing and listing attention items. The user is passed in."""
from __future__ import annotations

from sqlalchemy import and_, false, func, select, true
from sqlalchemy.exc import IntegrityError

from app.attention.kinds import KINDS
from app.customers.access import sees_all_customers, visibility_clause
from app.extensions import db
from app.models import AttentionItem, Customer, Invoice
from app.models.base import utcnow
from app.permissions import role_can


def raise_item(kind: str, dedupe_key: str, *, customer: Customer | None = None,
               invoice: Invoice | None = None, message=None, detail: str = "",
               admins_only: bool | None = None, by=None) -> tuple[AttentionItem, bool]:
    """The item for this condition and whether it is new (raised now or raised again).

    Idempotent: an open or dismissed item for the same key is returned unchanged (a person
    who dismissed it has seen it); one whose condition had cleared opens again. The
    caller commits.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown attention kind {kind!r}")
    if customer is None and invoice is not None:
        customer = invoice.customer
    if customer is None and message is not None:
        customer = message.customer
    item = _by_key(dedupe_key)
    if item is None:
        item = AttentionItem(
            kind=kind, dedupe_key=dedupe_key, customer=customer,
            invoice=invoice if invoice is not None else getattr(message, "invoice", None),
            message=message, owner_id=getattr(customer, "owner_id", None),
            admins_only=bool(admins_only if admins_only is not None
                             else KINDS[kind].permission), detail=detail[:2000],
            created_by_id=getattr(by, "id", None))
        try:
            with db.session.begin_nested():  # another worker may raise it at this moment
                db.session.add(item)
        except IntegrityError:
            item = _by_key(dedupe_key)
            return item, False
        return item, True
    if item.resolved_at is not None:
        item.resolved_at = item.resolved_by_id = None
        item.dismissed_at = item.dismissed_by_id = None
        item.created_at, item.detail = utcnow(), detail[:2000] or item.detail
        item.owner_id = getattr(customer, "owner_id", item.owner_id)
        return item, True
    return item, False


def _by_key(key: str) -> AttentionItem | None:
    return db.session.scalar(select(AttentionItem).where(AttentionItem.dedupe_key == key))


def resolve(dedupe_key: str, by=None) -> bool:
    """The condition cleared: the item leaves every list. True when one was open."""
    item = _by_key(dedupe_key)
    if item is None or item.resolved_at is not None:
        return False
    item.resolved_at, item.resolved_by_id = utcnow(), getattr(by, "id", None)
    return True


def dismiss(item: AttentionItem, user) -> bool:
    """A person has seen it: gone from every list for everyone. False when already gone."""
    if not item.is_open:
        return False
    item.dismissed_at, item.dismissed_by_id = utcnow(), user.id
    return True


def visible_clause(user):
    """Items `user` may see: those of customers they see (record-level access), items
    without a customer for those who see every customer, and admins-only kinds for
    roles with their permission."""
    if not role_can(getattr(user, "role", None), "dashboard.view"):
        return false()
    if sees_all_customers(user):
        customer = true()
    else:
        customer = AttentionItem.customer_id.isnot(None) & visibility_clause(
            user, AttentionItem.customer_id)
    office = true() if role_can(user.role, "attention.office") else \
        AttentionItem.admins_only.is_(False)
    return and_(customer, office)


def _open():
    return and_(AttentionItem.resolved_at.is_(None), AttentionItem.dismissed_at.is_(None))


def open_items(user, limit: int = 200, kind: str | None = None) -> list[AttentionItem]:
    """The open items `user` may see, newest first; of one kind when `kind` is given."""
    query = select(AttentionItem).where(_open(), visible_clause(user))
    if kind is not None:
        query = query.where(AttentionItem.kind == kind)
    return list(db.session.scalars(
        query.order_by(AttentionItem.created_at.desc(), AttentionItem.id.desc()).limit(limit)))


def open_counts(user) -> dict[str, int]:
    """How many open items of each kind `user` may see (viewers see only these)."""
    rows = db.session.execute(
        select(AttentionItem.kind, func.count(AttentionItem.id))
        .where(_open(), visible_clause(user)).group_by(AttentionItem.kind))
    return {kind: n for kind, n in rows}


def visible_item(item_id: int, user) -> AttentionItem | None:
    return db.session.scalar(select(AttentionItem).where(
        AttentionItem.id == item_id, visible_clause(user)))
