"""Redis and the RQ queues. Connections are made on first use, never at import."""
from __future__ import annotations

import logging
from pathlib import Path

import redis
from flask import Flask, current_app
from rq import Queue

log = logging.getLogger(__name__)

QUEUE_NAMES = ("mail", "events", "default")


def default_redis_url(instance_path: str) -> str:
    """Where the embedded server listens when REDIS_URL is unset (see app.dev)."""
    return f"unix://{Path(instance_path) / 'valkey.sock'}"


def init_redis(app: Flask) -> None:
    if not app.config.get("REDIS_URL"):
        app.config["REDIS_URL"] = default_redis_url(app.instance_path)
    url = app.config["REDIS_URL"]
    if app.config.get("RATELIMIT_STORAGE_URI", "memory://") == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = (
            "redis+unix://" + url[len("unix://"):] if url.startswith("unix://") else url
        )


def get_redis(app: Flask | None = None) -> redis.Redis:
    app = app or current_app._get_current_object()
    conn = app.extensions.get("redis")
    if conn is None:
        conn = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=5,
            health_check_interval=30,
        )
        app.extensions["redis"] = conn
    return conn


def get_queue(name: str, app: Flask | None = None) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis(app))


def redis_alive(app: Flask | None = None) -> bool:
    try:
        return bool(get_redis(app).ping())
    except redis.RedisError:
        return False


def hand_over(job: str, record_id: int, *, timeout: int, description: str) -> bool:
    """Enqueue `job` (named by its path, so a domain module need not import the jobs
    package) for one committed record on the default queue. False when Redis is
    unreachable: the record stays queued for its sweep or for a person to start again."""
    try:
        get_queue("default").enqueue(job, record_id, job_timeout=timeout, result_ttl=600,
                                     failure_ttl=86400, description=description)
    except redis.RedisError:
        log.warning("could not enqueue %s", description, exc_info=True)
        return False
    return True
