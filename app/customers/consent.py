"""How a customer's consent changes: its value, when, and on whose word, written in one place.

A consent (marketing emails, sharing data with third parties) is given or withdrawn on the
file page, by a CSV import, by a spam complaint, and withdrawn by erasure; the demo seeder
gives some. All of them go through `change_consent`, and erasure through `erase_consents`;
only `_write` assigns the columns (tests/customers/test_consent.py walks `app/` for others).

No Flask: the caller names the source (who or what said so) and records the audit entry.
"""
from __future__ import annotations

from datetime import datetime

from app.models import Customer, utcnow

KINDS = ("marketing", "sharing")
_SOURCE_LENGTH = Customer.marketing_consent_source.type.length


def change_consent(customer: Customer, kind: str, given: bool, *, source: str,
                   at: datetime | None = None) -> bool:
    """Record `kind` consent as `given` at `at` (now) on `source`'s word; False if it already was.

    Saying the same answer again changes nothing, so the time and source keep saying when
    and how the answer last changed. A customer not yet flushed has no answer at all: an
    import saying "no" records that "no", its time and the file.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown consent {kind!r}")
    if getattr(customer, f"{kind}_consent") == given:
        return False
    _write(customer, kind, given, source, at or utcnow())
    return True


def erase_consents(customer: Customer, at: datetime | None = None) -> None:
    """Erasure: every consent withdrawn as of `at` (now), and whose word it was forgotten.

    Unlike a change, this writes even a consent already withdrawn: its source can name a
    file or a person, and its time is part of what erasure takes away.
    """
    at = at or utcnow()
    for kind in KINDS:
        _write(customer, kind, False, "", at)


def most_restrictive(customer: Customer, other: Customer, *, source: str,
                     at: datetime | None = None) -> list[str]:
    """A merge: `customer` keeps a consent only if `other` gave it too; the kinds withdrawn.

    A merge never grants: a consent `other` gave and `customer` did not stays withdrawn.
    """
    return [kind for kind in KINDS
            if not getattr(other, f"{kind}_consent")
            and change_consent(customer, kind, False, source=source, at=at)]


def consent_state(customer: Customer, kind: str) -> dict:
    """A consent's value, time and source, as a merge records them for its undo."""
    at = getattr(customer, f"{kind}_consent_at")
    return {"given": getattr(customer, f"{kind}_consent"),
            "at": at.isoformat() if at else None,
            "source": getattr(customer, f"{kind}_consent_source")}


def restore_consent(customer: Customer, kind: str, state: dict) -> None:
    """Undo of a merge: the consent exactly as `consent_state` recorded it before."""
    _write(customer, kind, state["given"], state["source"],
           datetime.fromisoformat(state["at"]) if state["at"] else None)


def _write(customer: Customer, kind: str, given: bool, source: str,
           at: datetime | None) -> None:
    setattr(customer, f"{kind}_consent", given)
    setattr(customer, f"{kind}_consent_at", at)
    setattr(customer, f"{kind}_consent_source", source[:_SOURCE_LENGTH])
