"""Where each attention item is fixed, as a URL (the domain knows no URLs)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from app.attention import items
from app.attention.kinds import KINDS
from app.models import AttentionItem, Notification
from app.permissions import role_can


# On the home page each kind shows its newest few; "Show all" lists the rest of that kind.
# A new office's first scan can raise dozens of suggestions, which must not bury the one
# rejected email.
PER_KIND = 5


@dataclass
class Group:
    kind: str
    items: list[AttentionItem]
    count: int  # all open items of the kind the user may see


def home_context(user, only: str | None = None) -> dict:
    """What the home page shows: the items with their actions, grouped by kind in the
    kinds' order (or one kind whole, `only`), or (viewers) only counts. The page and the
    fragment a dismissal answers with are built from this alone."""
    acts = role_can(user.role, "attention.dismiss")
    counts = items.open_counts(user)
    only = only if only in counts else None
    groups = []
    if acts:
        order = [k for k in KINDS if k in counts] + sorted(set(counts) - set(KINDS))
        for kind in ([only] if only else order):
            shown = items.open_items(user, limit=200 if only else PER_KIND, kind=kind)
            groups.append(Group(kind, shown, counts[kind]))
    return {"groups": groups, "only": only, "counts": counts, "acts": acts, "kinds": KINDS,
            "item_url": item_url}


def item_url(item: AttentionItem | None) -> str | None:
    """The page where the item is acted on: its invoice, else its customer's file."""
    if item is None:
        return None
    if item.kind == "email_rejected" and item.message_id:
        return url_for("attention.email_fix", message_id=item.message_id)
    if item.kind in ("followup_suggested", "followup_due") and item.customer_id:
        return url_for("customers.show", customer_id=item.customer_id) + "#followups"
    if item.kind in ("contact_review", "reminder_skipped") and item.customer_id:
        return url_for("customers.show", customer_id=item.customer_id)
    if item.invoice_id:
        return url_for("invoices.show", invoice_id=item.invoice_id)
    if item.customer_id:
        return url_for("customers.show", customer_id=item.customer_id)
    if item.kind == "office_rejection":
        return url_for("admin.bounces")
    return None


def notification_url(note: Notification) -> str | None:
    return item_url(note.item) if note.item_id else (note.link or None)
