"""The periodic clean-up of customer imports, run by a real worker."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.models import CustomerImport, utcnow
from app.queues import get_queue
from tests.jobs.helpers import run_burst_worker

ROWS = {"header": ["Name", "VAT number"], "rows": [["Ada Lovelace", "DE811907980"]]}


def _import(db, user, *, idle: timedelta, state: str = "uploaded", age: timedelta | None = None,
            **fields) -> int:
    now = utcnow()
    upload = CustomerImport(user_id=user.id, filename=f"{state}.csv", state=state,
                            created_at=now - (age or idle), updated_at=now - idle, **fields)
    db.session.add(upload)
    db.session.commit()
    return upload.id


def _run_scheduled(app, name: str) -> None:
    """Enqueue the scheduled job by its dotted path, as the scheduler does."""
    from app.jobs.schedule import SCHEDULE

    [job] = [job for job in SCHEDULE if job.name == name]
    get_queue(job.queue).enqueue(job.func)
    run_burst_worker(app)


def test_abandoned_imports_are_deleted_after_a_day(app, db, make_user):
    user = make_user("admin")
    abandoned = _import(db, user, idle=timedelta(hours=25), data=ROWS)
    mapped_today = _import(db, user, idle=timedelta(hours=23), age=timedelta(days=3), data=ROWS)
    done = _import(db, user, idle=timedelta(days=30), state="done", data=ROWS,
                   summary={"created": 1, "updated": 0, "skipped": 0})

    for _ in range(2):  # safe to run twice
        _run_scheduled(app, "forget-abandoned-imports")
        db.session.expire_all()
        assert db.session.get(CustomerImport, abandoned) is None
        assert db.session.get(CustomerImport, mapped_today).data == ROWS
        kept = db.session.get(CustomerImport, done)
        assert kept.summary["created"] == 1 and kept.data is None
    assert db.session.scalar(sa.text("SELECT data FROM customer_imports WHERE id = :id"),
                             {"id": done}) is None
