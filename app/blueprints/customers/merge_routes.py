"""Duplicates: the last check's list, checking again (a job, with progress), "not a
duplicate", merging two files side by side, and undo."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.customers import bp
from app.customers.access import can_see_customer, get_by_id
from app.customers.changes import assignable_users
from app.customers.consent import KINDS
from app.customers import duplicate_checks
from app.customers.duplicates import dismiss_pair
from app.customers.merge import (FIELDS, UNDO_DAYS, MergeRefused, merge_customers,
                                 undo_deadline, undo_merge, undo_refusal)
from app.extensions import db
from app.models import Customer, CustomerMerge, utcnow
from app.web.auth import requires
from app.web.endings import audit_request, see_other
from app.web.lookups import get_changeable_customer_or_404
from app.web.render import hx_redirect, is_htmx, no_store, render

TEMPLATE = "customers/duplicates.html"


def _recent_merges() -> list[tuple[CustomerMerge, Customer, Customer, str | None]]:
    """Merges of the last 30 days among customers the user sees, with why each can't be
    undone (None when it can)."""
    since = utcnow() - timedelta(days=UNDO_DAYS)
    merges = db.session.scalars(
        select(CustomerMerge).where(CustomerMerge.merged_at >= since,
                                    CustomerMerge.undone_at.is_(None))
        .order_by(CustomerMerge.merged_at.desc()).limit(20))
    rows = []
    for merge in merges:
        survivor = db.session.get(Customer, merge.survivor_id)
        merged = db.session.get(Customer, merge.merged_id)
        if can_see_customer(survivor, current_user) and can_see_customer(merged, current_user):
            rows.append((merge, survivor, merged, undo_refusal(merge, survivor, merged)))
    return rows


# What the progress bar says each step of a check is doing.
STEP_WORDS = {"": "Waiting for the background worker to start…",
              "emails": "Comparing email addresses…", "phones": "Comparing phone numbers…",
              "numbers": "Comparing ID numbers…", "names": "Comparing names and companies…",
              "saving": "Saving the list…"}


def _page_context() -> dict:
    """The page and its progress fragment: the last finished check's list, and the check
    under way, if any."""
    done = duplicate_checks.last_done()
    return dict(done=done, running=duplicate_checks.open_check(),
                candidates=duplicate_checks.candidates(done, current_user) if done else [],
                merges=_recent_merges(), undo_deadline=undo_deadline,
                steps=STEP_WORDS)


@bp.route("/duplicates")
@requires("customers.merge")
def duplicates():
    return no_store(render(TEMPLATE, **_page_context()))


@bp.route("/duplicates/progress")
@requires("customers.merge")
def duplicate_progress():
    """The check's progress, polled while it runs; once it is over, the page again, now
    showing the new list."""
    context = _page_context()
    if context["running"] is None and is_htmx():
        return hx_redirect(url_for("customers.duplicates"))
    return no_store(render(TEMPLATE, "progress", **context))


@bp.route("/duplicates/check", methods=["POST"])
@requires("customers.merge")
def duplicate_check():
    """Check every customer again: at once in a small office, else in the worker."""
    check, new = duplicate_checks.start(current_user)
    db.session.commit()
    if new and duplicate_checks.runs_inline():
        try:
            duplicate_checks.run(check.id)
        except Exception:  # noqa: BLE001 - logged by run; the page says it stopped
            db.session.rollback()
            return see_other(url_for("customers.duplicates"),
                             "The check stopped because of an error on our side.", "error")
    elif new:
        duplicate_checks.enqueue(check.id)
    return see_other(url_for("customers.duplicates"))


@bp.route("/duplicates/dismiss", methods=["POST"])
@requires("customers.merge")
def duplicate_dismiss():
    first, second = _pair_from_form()
    if dismiss_pair(first, second, current_user):
        audit_request("customer.not_duplicate", subject_type="customer", subject_id=first.id,
                      details={"other_id": second.id},
                      summary=f"Customers #{first.id} and #{second.id} marked as not "
                              "duplicates")
    db.session.commit()
    return see_other(url_for("customers.duplicates"),
                     f"{first.display_name} and {second.display_name} will not be "
                     "suggested again.")


def _pair_from_form() -> tuple[Customer, Customer]:
    ids = [request.form.get(k, "") for k in ("first_id", "second_id")]
    if not all(i.isascii() and i.isdigit() for i in ids):
        abort(400, "Choose two customers.")
    return (get_changeable_customer_or_404(int(ids[0])),
            get_changeable_customer_or_404(int(ids[1])))


def _merge_context(survivor: Customer, merged: Customer, error: str = "") -> dict:
    owners = {u.id: u.display_name for u in assignable_users()}
    return dict(survivor=survivor, merged=merged, fields=FIELDS, error=error,
                consent_kinds=KINDS, owners=owners,
                shared_addresses=sorted({e.address.lower() for e in survivor.emails}
                                        & {e.address.lower() for e in merged.emails}))


@bp.route("/<int:customer_id>/merge/<int:other_id>", methods=["GET", "POST"])
@requires("customers.merge")
def merge(customer_id: int, other_id: int):
    """`customer_id` survives; `other_id` is merged into it."""
    survivor = get_changeable_customer_or_404(customer_id)
    merged = get_changeable_customer_or_404(other_id)
    if survivor.id == merged.id:
        abort(400, "Choose two different customers.")
    if request.method == "GET":
        return render("customers/merge.html", **_merge_context(survivor, merged))
    choices = {name: "merged" for name, _ in FIELDS if request.form.get(name) == "merged"}
    names = (survivor.display_name, merged.display_name)
    try:
        record = merge_customers(survivor, merged, choices, user=current_user)
    except MergeRefused as exc:
        db.session.rollback()
        return render("customers/merge.html", status=409,
                      **_merge_context(survivor, merged, str(exc)))
    audit_request("customer.merged", subject_type="customer", subject_id=survivor.id,
                  details={"merged_id": merged.id, "merge_id": record.id,
                           "fields_from_merged": sorted(choices),
                           "consents_withdrawn": sorted(record.record["consents"])},
                  summary=f"Merged customer #{merged.id} into #{survivor.id}")
    db.session.commit()
    return see_other(url_for("customers.show", customer_id=survivor.id),
                     f"Merged {names[1]} into {names[0]}. You can undo this from "
                     "Customers → Duplicates for 30 days.")


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"])
@requires("customers.merge")
def merge_undo(merge_id: int):
    record = get_by_id(CustomerMerge, merge_id)
    if record is None or not all(
            can_see_customer(db.session.get(Customer, i), current_user)
            for i in (record.survivor_id, record.merged_id)):
        abort(404)
    try:
        undo_merge(record, user=current_user)
    except MergeRefused as exc:
        db.session.rollback()
        return see_other(url_for("customers.duplicates"), str(exc), "error")
    audit_request("customer.merge_undone", subject_type="customer",
                  subject_id=record.survivor_id,
                  details={"merged_id": record.merged_id, "merge_id": record.id},
                  summary=f"Undid the merge of customer #{record.merged_id} into "
                          f"#{record.survivor_id}")
    db.session.commit()
    return see_other(url_for("customers.show", customer_id=record.merged_id),
                     "The merge was undone: both files are back as they were.")
