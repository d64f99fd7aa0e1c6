"""Who may read a captured message: the one rule, for its page, the timeline and its
attachments.

A message filed on customers is visible to a user who may see **every** one of them
(staff see mail with their own customers only, not mail that also names somebody
else's). A private message, and one not filed yet, is its filer's and their admins'
(`capture.private`). Its filer or an admin may file it, mark it private and delete it.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true

from app.customers.access import can_see_customer, visibility_clause
from app.extensions import db
from app.models import CapturedMail, CapturedMailLink, Customer
from app.permissions import role_can


def sees_private(user) -> bool:
    return role_can(getattr(user, "role", None), "capture.private")


def may_manage(mail: CapturedMail, user) -> bool:
    """File, unfile, mark private, delete: its filer (while they may capture) or an admin."""
    if sees_private(user):
        return True
    return mail.filed_by_id == getattr(user, "id", None) and role_can(user.role, "capture.file")


def filed_on(mail: CapturedMail) -> list[Customer]:
    """The customers it is on; a file merged into another is its survivor (which holds
    the same email), so it is not counted."""
    return list(db.session.scalars(
        select(Customer).join(CapturedMailLink, CapturedMailLink.customer_id == Customer.id)
        .where(CapturedMailLink.captured_id == mail.id, Customer.merged_into_id.is_(None))
        .order_by(Customer.id)))


def may_see(mail: CapturedMail | None, user) -> bool:
    """The rule for one message (`visible_clause` is the same rule in SQL)."""
    if mail is None or not role_can(getattr(user, "role", None), "customers.view"):
        return False
    own = mail.filed_by_id == user.id or sees_private(user)
    if mail.private and not own:
        return False
    customers = filed_on(mail)
    if not customers:
        return own
    return all(can_see_customer(c, user) for c in customers)


def visible_clause(user) -> ColumnElement[bool]:
    """A WHERE clause on CapturedMail: the messages `user` may read."""
    if not role_can(getattr(user, "role", None), "customers.view"):
        return false()
    own = true() if sees_private(user) else CapturedMail.filed_by_id == user.id
    merged = select(Customer.id).where(Customer.merged_into_id.isnot(None))
    hidden_customer = exists(select(CapturedMailLink.id).where(
        CapturedMailLink.captured_id == CapturedMail.id,
        CapturedMailLink.customer_id.not_in(merged),
        not_(visibility_clause(user, CapturedMailLink.customer_id))))
    filed = exists(select(CapturedMailLink.id).where(
        CapturedMailLink.captured_id == CapturedMail.id))
    return and_(or_(CapturedMail.private.is_(False), own),
                or_(and_(filed, not_(hidden_customer)), and_(not_(filed), own)))
