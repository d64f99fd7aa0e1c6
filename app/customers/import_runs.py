"""Running a confirmed import: in batches, each row whole or not at all, with progress.

A confirmed import is `queued`; `run` takes it to `done` (or `failed`), committing one
batch of rows at a time together with how far it got, so the progress bar reads it and
a run that is interrupted resumes where it stopped. A row with problems is set aside
with its reasons (`CustomerImport.skipped`, encrypted like the upload) when the user
chose that; a batch the database refuses is retried row by row, each in a savepoint, so
one bad row never takes another with it. Small files run while the user waits, large
ones in the worker (`app.jobs.customers.import_customers`, given the import's id only).
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app import audit
from app import fields as custom_fields
from app.customers.csv_export import safe_cell
from app.customers.csv_import import Row, apply_rows, validate
from app.extensions import db
from app.models import CustomerImport, User, utcnow
from app.queues import hand_over

log = logging.getLogger(__name__)

BATCH = 500
INLINE_ROWS = 200  # up to this many rows are imported within the request
JOB_TIMEOUT = 1800  # seconds; 10,000 rows take seconds, a busy database minutes
STALLED_AFTER_S = 300  # a queued or running import this quiet is handed to a worker again
OPEN_STATES = ("queued", "running")


def confirm(upload: CustomerImport, *, skip_problems: bool) -> None:
    """Mark an import as confirmed by its owner; the caller commits, then runs or enqueues."""
    upload.state = "queued"
    upload.skip_problems = skip_problems
    upload.total = len(upload.data["rows"])
    upload.processed = 0
    upload.summary = {"created": 0, "updated": 0, "skipped": 0, "problems": 0}
    upload.skipped = None


def runs_inline(upload: CustomerImport) -> bool:
    return upload.total <= INLINE_ROWS


def enqueue(import_id: int) -> bool:
    """Hand a committed, confirmed import to a worker. False when Redis is unreachable:
    the import stays queued and the periodic sweep (`stalled`) hands it over later."""
    return hand_over("app.jobs.customers.import_customers", import_id, timeout=JOB_TIMEOUT,
                     description=f"import customers #{import_id}")


@dataclass
class Progress:
    """What a run carries from batch to batch. Batches never read the upload again: after
    each commit it is expired, and reading it would decrypt every row of the file anew."""

    upload: CustomerImport
    rows: list[Row]
    data: dict
    filename: str
    user: User
    ip: str | None
    start: int
    summary: dict
    skipped: list


def run(import_id: int, region: str, ip: str | None = None) -> str:
    """Import the rows of a confirmed import from where it stopped; its state afterwards.

    Safe to run twice, and twice at once: every batch moves `processed` on only from the
    value it started at, so a second runner finds it moved and stops.
    """
    upload = db.session.get(CustomerImport, import_id)
    if upload is None or upload.state not in OPEN_STATES:
        return upload.state if upload else "gone"
    data = upload.data
    user = db.session.get(User, upload.user_id)
    review = validate(data, upload.mapping, upload.mode, region,
                      custom_fields.fields_for(user))
    if review.mapping_errors or (review.errors and not upload.skip_problems):
        # Something changed since the user checked the file (a user left, say): back to
        # the review page, which shows why; nothing has been imported.
        if upload.processed == 0:
            upload.state = "uploaded"
            db.session.commit()
            return upload.state
    progress = Progress(upload, review.rows, data, upload.filename,
                        user, ip, upload.processed,
                        dict(upload.summary),
                        list(upload.skipped["rows"]) if upload.skipped else [])
    upload.state = "running"
    db.session.commit()
    try:
        while progress.start < len(progress.rows):
            if not run_batch(progress):
                return "running"  # another runner has it
        _finish(progress)
    except Exception:
        db.session.rollback()
        log.exception("customer import %s stopped", import_id)
        db.session.execute(update(CustomerImport).where(CustomerImport.id == import_id)
                           .values(state="failed"))
        db.session.commit()
        raise
    return "done"


def run_batch(p: Progress) -> bool:
    """Import the next batch and commit it with the progress; False if another runner
    has already taken it."""
    batch = p.rows[p.start:p.start + BATCH]
    # Claim the batch first: the UPDATE waits for (and then fails against) another runner
    # writing the same batch, and opens the transaction the savepoints nest in.
    claimed = db.session.execute(
        update(CustomerImport)
        .where(CustomerImport.id == p.upload.id, CustomerImport.processed == p.start)
        .values(processed=p.start + len(batch))
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return False
    good = [r for r in batch if not r.errors]
    set_aside = [r for r in batch if r.errors]
    try:
        with db.session.begin_nested():
            counts = apply_rows(good, user=p.user, filename=p.filename, ip=p.ip)
    except Exception:  # noqa: BLE001 - whatever it was, find the row and set it aside
        counts = {"created": 0, "updated": 0, "skipped": 0}
        for row in good:
            # Customers being updated may hold changes of rows that were rolled back.
            db.session.expire_all()
            try:
                with db.session.begin_nested():
                    one = apply_rows([row], user=p.user, filename=p.filename, ip=p.ip)
            except Exception as exc:  # noqa: BLE001
                log.warning("customer import %s: line %s could not be saved (%s)",
                            p.upload.id, row.line, exc.__class__.__name__, exc_info=True)
                row.errors.append("This row could not be saved; nothing of it was imported.")
                set_aside.append(row)
            else:
                counts = {k: counts[k] + one[k] for k in counts}
        db.session.expire_all()
    for key, value in counts.items():
        p.summary[key] = p.summary.get(key, 0) + value
    p.summary["problems"] = p.summary.get("problems", 0) + len(set_aside)
    p.upload.summary = dict(p.summary)
    if set_aside:
        cells = p.data["rows"]
        p.skipped += [[row.line, " ".join(row.errors), *cells[row.line - 2]]
                      for row in sorted(set_aside, key=lambda r: r.line)]
        p.upload.skipped = {"header": p.data["header"], "rows": list(p.skipped)}
    p.upload.processed = p.start + len(batch)
    db.session.commit()
    p.start += len(batch)
    return True


def _finish(p: Progress) -> None:
    counts = {k: p.summary.get(k, 0) for k in ("created", "updated", "skipped", "problems")}
    audit.record("customers.imported", user=p.user, ip=p.ip,
                 details={"file": p.filename, **counts}, summary=f"Imported {p.filename}")
    p.upload.state, p.upload.data = "done", None
    db.session.commit()


def skipped_csv(upload: CustomerImport) -> str:
    """The rows set aside, as CSV for Excel (BOM), each with its line and its problem."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(c) for c in ["Line", "Problem", *upload.skipped["header"]]])
    for row in upload.skipped["rows"]:
        writer.writerow([safe_cell(c) for c in row])
    return buffer.getvalue()


def stalled(now: datetime | None = None) -> list[int]:
    """Imports confirmed or running that nobody has moved on for a while (a lost job)."""
    cutoff = (now or utcnow()) - timedelta(seconds=STALLED_AFTER_S)
    return list(db.session.scalars(select(CustomerImport.id).where(
        CustomerImport.state.in_(OPEN_STATES), CustomerImport.updated_at < cutoff)))
