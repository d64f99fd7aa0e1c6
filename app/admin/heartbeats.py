"""Heartbeats of the long-running parts: the worker and the bounce receiver.

Each running part writes a short-lived Redis key every BEAT_EVERY seconds; while the key
exists the part is alive. It also notes itself in a register that outlives it, so a part
that vanished without saying goodbye (kill -9, a crash, a lost machine) is "dead", while
one that was never started here is "not configured" (a dev install runs no receiver) and
one stopped cleanly leaves the register. Plain module: a Redis connection is passed in.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

PARTS = ("worker", "receiver")
BEAT_EVERY = 5  # seconds between beats
BEAT_TTL = 15  # a part silent this long is not alive (three missed beats)
FORGET_AFTER = 7 * 86400  # a dead part no longer reported after a week


def _alive_key(part: str, instance: str) -> str:
    return f"clientele:heartbeat:{part}:{instance}"


def _register_key(part: str) -> str:
    return f"clientele:heartbeats:{part}"


def new_instance_name() -> str:
    return f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


def beat(conn: redis.Redis, part: str, instance: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    pipe = conn.pipeline(transaction=False)
    pipe.set(_alive_key(part, instance), int(now), ex=BEAT_TTL)
    pipe.hset(_register_key(part), instance, int(now))
    pipe.execute()


def leave(conn: redis.Redis, part: str, instance: str) -> None:
    """A clean stop: neither alive nor dead any more."""
    pipe = conn.pipeline(transaction=False)
    pipe.delete(_alive_key(part, instance))
    pipe.hdel(_register_key(part), instance)
    pipe.execute()


def is_alive(conn: redis.Redis, part: str, instance: str) -> bool:
    return bool(conn.exists(_alive_key(part, instance)))


def silence_proves_death(conn: redis.Redis) -> bool:
    """A missing key proves a death only once Redis has been up for a full BEAT_TTL: a
    restarted Redis (without persistence) has lost every key, living parts' included."""
    return int(conn.info("server").get("uptime_in_seconds", 0)) >= BEAT_TTL


@dataclass(frozen=True)
class PartState:
    part: str
    state: str  # alive | dead | not configured
    alive: int  # instances beating now
    last_beat: float | None  # newest beat of any instance (epoch seconds)

    @property
    def label(self) -> str:
        return self.state


def part_state(conn: redis.Redis, part: str, now: float | None = None) -> PartState:
    """Alive when any instance beats, dead when one was registered and none beats."""
    now = time.time() if now is None else now
    register = {k.decode(): int(v) for k, v in conn.hgetall(_register_key(part)).items()}
    forgotten = [name for name, at in register.items() if now - at > FORGET_AFTER]
    if forgotten:
        conn.hdel(_register_key(part), *forgotten)
    names = [name for name in register if name not in forgotten]
    beating = sum(conn.exists(_alive_key(part, name)) for name in names) if names else 0
    last = max((register[n] for n in names), default=None)
    if beating:
        return PartState(part, "alive", beating, last)
    return PartState(part, "dead" if names else "not configured", 0, last)


def silent_instances(conn: redis.Redis, part: str) -> set[str]:
    """Registered instances of a part that stopped beating (none just after a restart)."""
    names = [k.decode() for k in conn.hkeys(_register_key(part))]
    if not names or not silence_proves_death(conn):
        return set()
    return {name for name in names if not conn.exists(_alive_key(part, name))}


def states(conn: redis.Redis) -> dict[str, PartState]:
    return {part: part_state(conn, part) for part in PARTS}


class Heartbeat:
    """A daemon thread that beats for one part until `stop()` (a clean stop leaves)."""

    def __init__(self, connect, part: str, instance: str | None = None):
        self._connect = connect  # a callable: the thread's own connection
        self.part = part
        self.instance = instance or new_instance_name()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{part}",
                                        daemon=True)

    def start(self) -> Heartbeat:
        try:
            beat(self._connect(), self.part, self.instance)  # alive before any work
        except redis.RedisError as exc:
            log.warning("heartbeat of %s %s not written (Redis: %s)", self.part,
                        self.instance, exc)
        self._thread.start()
        return self

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(BEAT_EVERY):
            try:
                beat(self._connect(), self.part, self.instance)
                if failing:
                    log.warning("heartbeat of %s %s written again", self.part, self.instance)
                failing = False
            except redis.RedisError as exc:
                if not failing:  # one line per outage, not one per beat
                    log.warning("heartbeat of %s %s not written (Redis: %s)", self.part,
                                self.instance, exc)
                failing = True

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(BEAT_EVERY + 1)
        try:
            leave(self._connect(), self.part, self.instance)
        except redis.RedisError:
            pass  # the key expires by itself; the register entry reads "dead" for a week
