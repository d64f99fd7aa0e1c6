from __future__ import annotations

import time

import pytest

from app.jobs.runner import AppWorker
from app.queues import get_queue, get_redis
from tests.support.smtp_server import ControlledSmtpServer


@pytest.fixture
def smtp(app):
    server = ControlledSmtpServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=5,
                      MAIL_RETRY_BACKOFF=(1, 1, 1, 1), MAIL_MAX_ATTEMPTS=3)
    from app.extensions import mail

    mail.init_app(app)
    yield server
    server.stop()


@pytest.fixture
def run_worker(app):
    """Run a real RQ worker (burst) until the queues are empty and nothing is scheduled."""
    def run(timeout: float = 20.0) -> None:
        queues = [get_queue(n) for n in ("mail", "events", "default")]
        deadline = time.monotonic() + timeout
        while True:
            worker = AppWorker(queues, connection=get_redis())
            worker.app = app
            worker.work(burst=True, with_scheduler=True, logging_level="WARNING")
            _raise_failures(queues)
            scheduled = sum(q.scheduled_job_registry.count for q in queues)
            if not scheduled and not any(q.count for q in queues):
                return
            if time.monotonic() > deadline:
                raise AssertionError("jobs still scheduled after the timeout")
            time.sleep(0.3)

    return run


def _raise_failures(queues) -> None:
    """A job that crashed is a test failure, shown with its traceback."""
    for queue in queues:
        for job_id in queue.failed_job_registry.get_job_ids():
            job = queue.fetch_job(job_id)
            result = job.latest_result() if job else None
            if result is not None and "DeliveryDeferred" in (result.exc_string or ""):
                continue  # the last retry of a deferred batch: expected
            raise AssertionError(f"job {job_id} failed:\n{result.exc_string if result else ''}")
