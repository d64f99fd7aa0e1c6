"""Expected, temporary trouble is one warning line, not an error with a traceback; RQ's
scheduler (a thread of the worker) waits out a short Redis outage. Real worker processes."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from rq import Queue

from app.dev.embedded_redis import EmbeddedRedis
from app.dev.net import free_port
from app.extensions import db
from app.mail import outbox
from app.models import EmailMessage
from tests.factories import make_customer, make_invoice
from tests.faults.conftest import start_worker, stop_processes
from tests.support.smtp_server import ControlledSmtpServer

pytestmark = pytest.mark.slow


def _queue_two() -> list[int]:
    messages = outbox.add_messages(
        recipients=[outbox.Recipient("a@example.org"), outbox.Recipient("b@example.org")],
        subject="Invoice", body="Hi", invoice=make_invoice(make_customer()),
        attach_pdf=False)
    db.session.commit()
    ids = [m.id for m in messages]
    assert outbox.enqueue(ids)
    return ids


def _burst_log(worker_env, port: int) -> str:
    worker = start_worker(worker_env(MAIL_PORT=str(port)), "--burst")
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    return err


def _levels(log: str) -> list[str]:
    return [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line
            or " CRITICAL " in line]


def test_relay_down_is_one_warning_line(app, worker_env):
    ids = _queue_two()
    log = _burst_log(worker_env, free_port())  # nothing listens there
    assert "Traceback" not in log, log
    (line,) = _levels(log)
    assert " WARNING " in line and "2 message(s) deferred, will retry" in line, line
    db.session.expire_all()
    assert {db.session.get(EmailMessage, i).state for i in ids} == {"delayed"}


def test_a_4xx_from_the_relay_is_one_warning_line_with_its_answer(app, worker_env):
    server = ControlledSmtpServer().start()
    server.set_mode("defer")
    try:
        _queue_two()
        log = _burst_log(worker_env, server.port)
    finally:
        server.stop()
    assert "Traceback" not in log, log
    (line,) = _levels(log)
    assert " WARNING " in line and "451 4.7.1" in line and "Greylisted" in line, line


def test_the_scheduler_survives_a_short_redis_outage(app, worker_env):
    port = free_port()
    server = EmbeddedRedis(port=port).start()
    worker = None
    try:
        conn = redis.Redis.from_url(server.url)
        worker = start_worker(worker_env(REDIS_URL=server.url))
        deadline = time.monotonic() + 30
        while not conn.keys("rq:scheduler-lock:*") or not conn.keys("rq:worker:*"):
            assert worker.poll() is None, worker.stderr.read()
            assert time.monotonic() < deadline, "the worker never started its scheduler"
            time.sleep(0.2)

        server.stop()
        time.sleep(3)  # the scheduler ticks every second: it meets the outage
        server.start()  # the same port, empty (no persistence)
        conn = redis.Redis.from_url(server.url)

        job = Queue("default", connection=conn).enqueue_in(timedelta(seconds=1), "os.getpid")
        deadline = time.monotonic() + 30
        while job.get_status(refresh=True) != "finished":
            assert worker.poll() is None, worker.stderr.read()
            assert time.monotonic() < deadline, f"the scheduled job stayed {job.get_status()}"
            time.sleep(0.2)
        assert job.return_value() == worker.pid
    finally:
        log = ""
        if worker is not None:
            stop_processes([worker])
            log = worker.stderr.read()
        server.stop()
    scheduler_lines = [line for line in log.splitlines() if "scheduler" in line.lower()
                       and (" WARNING " in line or " ERROR " in line)]
    assert not [line for line in scheduler_lines if " ERROR " in line], log
    assert sum("Redis unreachable" in line for line in scheduler_lines) == 1, log
