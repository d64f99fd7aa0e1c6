"""Health of the parts the app needs, without exposing any data."""
from __future__ import annotations

from sqlalchemy import text

from app.extensions import db
from app.queues import get_redis, redis_alive


def check_health() -> dict[str, bool | int]:
    try:
        db.session.execute(text("SELECT 1"))
        database = True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        db.session.rollback()
        database = False
    redis_ok = redis_alive()
    workers = 0
    if redis_ok:
        from rq import Worker

        try:
            workers = len(Worker.all(connection=get_redis()))
        except Exception:  # noqa: BLE001
            workers = 0
    return {"database": database, "redis": redis_ok, "workers": workers}
