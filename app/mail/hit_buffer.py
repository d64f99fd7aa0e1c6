"""Group commit for tracking hits: requests hand hits to a per-process flusher thread.

A tracking-image request only appends to an in-memory queue and answers; the flusher
pushes everything queued in one RPUSH (or, with Redis unreachable, writes it straight to
the database). Under load many hits share one round trip; when idle a hit leaves within
a few milliseconds. On a clean shutdown the queue is flushed; only a hard kill of a web
process can lose the hits of the round trip in flight.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from typing import Callable

log = logging.getLogger(__name__)

MAX_BATCH = 1000
# After waking, wait this long for more hits to share the round trip (like a log's group
# commit): under load one RPUSH carries many hits, when idle a hit waits 2 ms.
LINGER_SECONDS = 0.002


class HitBuffer:
    def __init__(self, push: Callable[[list], None]):
        self._push = push
        self._queue: deque = deque()
        self._wake = threading.Condition()
        self._idle = threading.Event()
        self._idle.set()
        self._pid: int | None = None
        self._thread: threading.Thread | None = None

    def add(self, item) -> None:
        self._ensure_thread()
        with self._wake:
            self._queue.append(item)
            self._idle.clear()
            self._wake.notify()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything added so far has been pushed (tests, shutdown)."""
        with self._wake:
            self._wake.notify()
        return self._idle.wait(timeout)

    def _ensure_thread(self) -> None:
        # After a fork (gunicorn workers) the parent's thread does not exist here.
        if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
            self._pid = os.getpid()
            self._queue = deque(self._queue)
            self._thread = threading.Thread(target=self._run, name="hit-flusher", daemon=True)
            self._thread.start()
            atexit.register(self.flush, 5.0)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    self._idle.set()
                    self._wake.wait()
            time.sleep(LINGER_SECONDS)
            with self._wake:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
            try:
                self._push(batch)
            except Exception:  # noqa: BLE001 - never let the flusher die
                log.exception("could not store %d tracking hits", len(batch))
