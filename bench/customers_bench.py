"""Customer list, search and file page with 50,000 customers: server-side p50/p95.

    python bench/customers_bench.py                 # scratch SQLite file
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        python bench/customers_bench.py             # also a scratch PostgreSQL database
    python bench/customers_bench.py --db postgresql # one database (as `make bench` runs it)

Fills a scratch database (created and dropped here) with CUSTOMERS customers, each with
one or two emails, a phone, up to three tags and NOTES_PER notes, then times requests
through the Flask test client (the whole request: routing, access checks, queries,
templates; no network). Then it adds the office's own fields (five: two shown in the
list, one filtered on, one sensitive), fills them in for every customer, and times the
list again in alternating blocks with the fields hidden (`bare_list`) and shown
(`fields_list`, and `fields_filter` filtered by one), so the two read side by side under
the same machine load. The last line reads `customers list_p95_ms=… search_p95_ms=…
file_p95_ms=… bare_list_p95_ms=… fields_list_p95_ms=… fields_filter_p95_ms=…` (the
slowest database's).
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 50_000))
NOTES_PER = 3
RUNS = int(os.environ.get("BENCH_RUNS", 200))
TARGET_MS = 50.0
BLOCK = 20  # requests per block when the list is timed with and without the own fields
KEY = "x3nHgy1x0aKJ0Jg9m3u9xv3mJ8bq2H7X1vO9yQv5G0s="
FIRST = ("Olivia", "Liam", "Amelia", "Noah", "Isla", "Oscar", "Sophie", "Jack", "Aoife",
         "Cian", "Lena", "Felix", "Camille", "Hugo", "Sanne", "Daan", "Priya", "Tomasz")
LAST = ("Walsh", "Murphy", "Clarke", "Bennett", "Okafor", "Schneider", "Dubois", "Kowalski",
        "Nowak", "Fischer", "Moreau", "Byrne", "Patel", "Hughes", "Jansen", "Kelly", "Evans")
TAGS = ("vip", "wholesale", "newsletter", "late payer", "quarterly", "eu", "prospect")


def _app(url: str, instance: str):
    from app import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "ENCRYPTION_KEYS": [KEY],
        "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_ENABLED": False,
        "ENV_NAME": "testing", "LOG_FORMAT": "text",
        "INSTANCE_PATH": instance,
    })


def fill(db, rng: random.Random) -> int:
    """Bulk-insert the customers with Core (minutes with the ORM, seconds like this)."""
    from app.models import Customer, CustomerEmail, CustomerPhone, Note, Tag, User, \
        customer_tags, utcnow

    admin = User(email="admin@bench.example", name="Admin", role="admin")
    staff = User(email="staff@bench.example", name="Staff", role="staff")
    admin.set_password("bench-password")
    staff.set_password("bench-password")
    db.session.add_all([admin, staff])
    db.session.add_all([Tag(name=t) for t in TAGS])
    db.session.commit()
    tag_ids = list(db.session.scalars(sa.select(Tag.id)))
    now = utcnow()
    batch = 5000
    for start in range(0, CUSTOMERS, batch):
        customers, emails, phones, tags, notes = [], [], [], [], []
        for n in range(start + 1, min(start + batch, CUSTOMERS) + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"{last} & Co {n}" if n % 4 == 0 else ""
            email = f"{first}.{last}.{n}@example.com".lower()
            phone = f"+4420794{n:05d}"
            chosen = rng.sample(TAGS, rng.randrange(0, 4))
            customers.append({
                "id": n, "kind": "company" if company else "person", "first_name": first,
                "last_name": f"{last}{n}", "company": company,
                "sort_name": (company or f"{last}{n}, {first}").lower(),
                "search_text": " ".join([first, f"{last}{n}", company, email, phone,
                                         *chosen]).lower(),
                "owner_id": staff.id if n % 10 == 0 else admin.id,
                "status": "active" if n % 20 else "inactive",
                "created_at": now - timedelta(minutes=n),
                "updated_at": now - timedelta(minutes=rng.randrange(500_000)),
                "preferred_channel": "email", "marketing_consent": False,
                "sharing_consent": False, "needs_review": False,
            })
            emails.append({"customer_id": n, "address": email, "is_primary": True,
                           "state": "ok", "suppressed": False})
            if n % 3 == 0:
                emails.append({"customer_id": n, "address": f"alt{n}@example.org",
                               "is_primary": False, "state": "unverified",
                               "suppressed": False})
            phones.append({"customer_id": n, "e164": phone, "display": phone})
            tags += [{"customer_id": n, "tag_id": tag_ids[TAGS.index(t)]} for t in chosen]
            notes += [{"customer_id": n, "author_id": admin.id, "kind": "call",
                       "body": f"Called about order {n}-{k}",
                       "occurred_at": now - timedelta(days=k, minutes=n),
                       "created_at": now} for k in range(NOTES_PER)]
        db.session.execute(sa.insert(Customer), customers)
        db.session.execute(sa.insert(CustomerEmail), emails)
        db.session.execute(sa.insert(CustomerPhone), phones)
        db.session.execute(sa.insert(customer_tags), tags)
        db.session.execute(sa.insert(Note), notes)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval('customers_id_seq', :n)"), {"n": CUSTOMERS})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return CUSTOMERS


PLANS = ("Basic", "Standard", "Premium", "Enterprise")


def add_fields(db, rng: random.Random) -> int:
    """Five fields of the office's own, filled in for every customer; the "Plan" field's id
    (shown in the list and filtered on)."""
    from app import fields as custom_fields
    from app.models import CustomField, CustomFieldValue

    specs = [("Plan", "choice", dict(choices=list(PLANS), in_list=True)),
             ("Renewal", "date", dict(in_list=True)),
             ("Employees", "number", {}), ("Key account", "yesno", {}),
             ("Passport", "text", dict(sensitive=True))]
    fields = [CustomField(label=label, kind=kind, position=n, **extra)
              for n, (label, kind, extra) in enumerate(specs)]
    db.session.add_all(fields)
    db.session.commit()
    plan, renewal, employees, key, passport = fields
    today = date.today()
    for start in range(1, CUSTOMERS + 1, 5000):
        rows = [(n, {plan: rng.choice(PLANS), renewal: today + timedelta(days=n % 700),
                     employees: Decimal(rng.randrange(1, 500)), key: n % 7 == 0,
                     passport: f"P{n:08d}"})
                for n in range(start, min(start + 5000, CUSTOMERS + 1))]
        custom_fields.insert_values(rows)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f"VACUUM ANALYZE {CustomFieldValue.__tablename__}"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return plan.id


def _login(client, email: str) -> None:
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
    response = client.post("/login", data={"email": email, "password": "bench-password",
                                           "csrf_token": token.group(1)})
    assert response.status_code == 302, response.status_code


def _time(client, urls, headers=None) -> list[float]:
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _list_urls(rng: random.Random, extra: str = "") -> list[str]:
    pages = [f"/customers/?page={rng.randrange(1, 50)}{extra}" for _ in range(RUNS // 2)]
    return pages + [f"/customers/?sort={rng.choice(['name', 'updated', 'status'])}{extra}"
                    for _ in range(RUNS // 2)]


def _hide_fields(db, hidden: bool) -> None:
    from app.models import CustomField, utcnow

    db.session.execute(sa.update(CustomField).values(archived_at=utcnow() if hidden else None))
    db.session.commit()


def measure_fields(app, rng: random.Random, plan_id: int) -> dict[str, tuple[float, float]]:
    """The list without and with the own fields, and filtered by the "Plan" field.

    Measured in alternating blocks (the fields hidden, then shown), so that whatever else
    the machine does weighs on both alike: "bare_list" is the list with the same data
    and the fields hidden, the fair "without" beside "fields_list".
    """
    from app.extensions import db

    client = app.test_client()
    results: dict[str, list[float]] = {"bare_list": [], "fields_list": [], "fields_filter": []}
    with app.app_context():
        _login(client, "admin@bench.example")
        plain, bare = _list_urls(rng), _list_urls(rng)
        filtered = [u + f"&f{plan_id}={rng.choice(PLANS)}" for u in _list_urls(rng)]
        _time(client, plain[:10] + filtered[:10])  # warm caches
        for start in range(0, RUNS, BLOCK):
            _hide_fields(db, True)
            results["bare_list"] += _time(client, bare[start:start + BLOCK])
            _hide_fields(db, False)
            results["fields_list"] += _time(client, plain[start:start + BLOCK])
            results["fields_filter"] += _time(client, filtered[start:start + BLOCK])
    return {k: (_p(v, 50), _p(v, 95)) for k, v in results.items()}


def measure(app, rng: random.Random) -> dict[str, tuple[float, float]]:
    import gc

    # As wsgi.py does once the app has started (here, once the fill's garbage is gone).
    gc.collect()
    gc.freeze()
    client = app.test_client()
    with app.app_context():
        _login(client, "admin@bench.example")
        terms = ["walsh", "olivia", "example.com", "0794", "vip", "murphy12",
                 "020 7940 1234", "co 1"]
        pages = _list_urls(rng)
        searches = [f"/customers/?q={rng.choice(terms)}" for _ in range(RUNS)]
        files = [f"/customers/{rng.randrange(1, CUSTOMERS + 1)}" for _ in range(RUNS)]
        hx = {"HX-Request": "true"}
        _time(client, pages[:10] + searches[:10] + files[:10])  # warm caches
        results = {
            "list": _time(client, pages),
            "search": _time(client, searches, hx),
            "file": _time(client, files),
        }
    return {k: (_p(v, 50), _p(v, 95)) for k, v in results.items()}


def run(url: str, label: str) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="clientele-bench-") as instance:
        return _run(url, label, instance)


def _run(url: str, label: str, instance: str) -> dict[str, tuple[float, float]]:
    from app.extensions import db

    app = _app(url, instance)
    rng = random.Random(7)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        fill(db, rng)
        print(f"[{label}] filled {CUSTOMERS:,} customers, {CUSTOMERS * NOTES_PER:,} notes "
              f"in {time.perf_counter() - started:.1f}s", flush=True)
    figures = measure(app, rng)
    with app.app_context():
        started = time.perf_counter()
        plan_id = add_fields(db, rng)
        print(f"[{label}] filled 5 own fields for {CUSTOMERS:,} customers "
              f"in {time.perf_counter() - started:.1f}s", flush=True)
    figures |= measure_fields(app, rng, plan_id)
    for name, (p50, p95) in figures.items():
        flag = "ok" if p95 <= TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
        print(f"[{label}] {name:13} p50={p50:6.1f} ms  p95={p95:6.1f} ms  {flag}", flush=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return figures


def main() -> None:
    from bench.common import chosen_databases, scratch_database

    kinds = chosen_databases()
    runs = []
    for kind in kinds:
        with scratch_database(kind) as url:
            runs.append(run(url, kind))
    worst = {k: max(r[k][1] for r in runs) for k in runs[0]}
    print(f"customers list_p95_ms={worst['list']:.1f} search_p95_ms={worst['search']:.1f} "
          f"file_p95_ms={worst['file']:.1f} bare_list_p95_ms={worst['bare_list']:.1f} "
          f"fields_list_p95_ms={worst['fields_list']:.1f} "
          f"fields_filter_p95_ms={worst['fields_filter']:.1f}")


if __name__ == "__main__":
    main()
