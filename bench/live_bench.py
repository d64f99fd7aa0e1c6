"""Live Sent Status under load: many open invoices lists asking "what changed since".

`make run`'s server (gunicorn, 2 workers × 4 threads, SQLite, embedded valkey) with
`--pages` open lists (default 500), each showing 25 recently emailed invoices and asking
`invoices.changes` every `app.mail.live.POLL_SECONDS`, as the page's htmx poller does.
Meanwhile this process stores "opened" events the way the worker does and notes when
each was committed; a page "sees" it when a poll answer carries that invoice's cell.

Ordinary pages (the invoices list, the customers list) are timed by one user clicking
around, alternately without and with the pollers running, in the same run.
Last line: `live_event_to_screen_p95_s=… page_p95_overhead=…`
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from app.dev.net import free_port, wait_for_port
from bench.common import bench_app, machine, percentile, scratch_database

ROOT = Path(__file__).resolve().parent.parent
# The devserver's own gunicorn settings (app/dev/supervisor.py).
GUNICORN = ["--workers", "2", "--threads", "4", "--preload", "--log-level", "warning"]
PASSWORD = "correct horse 1"
CELL_RE = re.compile(rb'id="email-cell-(\d+)"')
NEXT_RE = re.compile(rb'id="live-updates" hidden hx-get="([^"]+)"')
PAGE_SIZE = 25
# One browser for every request: the login session is tied to it (session_protection).
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) clientele-live-bench"


def seed(app, invoices: int) -> tuple[list[int], dict[int, int]]:
    """Invoices emailed over the last days; returns their ids and each one's message."""
    from app.extensions import db
    from app.mail import outbox
    from app.mail.recorder import NewEvent, store_events
    from app.models import User
    from app.models.base import utcnow
    from tests.factories import make_customer, make_invoice

    with app.app_context():
        user = User(email="bench@example.com", role="admin", name="Bench")
        user.set_password(PASSWORD)
        db.session.add(user)
        message_of: dict[int, int] = {}
        for n in range(invoices):
            invoice = make_invoice(make_customer(emails=(f"c{n}@example.org",)))
            (message,) = outbox.add_messages(
                recipients=[outbox.Recipient(f"c{n}@example.org")], subject="Invoice",
                body="Hello", invoice=invoice, attach_pdf=False)
            message.state, message.sent_at = "sent", utcnow()
            db.session.flush()
            store_events([NewEvent(message_id=message.id, type="sent", occurred_at=utcnow(),
                                   source="smtp", dedupe_key=f"seed{message.id}")])
            message_of[invoice.id] = message.id
        db.session.commit()
        return sorted(message_of), message_of


async def http_get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                  f"User-Agent: {USER_AGENT}\r\nHX-Request: true\r\n"
                  "Connection: close\r\n\r\n").encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def login(port: int) -> str:
    """A session cookie for the bench user, through the real login form."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    form = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    opener.open(f"http://127.0.0.1:{port}/login", urllib.parse.urlencode(
        {"csrf_token": token, "email": "bench@example.com", "password": PASSWORD}).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class Run:
    def __init__(self) -> None:
        self.stored: dict[int, float] = {}  # invoice id -> when its event was committed
        self.latencies: list[float] = []
        self.polls = self.polls_204 = self.errors = 0
        self.poll_times: list[float] = []


async def page(run: Run, port: int, cookie: str, ids: list[int], interval: float,
               until: float) -> None:
    from app.mail import live

    seen: set[tuple[int, float]] = set()
    path = (f"/invoices/changes?view=list&since={live.cursor()}"
            f"&ids={','.join(map(str, ids))}")
    await asyncio.sleep(random.uniform(0, interval))
    while time.monotonic() < until:
        began = time.monotonic()
        try:
            status, body = await http_get(port, path, cookie)
        except OSError:
            run.errors += 1
            status, body = 0, b""
        now = time.monotonic()
        run.polls += 1
        run.poll_times.append(now - began)
        if status == 204:
            run.polls_204 += 1
        elif status == 200:
            for match in CELL_RE.finditer(body):
                invoice_id = int(match.group(1))
                stored = run.stored.get(invoice_id)
                if stored is not None and (invoice_id, stored) not in seen:
                    seen.add((invoice_id, stored))
                    run.latencies.append(now - stored)
            following = NEXT_RE.search(body)
            if following:
                path = following.group(1).decode().replace("&amp;", "&")
        else:
            run.errors += 1
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))


def inject(app, run: Run, message_of: dict[int, int], watched: set[int], events: int,
           seconds: float) -> None:
    """Store "opened" events as the worker does, spread over the run."""
    from app.extensions import db
    from app.mail.recorder import NewEvent, store_events
    from app.models.base import utcnow

    targets = random.sample(sorted(watched), min(events, len(watched)))
    with app.app_context():
        for n, invoice_id in enumerate(targets):
            time.sleep(seconds / (len(targets) + 1))
            store_events([NewEvent(message_id=message_of[invoice_id], type="opened",
                                   occurred_at=utcnow(), source="pixel",
                                   dedupe_key=f"bench-open-{n}",
                                   user_agent="Mozilla/5.0 Thunderbird/128.0")])
            db.session.commit()
            run.stored[invoice_id] = time.monotonic()


def ordinary(port: int, cookie: str, seconds: float) -> list[float]:
    """One person clicking between the two lists; each page's full time."""
    import urllib.request

    times = []
    until = time.monotonic() + seconds
    paths = ["/invoices/", "/customers/"]
    while time.monotonic() < until:
        for path in paths:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                             headers={"Cookie": cookie,
                                                      "User-Agent": USER_AGENT})
            began = time.monotonic()
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
            times.append(time.monotonic() - began)
        time.sleep(0.1)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--invoices", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    from app.dev.embedded_redis import EmbeddedRedis
    from app.mail import live

    print(f"machine: {machine()}")
    with EmbeddedRedis() as redis_server, scratch_database(args.db) as url:
        app = bench_app(url, REDIS_URL=redis_server.url)
        ids, message_of = seed(app, args.invoices)
        instance = tempfile.mkdtemp(prefix="clientele-bench-")
        env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_server.url,
                   SECRET_KEY="bench", ENCRYPTION_KEYS=app.config["ENCRYPTION_KEYS"][0],
                   CLIENTELE_INSTANCE=instance, PYTHONPATH=str(ROOT))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}",
             "--control-socket", f"{instance}/gunicorn.ctl", "wsgi:app"], cwd=ROOT, env=env)
        try:
            wait_for_port(port)
            cookie = login(port)
            ordinary(port, cookie, 3)  # warm up
            quiet_before = ordinary(port, cookie, args.seconds / 4)
            run = Run()
            pages = [random.sample(ids, PAGE_SIZE) for _ in range(args.pages)]
            watched = {i for p in pages for i in p}
            until = time.monotonic() + args.seconds
            loop_thread = threading.Thread(target=lambda: asyncio.run(_all_pages(
                run, port, cookie, pages, live.POLL_SECONDS, until)))
            loop_thread.start()
            injector = threading.Thread(target=inject, args=(
                app, run, message_of, watched, args.events, args.seconds - 2 * live.POLL_SECONDS))
            injector.start()
            time.sleep(live.POLL_SECONDS)  # every page has started asking
            busy = ordinary(port, cookie, args.seconds - 2 * live.POLL_SECONDS)
            injector.join()
            loop_thread.join()
            quiet_after = ordinary(port, cookie, args.seconds / 4)
        finally:
            server.terminate()
            server.wait()
    quiet = quiet_before + quiet_after
    quiet_p95, busy_p95 = percentile(quiet, 95), percentile(busy, 95)
    expected = sum(sum(1 for p in pages if i in p) for i in run.stored)
    p95 = percentile(run.latencies, 95)
    print(f"database: {args.db}; gunicorn {' '.join(GUNICORN[:4])}; {args.pages} open lists "
          f"of {PAGE_SIZE} invoices, asking every {live.POLL_SECONDS} s for {args.seconds:.0f} s")
    print(f"  polls: {run.polls} ({run.polls / args.seconds:.0f}/s), "
          f"{run.polls_204 / max(run.polls, 1):.0%} answered 204, errors {run.errors}, "
          f"poll p95 {percentile(run.poll_times, 95) * 1000:.0f} ms")
    print(f"  events: {len(run.stored)} stored; seen on {len(run.latencies)} of {expected} "
          f"pages watching them; event to screen p50 "
          f"{percentile(run.latencies, 50):.2f} s, p95 {p95:.2f} s, "
          f"max {max(run.latencies, default=0):.2f} s")
    print(f"  ordinary pages p95: {quiet_p95 * 1000:.0f} ms without pollers ({len(quiet)}), "
          f"{busy_p95 * 1000:.0f} ms with ({len(busy)})")
    print(f"live_event_to_screen_p95_s={p95:.2f} page_p95_overhead={busy_p95 / quiet_p95:.2f}")
    return 0 if len(run.latencies) == expected and not run.errors else 1


async def _all_pages(run: Run, port: int, cookie: str, pages: list[list[int]],
                     interval: float, until: float) -> None:
    await asyncio.gather(*(page(run, port, cookie, ids, interval, until) for ids in pages))


if __name__ == "__main__":
    sys.exit(main())
