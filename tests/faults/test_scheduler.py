"""RQ's scheduler runs as a thread of the worker: due jobs reach their queue, no child
process exists to outlive the worker, and a stopped worker hands the schedule back."""
from __future__ import annotations

import time
from datetime import timedelta

import psutil
import pytest
from rq.scheduler import RQScheduler

from app.queues import get_queue, get_redis
from tests.faults.conftest import start_worker

pytestmark = pytest.mark.slow


def test_a_worker_runs_a_due_job_itself_and_leaves_nothing_behind(app, worker_env):
    job = get_queue("default").enqueue_in(timedelta(seconds=1), "os.getpid")
    worker = start_worker(worker_env())
    deadline = time.monotonic() + 60
    while job.get_status(refresh=True) != "finished":
        assert worker.poll() is None, worker.stderr.read()
        assert time.monotonic() < deadline, job.get_status()
        time.sleep(0.1)
    assert job.return_value() == worker.pid  # moved to the queue and run by the worker
    assert psutil.Process(worker.pid).children(recursive=True) == []
    lock = RQScheduler.get_locking_key("default")
    assert get_redis().exists(lock)
    worker.terminate()
    assert worker.wait(15) == 0, worker.stderr.read()
    assert not get_redis().exists(lock)  # another worker's scheduler may take over now
