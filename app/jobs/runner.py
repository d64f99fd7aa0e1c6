"""The RQ worker, run inside the app, and the enqueuing of the periodic jobs (`schedule`)."""
from __future__ import annotations

import logging
import threading
from multiprocessing.context import ForkProcess

from flask import Flask
from rq import SimpleWorker
from rq.scheduler import RQScheduler

from app.jobs.schedule import SCHEDULE
from app.logs import job_log_context
from app.queues import get_queue, get_redis

log = logging.getLogger(__name__)


def _run_scheduler(scheduler) -> None:
    from rq.scheduler import run

    from app.processes import die_with_parent

    die_with_parent()  # a kill -9 of the worker must not leave its scheduler running
    run(scheduler)


class ChildScheduler(RQScheduler):
    """RQ's scheduler process, made to stop when its worker dies in any way."""

    def start(self):
        self._status = self.Status.STARTED
        self._connection = None  # a Redis connection can't cross the fork
        self._process = ForkProcess(target=_run_scheduler, args=(self,), name="Scheduler")
        self._process.start()
        return self._process


class AppWorker(SimpleWorker):
    """Runs each job in a fresh app context (and so a fresh database session).

    While a job runs, every log record carries its id and queue (see app.logs). RQ's own
    lines name jobs by id only: a job's description repeats its arguments.
    """

    app: Flask

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)

    def perform_job(self, job, queue, *args, **kwargs):
        with self.app.app_context(), job_log_context(job.id, queue.name):
            return super().perform_job(job, queue, *args, **kwargs)

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO",
                         *args, **kwargs):
        # As RQ's own, but with ChildScheduler (see there).
        self.scheduler = ChildScheduler(
            self.queues, connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            serializer=self.serializer)
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if burst:
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()
        else:
            self.scheduler.start()


def enqueue_due_periodic(app: Flask) -> list[str]:
    """Enqueue each periodic job whose slot is free; a Redis key makes it run once."""
    conn = get_redis(app)
    enqueued = []
    for job in SCHEDULE:
        # SET NX EX: whichever worker takes the key first enqueues; the others skip.
        if conn.set(f"clientele:periodic:{job.name}", "1", nx=True, ex=job.every_seconds):
            get_queue(job.queue, app).enqueue(job.func, job_id=f"periodic-{job.name}",
                                              result_ttl=600, failure_ttl=86400,
                                              job_timeout=job.timeout)
            enqueued.append(job.name)
    return enqueued


def _periodic_loop(app: Flask, stop: threading.Event) -> None:
    while not stop.wait(5):
        try:
            enqueue_due_periodic(app)
        except Exception:  # noqa: BLE001 - Redis down: try again next tick
            log.warning("could not schedule periodic jobs", exc_info=True)


def run_worker(app: Flask, queue_names: list[str], burst: bool = False) -> None:
    queues = [get_queue(name.strip(), app) for name in queue_names if name.strip()]
    worker = AppWorker(queues, connection=get_redis(app))
    worker.app = app
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_periodic_loop, args=(app, stop), daemon=True).start()
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        stop.set()
