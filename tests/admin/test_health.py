"""/healthz: database, Redis and live workers, and nothing else."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import redis
from rq import Worker

from app.admin.jobs import HEARTBEAT_MAX_AGE, count_live_workers
from app.queues import get_queue, get_redis
from tests.jobs.helpers import report_health, run_burst_worker


def test_a_running_burst_worker_counts_as_alive(app, client):
    job = get_queue("default").enqueue(report_health)
    seen_from_client = client.get("/healthz").get_json()
    assert seen_from_client == {"status": "degraded", "database": True, "redis": True,
                                "workers": 0, "worker": "dead",
                                "receiver": "not configured"}
    worker = run_burst_worker(app, name="health-burst")
    # While the job ran, its own worker was registered and heartbeating.
    assert job.return_value(refresh=True) == {"status": "ok", "database": True,
                                               "redis": True, "workers": 1,
                                               "worker": "alive",
                                               "receiver": "not configured"}
    assert worker.name == "health-burst"
    assert client.get("/healthz").get_json()["workers"] == 0  # a burst worker leaves


def test_a_worker_with_an_old_heartbeat_is_not_alive(app, client):
    conn = get_redis()
    fresh = Worker([get_queue("mail")], connection=conn, name="fresh")
    stale = Worker([get_queue("mail")], connection=conn, name="stale")
    fresh.register_birth()
    stale.register_birth()
    try:
        old = datetime.now(timezone.utc) - HEARTBEAT_MAX_AGE - timedelta(seconds=5)
        conn.hset(stale.key, "last_heartbeat", old.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        assert count_live_workers(conn) == 1
        body = client.get("/healthz").get_json()
        assert body["workers"] == 1 and body["status"] == "ok"
    finally:
        fresh.register_death()
        stale.register_death()


def test_healthz_exposes_no_data_and_is_never_cached(app, client, make_user):
    make_user("admin", email="secret-admin@example.com")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"status", "database", "redis", "workers", "worker", "receiver"}
    assert all(isinstance(v, (bool, int, str)) for v in body.values())
    assert "example.com" not in response.text and "redis://" not in response.text
    assert "sqlite" not in response.text and "postgres" not in response.text


def test_redis_down_is_degraded_not_down(app, client):
    app.extensions["redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0",
                                                   socket_connect_timeout=0.2)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": True, "redis": False,
                                   "workers": 0, "worker": "unknown", "receiver": "unknown"}


def test_database_down_is_503(app_config):
    from app import create_app

    broken = create_app({**app_config, "SQLALCHEMY_DATABASE_URI":
                         "postgresql+psycopg://nobody@127.0.0.1:1/none",
                         "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}}})
    with broken.app_context():
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "down"
    assert response.get_json()["database"] is False
