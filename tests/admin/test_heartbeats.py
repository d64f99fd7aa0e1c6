"""The worker and the bounce receiver by heartbeat: alive, dead or not configured.
Real processes: tests/faults/test_heartbeats.py."""
from __future__ import annotations

import time

from app.admin import heartbeats
from app.queues import get_redis


def test_a_part_that_never_ran_is_not_configured_and_one_that_vanished_is_dead(app):
    conn = get_redis()
    assert heartbeats.part_state(conn, "receiver").state == "not configured"
    heartbeats.beat(conn, "receiver", "r1")
    assert heartbeats.part_state(conn, "receiver").state == "alive"
    conn.delete("clientele:heartbeat:receiver:r1")  # its key expired: no beat for BEAT_TTL
    assert heartbeats.part_state(conn, "receiver").state == "dead"
    heartbeats.beat(conn, "receiver", "r2")
    heartbeats.leave(conn, "receiver", "r2")  # a clean stop of another one changes nothing
    assert heartbeats.part_state(conn, "receiver").state == "dead"
    heartbeats.leave(conn, "receiver", "r1")
    assert heartbeats.part_state(conn, "receiver").state == "not configured"


def test_a_dead_part_is_forgotten_after_a_week(app):
    conn = get_redis()
    week_ago = time.time() - heartbeats.FORGET_AFTER - 60
    heartbeats.beat(conn, "receiver", "old", now=week_ago)
    conn.delete("clientele:heartbeat:receiver:old")
    assert heartbeats.part_state(conn, "receiver").state == "not configured"


def test_a_beat_key_lives_only_a_few_beats(app):
    conn = get_redis()
    heartbeats.beat(conn, "worker", "w1")
    assert 0 < conn.ttl("clientele:heartbeat:worker:w1") <= heartbeats.BEAT_TTL
    assert heartbeats.BEAT_TTL >= 3 * heartbeats.BEAT_EVERY


def test_healthz_reports_a_dead_receiver_as_degraded(app, client):
    body = client.get("/healthz").get_json()
    assert body["receiver"] == "not configured" and body["worker"] == "dead"
    conn = get_redis()
    heartbeats.beat(conn, "receiver", "gone")
    conn.delete("clientele:heartbeat:receiver:gone")
    body = client.get("/healthz").get_json()
    assert body["receiver"] == "dead" and body["status"] == "degraded"
