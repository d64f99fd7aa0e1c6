"""The RQ worker, run inside the app, and the enqueuing of the periodic jobs (`schedule`)."""
from __future__ import annotations

import logging
import threading
import time

import redis

from flask import Flask
from rq import SimpleWorker
from rq.job_lifecycle import call_exception_handlers
from rq.scheduler import RQScheduler

from app import settings
from app.admin.heartbeats import Heartbeat
from app.jobs.schedule import SCHEDULE
from app.logs import job_log_context
from app.queues import get_queue, get_redis

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """An expected, temporary failure (the relay is down, it answered 4xx): the job is
    retried by RQ and the worker logs one warning line, not an error with a traceback."""


class ThreadScheduler(RQScheduler):
    """RQ's scheduler (it moves jobs that are due, retries included, into their queues)
    as a thread of its worker instead of a forked process.

    A fork shares the worker's memory only until either side writes to a page, and both
    keep writing (reference counts, the allocator): a forked scheduler came to hold
    ~65 MiB (PSS) for one Redis round trip a second. A thread shares everything and ends
    with its worker however the worker ends, with no child process left behind.
    """

    def start(self):
        from rq.scheduler import run

        self._status = self.Status.STARTED
        self._stop_requested = False
        self._connection = None  # its own connection, as RQ's scheduler process has
        self._process = threading.Thread(target=run, args=(self,), name="rq-scheduler",
                                         daemon=True)
        self._process.start()
        return self._process

    def _install_signal_handlers(self):
        pass  # signals go to the worker, which stops this thread (AppWorker.stop_scheduler)

    def work(self):
        """RQ's loop, but a lost Redis connection is waited out instead of ending the
        thread: RQ's own dies on the first error, and with it every retry and
        `enqueue_in` of this worker (the worker itself reconnects and carries on)."""
        self._install_signal_handlers()
        outage = False
        born = False
        while not self._stop_requested:
            try:
                if not born:
                    self.register_birth()
                    born = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()  # re-acquires the locks a restarted Redis forgot
                self.enqueue_scheduled_jobs()
                if outage:
                    log.warning("scheduler: Redis is back")
                outage = False
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if not outage:  # one line per outage, not one a second
                    log.warning("scheduler: Redis unreachable (%s); retrying", exc)
                outage = True
            time.sleep(self.interval)
        try:
            self.stop()
        except redis.RedisError:
            pass  # its locks and record expire by themselves


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
            settings.recheck()  # a job sees the settings committed before it started
            return super().perform_job(job, queue, *args, **kwargs)

    def handle_exception(self, job, *exc_info):
        if isinstance(exc_info[1], TemporaryFailure):
            self.log.warning("job %s (%s): %s", job.id, job.func_name, exc_info[1])
            call_exception_handlers(self._exc_handlers, job, *exc_info)
            return
        super().handle_exception(job, *exc_info)

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO",
                         *args, **kwargs):
        # As RQ's own, but with ThreadScheduler (see there).
        self.scheduler = ThreadScheduler(
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

    def stop_scheduler(self):
        # RQ's own signals a scheduler process by pid; this one is a thread.
        self.scheduler.request_stop()
        if self.scheduler._process is not None:
            self.scheduler._process.join()


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
    outage = False
    while not stop.wait(5):
        try:
            enqueue_due_periodic(app)
            outage = False
        except redis.RedisError as exc:  # Redis down: one line, and try again next tick
            if not outage:
                log.warning("could not schedule periodic jobs (Redis: %s); retrying", exc)
            outage = True
        except Exception:  # noqa: BLE001 - anything else is a bug worth its traceback
            log.exception("could not schedule periodic jobs")


def run_worker(app: Flask, queue_names: list[str], burst: bool = False) -> None:
    queues = [get_queue(name.strip(), app) for name in queue_names if name.strip()]
    worker = AppWorker(queues, connection=get_redis(app))
    worker.app = app
    stop = threading.Event()
    heartbeat = None
    if not burst:
        # Beats under the RQ worker's name; its claims carry that name, so a sweep on
        # another worker hands them back as soon as the beats stop (app.mail.outbox).
        heartbeat = Heartbeat(lambda: get_redis(app), "worker", worker.name).start()
        app.extensions["worker_heartbeat"] = worker.name
        threading.Thread(target=_periodic_loop, args=(app, stop), daemon=True).start()
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        stop.set()
        if heartbeat is not None:
            heartbeat.stop()
            app.extensions.pop("worker_heartbeat", None)
