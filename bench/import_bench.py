"""A large CSV import, from pressing confirm to the last row committed and found by search.

    python -m bench.import_bench [--db both|sqlite|postgresql] [--rows 10000] [--runs 2]

For each database (PostgreSQL on BENCH_DATABASE_URL, default the local server) a fresh
scratch database, an embedded valkey and a real worker process (`flask worker`, waiting on
its queues as in production). An admin uploads a file of ROWS people in Outlook's column
names (first and last name, company, email, phone, street, city, postcode, country name,
categories) through the app's own routes, maps and reviews it; then the clock starts and
the admin presses confirm. The clock stops when the import's page says done and a search
for the last row's address finds it. `rows_per_s` is ROWS over that time. The CPU seconds
of the worker and of PostgreSQL's backends for the scratch database (when the server runs
on this machine) are printed beside it: on a shared machine they show the import's own
cost, which wall-clock time mixes with the neighbours'.

Prints a line per run and per database; the last line reads
`import_rows_per_s=… import_10k_confirm_s=…`, the worse database's medians.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import bench_app, machine, scratch_database

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("First Name,Last Name,Company,E-mail Address,Business Phone,Business Street,"
          "Business City,Business Postal Code,Business Country/Region,Categories\n")
COUNTRIES = ("United Kingdom", "Deutschland", "France", "UK", "Ireland")


def _file(rows: int, run: int) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        company = f"Firm {n % 311}" if n % 3 == 0 else ""
        lines.append(f"Person{n},Bench{run}x{n},{company},p{run}x{n}@example.com,"
                     f"+44 20 {79460000 + run * rows + n},{n} High Street,London,SW1A 1AA,"
                     f"{COUNTRIES[n % len(COUNTRIES)]},{'vip' if n % 7 == 0 else ''}\n")
    return "".join(lines).encode()


def _worker(url: str, redis_url: str, app) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, SECRET_KEY="bench",
               ENCRYPTION_KEYS=app.config["ENCRYPTION_KEYS"][0],
               CLIENTELE_INSTANCE=tempfile.mkdtemp(prefix="clientele-bench-"),
               PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker",
                             "--queues", "default"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far: the worker's share of a busy
    machine, which wall-clock time alone hides."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # gone (a PostgreSQL backend that ended)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(worker_pid: int, database: str) -> float:
    """The worker's CPU seconds, plus those of PostgreSQL's backends serving `database`
    (their process titles name it) when it is on this machine."""
    total = _cpu_seconds(worker_pid)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes()
        except OSError:
            continue
        if database and title.startswith(b"postgres: ") and f" {database} ".encode() in title:
            total += _cpu_seconds(int(cmdline.parent.name))
    return total


def _found(app, admin_id: int, q: str) -> int:
    from app.customers.search import ListParams, list_page
    from app.extensions import db
    from app.models import User

    db.session.expire_all()
    _ids, total, _ = list_page(ListParams.from_args({"q": q, "status": "all"}),
                               db.session.get(User, admin_id), date.today(), 1, 10)
    db.session.rollback()
    return total


def one_import(app, client, admin_id: int, rows: int, run: int, worker_pid: int,
               database: str) -> tuple[float, float]:
    """Seconds from pressing confirm to the last row committed and found by search, and
    the CPU seconds of the worker and its database server meanwhile."""
    from app.extensions import db
    from app.models import CustomerImport

    response = client.post("/customers/import", data={
        "encoding": "utf-8", "file": (io.BytesIO(_file(rows, run)),
                                      f"outlook-{run}.csv")},
        content_type="multipart/form-data")
    import_id = int(re.search(r"/import/(\d+)", response.headers["Location"]).group(1))
    page = client.get(f"/customers/import/{import_id}")
    mapping = dict(re.findall(r'<select name="(col-\d+)".*?<option value="([^"]*)" selected',
                              page.text, re.S))
    client.post(f"/customers/import/{import_id}", data={"mode": "skip", **mapping})
    review = client.get(f"/customers/import/{import_id}/review")
    assert f'count-create">{rows:,}<' in review.text, "the file should be all good"

    started, cpu = time.perf_counter(), _cpu(worker_pid, database)
    client.post(f"/customers/import/{import_id}/confirm")
    last = f"p{run}x{rows - 1}@example.com"
    while True:
        db.session.expire_all()
        state = db.session.scalar(db.select(CustomerImport.state)
                                  .where(CustomerImport.id == import_id))
        db.session.rollback()
        if state == "failed":
            raise SystemExit("the import failed; see the worker's log")
        if state == "done" and _found(app, admin_id, last) == 1:
            return time.perf_counter() - started, _cpu(worker_pid, database) - cpu
        time.sleep(0.1)


def bench(kind: str, rows: int, runs: int) -> list[tuple[float, float]]:
    from app.dev.embedded_redis import EmbeddedRedis
    from app.extensions import db
    from app.models import User

    times = []
    with EmbeddedRedis() as redis_server, scratch_database(kind) as url:
        app = bench_app(url, REDIS_URL=redis_server.url, RATELIMIT_ENABLED=False,
                        DEFAULT_PHONE_REGION="GB")  # the default of office.country
        worker = _worker(url, redis_server.url, app)
        database = url.rsplit("/", 1)[1] if kind == "postgresql" else ""
        try:
            with app.app_context():
                admin = User(email="admin@bench.example", name="Admin", role="admin")
                admin.set_password("bench-password")
                db.session.add(admin)
                db.session.commit()
                client = app.test_client()
                client.post("/login", data={"email": admin.email,
                                            "password": "bench-password"})
                time.sleep(2)  # the worker is up and waiting on its queue
                for run in range(runs):
                    seconds, cpu = one_import(app, client, admin.id, rows, run, worker.pid,
                                              database)
                    print(f"[{kind}] run {run + 1}: {rows:,} rows confirmed to found in "
                          f"{seconds:.2f} s ({rows / seconds:,.0f} rows/s), CPU (worker + "
                          f"database) {cpu:.2f} s, load average {os.getloadavg()[0]:.1f}",
                          flush=True)
                    times.append((seconds, cpu))
                db.session.remove()
                db.engine.dispose()
        finally:
            worker.terminate()
            worker.wait(10)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="both", choices=["both", "sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_DATABASE_URL",
                          "postgresql://postgres@127.0.0.1:5432/postgres")
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(f"machine: {machine()}")
    medians = {}
    for kind in kinds:
        results = bench(kind, args.rows, args.runs)
        medians[kind] = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        print(f"{kind:>10}: {medians[kind]:.2f} s for {args.rows:,} rows, "
              f"{args.rows / medians[kind]:,.0f} rows/s, CPU (worker + database) {cpu:.2f} s "
              f"(medians of {args.runs})", flush=True)
    worst = max(medians.values())
    print(f"import_rows_per_s={args.rows / worst:.0f} import_10k_confirm_s={worst:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
