"""Tracking image vs a bare Flask GIF route, same gunicorn settings, same run; then the
worker's drain rate from Redis into the database.

Load comes from wrk (Debian package `wrk`) at 32 connections; the two servers are
measured alternately and the medians compared. Last line:
`pixel_ratio=… pixel_p99_ms=… drain_events_per_s=…`
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.dev.net import wait_for_port
from bench.common import bench_app, machine, scratch_database

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ["--workers", "2", "--threads", "1", "--worker-class", "sync",
            "--backlog", "2048", "--log-level", "warning"]


def _wrk(url: str, seconds: int, connections: int) -> tuple[float, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    value, unit = float(p99.group(1)), p99.group(2)
    p99_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed responses from {url}")
    return rps, p99_ms


def pixel_figures(url_db: str, redis_url: str, rounds: int, seconds: int) -> dict:
    from app.dev.net import free_port
    from app.extensions import db
    from app.mail import outbox
    from app.mail.tracking import open_url
    from tests.factories import make_customer, make_invoice

    app = bench_app(url_db, REDIS_URL=redis_url, PUBLIC_BASE_URL="http://127.0.0.1")
    with app.app_context():
        invoice = make_invoice(make_customer())
        (message,) = outbox.add_messages(recipients=[outbox.Recipient("p@example.org")],
                                         subject="x", body="y", invoice=invoice,
                                         attach_pdf=False)
        db.session.commit()
        path = open_url(message).split("127.0.0.1", 1)[1]
    env = dict(os.environ, DATABASE_URL=url_db, REDIS_URL=redis_url, SECRET_KEY="bench",
               ENCRYPTION_KEYS=app.config["ENCRYPTION_KEYS"][0],
               CLIENTELE_INSTANCE=tempfile.mkdtemp(prefix="clientele-bench-"),
               PUBLIC_BASE_URL="http://127.0.0.1", PYTHONPATH=str(ROOT))
    ports = {"app": free_port(), "bare": free_port()}
    servers = {
        name: subprocess.Popen([sys.executable, "-m", "gunicorn", *GUNICORN, "--bind",
                                f"127.0.0.1:{port}", "--control-socket",  # one each
                                f"{env['CLIENTELE_INSTANCE']}/gunicorn-{name}.ctl",
                                "wsgi:app" if name == "app" else "bench.bare_pixel:app"],
                               cwd=ROOT, env=env)
        for name, port in ports.items()}
    results: dict[str, list] = {"app": [], "bare": []}
    try:
        for port in ports.values():
            wait_for_port(port)
        for name, port in ports.items():  # warm up
            _wrk(f"http://127.0.0.1:{port}{path}", 2, 32)
        for _ in range(rounds):
            for name, port in ports.items():
                results[name].append(_wrk(f"http://127.0.0.1:{port}{path}", seconds, 32))
    finally:
        for server in servers.values():
            server.terminate()
            server.wait()
    with app.app_context():  # every counted request must have queued its hit
        from app.mail.hits import EVENTS_KEY
        from app.queues import get_redis

        queued = get_redis().llen(EVENTS_KEY)
        get_redis().delete(EVENTS_KEY)
    app_rps = statistics.median(r for r, _ in results["app"])
    bare_rps = statistics.median(r for r, _ in results["bare"])
    return {"app_rps": app_rps, "bare_rps": bare_rps, "ratio": app_rps / bare_rps,
            "queued": queued,
            "p99_ms": statistics.median(p for _, p in results["app"]),
            "bare_p99_ms": statistics.median(p for _, p in results["bare"])}


def drain_figures(url_db: str, redis_url: str, hits: int, messages: int) -> float:
    import json
    import uuid

    from app.extensions import db
    from app.mail import hits as hit_module
    from app.mail import outbox
    from app.models.base import utcnow
    from app.queues import get_redis
    from tests.factories import make_customer, make_invoice

    app = bench_app(url_db, REDIS_URL=redis_url)
    with app.app_context():
        invoice = make_invoice(make_customer())
        made = outbox.add_messages(
            recipients=[outbox.Recipient(f"d{i}@example.org") for i in range(messages)],
            subject="x", body="y", invoice=invoice, attach_pdf=False)
        for message in made:
            message.state = message.status = "sent"
            message.sent_at = utcnow()
        db.session.commit()
        ids = [m.id for m in made]
        conn = get_redis()
        conn.delete(hit_module.EVENTS_KEY)
        now = time.time()
        payloads = [json.dumps(["open", ids[i % len(ids)], now + i / 1000,
                                "Mozilla/5.0 (X11) Thunderbird", "192.0.2.1", "",
                                uuid.uuid4().hex]) for i in range(hits)]
        for start in range(0, hits, 5000):
            conn.rpush(hit_module.EVENTS_KEY, *payloads[start:start + 5000])
        began = time.perf_counter()
        drained = hit_module.drain()
        elapsed = time.perf_counter() - began
        assert drained == hits, (drained, hits)
        db.session.remove()
    return hits / elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--hits", type=int, default=50_000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install wrk")
        print("pixel_ratio=nan pixel_p99_ms=nan drain_events_per_s=nan")
        return 1
    from app.dev.embedded_redis import EmbeddedRedis

    print(f"machine: {machine()}")
    with EmbeddedRedis() as redis_server, scratch_database(args.db) as url:
        pixel = pixel_figures(url, redis_server.url, args.rounds, args.seconds)
        drain = drain_figures(url, redis_server.url, args.hits, 1000)
    print(f"database: {args.db}; gunicorn {' '.join(GUNICORN[:6])}; wrk 32 connections, "
          f"{args.rounds}×{args.seconds}s alternating")
    print(f"  tracking image: {pixel['app_rps']:.0f} req/s, p99 {pixel['p99_ms']:.1f} ms")
    print(f"  hits queued in Redis by the tracking image: {pixel['queued']}")
    print(f"  bare GIF route: {pixel['bare_rps']:.0f} req/s, p99 {pixel['bare_p99_ms']:.1f} ms")
    print(f"  drain: {args.hits} hits over 1000 messages at {drain:.0f} events/s")
    # The exact last line the events issue asks for.
    print(f"pixel_ratio={pixel['ratio']:.2f} pixel_p99_ms={pixel['p99_ms']:.1f} "
          f"drain_events_per_s={drain:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
