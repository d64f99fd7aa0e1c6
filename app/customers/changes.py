"""Changing customer records: tags, snapshots and the field changes the audit log keeps.

No Flask request globals: the web routes, the CSV import and the demo seeder share it.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, Tag, User

# Values of these fields never reach the audit log, only that they changed.
SENSITIVE_FIELDS = {"identifiers", "born_or_founded"}


def parse_tags(text: str) -> list[str]:
    """`"vip, Newsletter;  vip"` → `["vip", "Newsletter"]` (order kept, case-insensitive)."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,;]", text or ""):
        name = " ".join(part.split())[:60]
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def tags_named(names: Iterable[str]) -> list[Tag]:
    """Existing tags by case-insensitive name, creating the missing ones."""
    tags = []
    for name in names:
        tag = db.session.scalar(select(Tag).where(func.lower(Tag.name) == name.lower()))
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def all_tag_names() -> list[str]:
    return list(db.session.scalars(select(Tag.name).order_by(func.lower(Tag.name))))


def assignable_users() -> list[User]:
    """Who a customer can be assigned to: active accounts that can hold customers."""
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(("admin", "billing", "staff")))
        .order_by(User.name, User.email)))


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def snapshot(customer: Customer, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, JSON-ready (contacts and tags as lists)."""
    values: dict[str, Any] = {}
    for field in fields:
        if field == "emails":
            values[field] = [f"{e.address} ({e.state}{', primary' if e.is_primary else ''})"
                             for e in customer.emails]
        elif field == "phones":
            values[field] = [p.e164 + (f" ({p.label})" if p.label else "")
                             for p in customer.phones]
        elif field == "addresses":
            values[field] = [address_text(a) for a in customer.addresses]
        elif field == "tags":
            values[field] = [t.name for t in customer.tags]
        elif field == "owner_id":
            values["owner"] = customer.owner.email if customer.owner else None
        elif field == "identifiers":
            values[field] = [f"{i.kind}:{i.value}" for i in customer.identifiers]
        else:
            values[field] = _plain(getattr(customer, field))
    return values


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`{field: [old, new]}` for what changed; sensitive values replaced by a marker."""
    result: dict[str, Any] = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        result[key] = "[changed, value not logged]" if key in SENSITIVE_FIELDS else [old, new]
    return result


def address_text(address) -> str:
    parts = (address.line1, address.line2, f"{address.postal_code} {address.city}".strip(),
             address.region, address.country)
    return ", ".join(p for p in parts if p)
