"""Job functions and a burst worker for tests: the worker imports jobs by dotted path."""
from __future__ import annotations

import logging

from flask import Flask

from app.jobs.runner import AppWorker
from app.queues import QUEUE_NAMES, get_queue, get_redis

log = logging.getLogger("tests.jobs")


def fail_loudly(customer_id: int) -> None:
    raise ValueError(f"the printer is on fire (customer {customer_id})")


def succeed() -> str:
    return "done"


def log_something(password: str) -> str:
    log.warning("working on it with password=%s and id number 123-45-6789", password)
    return "logged"


def report_health() -> dict:
    from app.admin.health import check_health

    return check_health()


def run_burst_worker(app: Flask, name: str | None = None) -> AppWorker:
    """Drain every queue in this process (SimpleWorker: no fork), as `flask worker --burst`."""
    worker = AppWorker([get_queue(q, app) for q in QUEUE_NAMES], connection=get_redis(app),
                       name=name)
    worker.app = app
    worker.work(burst=True)
    return worker
