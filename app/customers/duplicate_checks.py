"""Checking every customer for duplicates as a job, and reading what the last check found.

At 50,000 customers one search takes seconds (README, "Duplicate finder"): too long
for a page. So a check runs in the worker (`app.jobs.customers.check_duplicates`, given
the check's id only), daily and when someone presses "Check again", and reports its
progress on its row. It keeps the MAX_STORED likeliest pairs as ids, a score and the
kinds of what the two share (`DuplicatePair`: no address, phone or number). The page
reads them for the person looking, as they are now: only pairs of customers they may
see, neither merged nor erased since, nor marked "not a duplicate" since. So the list
is usable at once, and a merge or a dismissal shows in it straight away. A small
office (INLINE_CUSTOMERS) is checked within the request.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import delete, exists, func, insert, select, true, update
from sqlalchemy.orm import aliased

from app.customers.access import visibility_clause
from app.customers.duplicates import Candidate, ranked_pairs
from app.extensions import db
from app.models import (Customer, CustomerEmail, CustomerPhone, DuplicateCheck,
                        DuplicateDismissal, DuplicatePair, utcnow)
from app.queues import hand_over

log = logging.getLogger(__name__)

MAX_STORED = 100_000  # pairs kept per check (57,000 at 50,000 customers in the bench)
INLINE_CUSTOMERS = 2_000  # up to this many customers are checked within the request
JOB_TIMEOUT = 1800  # seconds; 50,000 customers take seconds, a busy machine a minute
STALLED_AFTER_S = 300  # an open check this quiet was lost with its worker
OPEN_STATES = ("queued", "running")
# The share of the progress bar each step of `ranked_pairs` fills, in percent: at
# 50,000 customers names take the longest, then decrypting the numbers.
STEPS = {"emails": (0, 5), "phones": (5, 10), "numbers": (10, 35), "names": (35, 90),
         "saving": (90, 100)}
_REPORT_EVERY_S = 0.5


def start(user) -> tuple[DuplicateCheck, bool]:
    """The check to show: one already under way, else a new queued one (True). The
    caller commits, then runs it (`runs_inline`) or enqueues it."""
    under_way = open_check()
    if under_way is not None:
        if under_way.updated_at > utcnow() - timedelta(seconds=STALLED_AFTER_S):
            return under_way, False
        under_way.state = "failed"
    check = DuplicateCheck(state="queued", requested_by_id=getattr(user, "id", None),
                           step="", percent=0, pairs_found=0)
    db.session.add(check)
    db.session.flush()
    return check, True


def runs_inline() -> bool:
    return db.session.scalar(select(func.count()).select_from(Customer)) <= INLINE_CUSTOMERS


def enqueue(check_id: int) -> bool:
    """Hand a committed check to a worker. False when Redis is unreachable: the check
    stays queued, and "Check again" starts another once it is STALLED_AFTER_S old."""
    return hand_over("app.jobs.customers.check_duplicates", check_id, timeout=JOB_TIMEOUT,
                     description=f"duplicate check #{check_id}")


def run(check_id: int) -> str:
    """Search every customer and keep what was found as the check's pairs; the check's
    state at the end. Safe to run twice: a finished check is left as it is, and a run
    that was interrupted starts over."""
    check = db.session.get(DuplicateCheck, check_id)
    if check is None:
        return "gone"
    if check.state not in OPEN_STATES:
        return check.state
    report = _reporter(check_id)
    try:
        report("emails", 0.0)
        ranked = ranked_pairs(true(), report)
        report("saving", 0.0)
        db.session.execute(delete(DuplicatePair).where(DuplicatePair.check_id == check_id))
        kept = ranked[:MAX_STORED]
        for begin in range(0, len(kept), 2000):
            db.session.execute(insert(DuplicatePair.__table__), [
                {"check_id": check_id, "first_id": a, "second_id": b, "score": score,
                 "reasons": _kinds(reasons)}
                for score, (a, b), reasons in kept[begin:begin + 2000]])
        # The older checks go in the same commit that makes this one the last done, so
        # the page never sees two results nor none.
        older = select(DuplicateCheck.id).where(DuplicateCheck.id < check_id,
                                                DuplicateCheck.state.not_in(OPEN_STATES))
        db.session.execute(delete(DuplicatePair).where(DuplicatePair.check_id.in_(older)))
        db.session.execute(delete(DuplicateCheck).where(DuplicateCheck.id.in_(older)))
        now = utcnow()
        db.session.execute(update(DuplicateCheck).where(DuplicateCheck.id == check_id).values(
            state="done", step="", percent=100, pairs_found=len(ranked), finished_at=now,
            updated_at=now))
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("duplicate check %s failed", check_id)
        db.session.execute(update(DuplicateCheck).where(DuplicateCheck.id == check_id)
                           .values(state="failed", updated_at=utcnow()))
        db.session.commit()
        raise
    return "done"


def _kinds(reasons: dict[str, str]) -> dict[str, str]:
    """What a stored pair says about why: the kinds, an ID number's kind and the name's
    score; never the shared address or phone (personal data the files already hold)."""
    return {kind: value if kind in ("identifier", "name") else ""
            for kind, value in reasons.items()}


def _reporter(check_id: int):
    """`report(step, fraction)` for `ranked_pairs`: writes the check's progress, at most
    every _REPORT_EVERY_S and at each new step, committing so the page can read it."""
    last = {"step": None, "at": 0.0}

    def report(step: str, fraction: float) -> None:
        now = time.monotonic()
        if step == last["step"] and now - last["at"] < _REPORT_EVERY_S:
            return
        last.update(step=step, at=now)
        low, high = STEPS[step]
        db.session.execute(update(DuplicateCheck).where(DuplicateCheck.id == check_id).values(
            state="running", step=step, percent=int(low + (high - low) * fraction),
            updated_at=utcnow()))
        db.session.commit()

    return report


def open_check() -> DuplicateCheck | None:
    return db.session.scalar(select(DuplicateCheck).where(
        DuplicateCheck.state.in_(OPEN_STATES)).order_by(DuplicateCheck.id.desc()).limit(1))


def last_done() -> DuplicateCheck | None:
    return db.session.scalar(select(DuplicateCheck).where(DuplicateCheck.state == "done")
                             .order_by(DuplicateCheck.id.desc()).limit(1))


def candidates(check: DuplicateCheck, user, limit: int = 50) -> list[Candidate]:
    """The likeliest pairs `check` found that `user` may see, as the files are now."""
    first, second = aliased(Customer), aliased(Customer)
    pair = DuplicatePair
    rows = db.session.execute(
        select(pair.first_id, pair.second_id, pair.score, pair.reasons)
        .join(first, first.id == pair.first_id).join(second, second.id == pair.second_id)
        .where(pair.check_id == check.id,
               first.erased_at.is_(None), first.merged_into_id.is_(None),
               second.erased_at.is_(None), second.merged_into_id.is_(None),
               visibility_clause(user, pair.first_id), visibility_clause(user, pair.second_id),
               ~exists().where(DuplicateDismissal.first_id == pair.first_id,
                               DuplicateDismissal.second_id == pair.second_id))
        .order_by(pair.score.desc(), pair.first_id, pair.second_id).limit(limit)).all()
    ids = {i for a, b, _, _ in rows for i in (a, b)}
    if not ids:
        return []
    loaded = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    emails, phones = _contacts(ids)
    found = []
    for a, b, score, reasons in rows:
        shown = dict(reasons)
        if "email" in shown:
            shown["email"] = min(emails[a] & emails[b], default="")
        if "phone" in shown:
            common = phones[a].keys() & phones[b].keys()
            shown["phone"] = phones[a][min(common)] if common else ""
        found.append(Candidate(loaded[a], loaded[b], shown, score))
    return found


def _contacts(ids: set[int]) -> tuple[dict[int, set[str]], dict[int, dict[str, str]]]:
    """The addresses (lower case) and phones (E.164 → as written) of these customers: what
    a pair shares is read from the files, as they are now."""
    emails: dict[int, set[str]] = {i: set() for i in ids}
    phones: dict[int, dict[str, str]] = {i: {} for i in ids}
    for customer_id, address in db.session.execute(
            select(CustomerEmail.customer_id, func.lower(CustomerEmail.address))
            .where(CustomerEmail.customer_id.in_(ids))):
        emails[customer_id].add(address)
    for customer_id, e164, display in db.session.execute(
            select(CustomerPhone.customer_id, CustomerPhone.e164, CustomerPhone.display)
            .where(CustomerPhone.customer_id.in_(ids))):
        phones[customer_id].setdefault(e164, display)
    return emails, phones
