"""Health of the parts the app needs, without exposing any data.

The answer holds only booleans, a count and the words alive / dead / not configured /
unknown for the worker and the bounce receiver: no names, hosts, versions or errors.
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
    parts = {"worker": "unknown", "receiver": "unknown"}  # Redis down: nobody can tell
    if redis_ok:
        from app.admin.jobs import count_live_workers, part_states

        try:
            workers = count_live_workers(get_redis())
            parts = part_states(get_redis(), workers)
        except Exception:  # noqa: BLE001
            workers = 0
    # "down": this process can't serve pages. "degraded": pages work but queued work
    # (sending, events) waits, for Redis or for a worker, or bounces go unheard.
    working = redis_ok and workers and parts["receiver"] != "dead"
    status = "down" if not database else "ok" if working else "degraded"
    return {"status": status, "database": database, "redis": redis_ok, "workers": workers,
            **parts}
