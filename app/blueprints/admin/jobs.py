"""Admin → Jobs: queues, workers, scheduled and failed jobs, stuck messages."""
from __future__ import annotations

from flask import abort, url_for

from app.admin.jobs import STUCK_AFTER, jobs_overview, retry_failed_job
from app.blueprints.admin import bp
from app.extensions import db
from app.queues import get_redis
from app.web.auth import requires
from app.web.endings import audit_request, see_other
from app.web.render import hx_retarget, is_partial, render


def _page(notice: str | None = None, status: int = 200):
    overview = jobs_overview(get_redis(), db.session)
    return render("admin/jobs.html", "live", overview=overview, notice=notice,
                           stuck_minutes=int(STUCK_AFTER.total_seconds() // 60),
                           status=status)


@bp.route("/jobs")
@requires("admin.jobs")
def jobs():
    return _page()


@bp.route("/jobs/failed/<job_id>/retry", methods=["POST"])
@requires("admin.jobs")
def job_retry(job_id: str):
    import redis

    try:
        job = retry_failed_job(get_redis(), job_id)
    except redis.RedisError:
        if is_partial():
            return hx_retarget(_page("Redis is unreachable: nothing was retried.", status=503),
                               "#jobs-live", "innerHTML")
        abort(503)
    if job is None:
        abort(404)
    audit_request("job.retried",
                  details={"job_id": job.id, "queue": job.origin, "func": job.func_name})
    db.session.commit()
    message = f"Job {job.func_name} is back on the {job.origin} queue."
    if is_partial():
        return _page(message)
    return see_other(url_for("admin.jobs"), message)
