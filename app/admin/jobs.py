"""What the job system is doing, for the admin Jobs page and /healthz.

Plain module: it takes a Redis connection and a database session, never a request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import redis
from rq import Queue, Worker
from rq.defaults import DEFAULT_WORKER_TTL
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin import heartbeats
from app.logs import scrub
from app.models import EmailMessage
from app.queues import QUEUE_NAMES

# An idle worker heartbeats about every DEFAULT_WORKER_TTL - 15 s (its blocking dequeue
# times out); one silent for longer than its key lives is gone.
HEARTBEAT_MAX_AGE = timedelta(seconds=DEFAULT_WORKER_TTL + 60)
STUCK_AFTER = timedelta(minutes=10)
LIST_LIMIT = 50
ERROR_LINES = 4


def human_age(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    s = max(int(delta.total_seconds()), 0)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    return f"{s // 3600} h" if s < 172800 else f"{s // 86400} days"


@dataclass
class QueueInfo:
    name: str
    waiting: int
    running: int
    scheduled: int
    failed: int


@dataclass
class WorkerInfo:
    name: str
    state: str
    current_job: str | None
    last_heartbeat: datetime | None
    queues: list[str]
    alive: bool
    beat_age: timedelta | None = None

    @property
    def beat_age_text(self) -> str:
        return human_age(self.beat_age)


@dataclass
class JobInfo:
    id: str
    queue: str
    func: str
    at: datetime | None  # scheduled for, or failed at
    error: str = ""


@dataclass
class StuckMessage:
    id: int
    state: str
    to_address: str
    invoice_id: int | None
    attempts: int
    since: datetime
    age: timedelta

    @property
    def age_text(self) -> str:
        return human_age(self.age)


@dataclass
class JobsOverview:
    redis_ok: bool
    queues: list[QueueInfo] = field(default_factory=list)
    workers: list[WorkerInfo] = field(default_factory=list)
    scheduled: list[JobInfo] = field(default_factory=list)
    failed: list[JobInfo] = field(default_factory=list)
    failed_total: int = 0
    stuck: list[StuckMessage] = field(default_factory=list)
    stuck_total: int = 0
    parts: dict[str, str] = field(default_factory=dict)  # worker, receiver → part_states

    @property
    def live_workers(self) -> int:
        return sum(1 for w in self.workers if w.alive)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def workers(conn: redis.Redis, now: datetime | None = None) -> list[WorkerInfo]:
    """Registered RQ workers; `alive` when the last heartbeat is recent.

    RQ's own heartbeat keeps a killed worker "alive" for minutes; one that beats ours
    (app.admin.heartbeats, every few seconds) is dead as soon as those beats stop.
    """
    now = now or datetime.now(timezone.utc)
    silent = heartbeats.silent_instances(conn, "worker")
    found = []
    for worker in Worker.all(connection=conn):
        beat = _aware(worker.last_heartbeat)
        found.append(WorkerInfo(
            name=worker.name, state=str(getattr(worker.get_state(), "value",
                                                worker.get_state())),
            current_job=worker.get_current_job_id(), last_heartbeat=beat,
            queues=worker.queue_names(),
            alive=(beat is not None and now - beat <= HEARTBEAT_MAX_AGE
                   and worker.name not in silent),
            beat_age=now - beat if beat else None))
    return sorted(found, key=lambda w: w.name)


def count_live_workers(conn: redis.Redis) -> int:
    return sum(1 for w in workers(conn) if w.alive)


def part_states(conn: redis.Redis, live_workers: int) -> dict[str, str]:
    """The worker and the bounce receiver: "alive", "dead" or "not configured".

    A worker is always needed: none alive is "dead". The receiver is optional (dev
    installs run none): never started is "not configured", vanished is "dead".
    """
    receiver = heartbeats.part_state(conn, "receiver").state
    return {"worker": "alive" if live_workers else "dead", "receiver": receiver}


def _error_tail(job: Job) -> str:
    result = job.latest_result()
    text = (getattr(result, "exc_string", None) or job._exc_info or "").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return scrub("\n".join(lines[-ERROR_LINES:]))


def _job_info(job: Job, at: datetime | None, with_error: bool = False) -> JobInfo:
    return JobInfo(id=job.id, queue=job.origin, func=job.func_name or "?", at=_aware(at),
                   error=_error_tail(job) if with_error else "")


def _queue_state(conn: redis.Redis, overview: JobsOverview) -> None:
    failed: list[JobInfo] = []
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=conn)
        failed_reg = FailedJobRegistry(queue=queue)
        scheduled_reg = ScheduledJobRegistry(queue=queue)
        overview.queues.append(QueueInfo(
            name=name, waiting=queue.count,
            running=StartedJobRegistry(queue=queue).count,
            scheduled=scheduled_reg.count, failed=failed_reg.count))
        overview.failed_total += failed_reg.count
        scheduled_ids = scheduled_reg.get_job_ids(0, LIST_LIMIT - 1)
        for job in Job.fetch_many(scheduled_ids, connection=conn):
            if job is not None:
                overview.scheduled.append(
                    _job_info(job, scheduled_reg.get_scheduled_time(job)))
        failed_ids = failed_reg.get_job_ids(0, LIST_LIMIT - 1, desc=True)
        for job in Job.fetch_many(failed_ids, connection=conn):
            if job is not None:
                failed.append(_job_info(job, job.ended_at, with_error=True))
    overview.scheduled.sort(key=lambda j: j.at or datetime.max.replace(tzinfo=timezone.utc))
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    overview.failed = sorted(failed, key=lambda j: j.at or epoch, reverse=True)[:LIST_LIMIT]


def stuck_messages(session: Session, now: datetime | None = None
                   ) -> tuple[list[StuckMessage], int]:
    """Messages left in `queued` or `sending` for longer than STUCK_AFTER, oldest first.

    A queued message whose next attempt is still ahead is waiting, not stuck.
    """
    now = now or datetime.now(timezone.utc)
    cutoff = now - STUCK_AFTER
    rows = session.scalars(
        select(EmailMessage)
        .where(EmailMessage.state.in_(("queued", "sending")), EmailMessage.created_at < cutoff)
        .order_by(EmailMessage.created_at, EmailMessage.id).limit(500)).all()
    stuck = []
    for m in rows:
        if m.state == "sending":
            since = m.claimed_at or m.last_attempt_at or m.created_at
        else:
            since = max(m.created_at, m.next_attempt_at or m.created_at,
                        m.enqueued_at or m.created_at)
        if since < cutoff:
            stuck.append(StuckMessage(m.id, m.state, m.to_address, m.invoice_id,
                                      m.attempts, since, now - since))
    return stuck[:LIST_LIMIT], len(stuck)


def jobs_overview(conn: redis.Redis, session: Session,
                  now: datetime | None = None) -> JobsOverview:
    """Everything the Jobs page shows. Redis down: `redis_ok` False, the rest still filled."""
    now = now or datetime.now(timezone.utc)
    overview = JobsOverview(redis_ok=True)
    try:
        conn.ping()
        _queue_state(conn, overview)
        overview.workers = workers(conn, now)
        overview.parts = part_states(conn, overview.live_workers)
    except redis.RedisError:
        overview = JobsOverview(redis_ok=False)
    overview.stuck, overview.stuck_total = stuck_messages(session, now)
    return overview


def retry_failed_job(conn: redis.Redis, job_id: str) -> Job | None:
    """Put a failed job back on its queue; None when no failed job has that id."""
    try:
        job = Job.fetch(job_id, connection=conn)
    except (NoSuchJobError, ValueError):  # RQ refuses ids it could never have made (".")
        return None
    try:
        return FailedJobRegistry(job.origin, connection=conn).requeue(job)
    except InvalidJobOperation:  # not (or no longer) in the failed registry
        return None
