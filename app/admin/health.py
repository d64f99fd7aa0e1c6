"""Health of the parts the app needs, without exposing any data.

The answer holds only booleans and a count: no names, hosts, versions or errors.
"""
from __future__ import annotations

from sqlalchemy import text

from app.extensions import db
from app.queues import get_redis, redis_alive


def check_health() -> dict[str, bool | int | str]:
    try:
        db.session.execute(text("SELECT 1"))
        database = True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        db.session.rollback()
        database = False
    redis_ok = redis_alive()
    workers = 0
    if redis_ok:
        from app.admin.jobs import count_live_workers

        try:
            workers = count_live_workers(get_redis())
        except Exception:  # noqa: BLE001
            workers = 0
    # "down": this process can't serve pages. "degraded": pages work but queued work
    # (sending, events) waits, for Redis or for a worker.
    status = "down" if not database else "ok" if redis_ok and workers else "degraded"
    return {"status": status, "database": database, "redis": redis_ok, "workers": workers}
