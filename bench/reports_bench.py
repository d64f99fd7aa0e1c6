"""Report page latency at 100,000 and 1,000,000 email events, measured server-side.

Two databases are filled, one after the other in the same run: 20,000 invoice emails
with 100,000 events, then 200,000 emails with 1,000,000 events (five per email). The
larger one is the same office with a ten times longer history (messages at a steady
~1,670 a month: about a year against ten years), invoices (one per two emails) and
notes grow with it, the customer base (2,000) does not. Messages are inserted with the
status and counters that the real status rules (app.events.status) derive from their
events, so the rows are what the event pipeline would have left.

Each page is requested through the Flask test client, logged in as an admin: a first
(cold) request, two untimed warm-ups, then --reps timed requests, alternating between
the two databases page by page (noise from a shared machine hits both sizes alike). Last line:
`reports p95_ms_max=… growth_ratio=…` where growth_ratio = p95_ms_max(1M) / p95_ms_max(100k).
Pages marked "(info)" are measured but not in the target (an all-time window, a sort
on a joined column): their cost grows with the history they cover.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from bench.common import bench_app, machine, percentile, scratch_database

TODAY = date(2026, 12, 15)
MESSAGES_PER_MONTH = 20_000 / 12
CUSTOMERS = 2_000
STAFF = 12
NOTES_PER_MONTH = 600
CHUNK = 10_000

# (weight, events): each event (type, minutes after sending, automated, delivered).
TEMPLATES = (
    (40, (("sent", 0, False, False), ("opened", 2, True, False), ("opened", 90, False, False),
          ("opened", 600, False, False), ("clicked", 601, False, False))),
    (30, (("sent", 0, False, False), ("delayed", 5, False, False), ("sent", 65, False, True),
          ("opened", 66, True, False), ("opened", 900, True, False))),
    (8, (("sent", 0, False, False), ("delayed", 5, False, False), ("delayed", 65, False, False),
         ("delayed", 245, False, False), ("rejected", 1440, False, False))),
    (2, (("sent", 0, False, False), ("opened", 30, False, False), ("spam", 31, False, False),
         ("opened", 40, False, False), ("clicked", 41, False, False))),
    (5, (("sent", 0, False, False), ("delayed", 5, False, False), ("delayed", 65, False, False),
         ("delayed", 185, False, False), ("delayed", 425, False, False))),
    (15, (("sent", 0, False, False), ("opened", 20, False, False), ("opened", 200, False, False),
          ("clicked", 201, False, False), ("clicked", 300, False, False))),
)


def _derived(template) -> dict:
    """Status and counters exactly as app.mail.recorder._apply derives them."""
    from app.events.status import EventFact, derive_status

    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    facts = [EventFact(t, base + timedelta(minutes=m), a, d) for t, m, a, d in template]
    opens = [f for f in facts if f.type == "opened"]
    last = max(range(len(template)), key=lambda i: (template[i][1], i))
    return {"status": derive_status(facts).value,
            "human_opens": sum(1 for f in opens if not f.automated),
            "automated_opens": sum(1 for f in opens if f.automated),
            "clicks": sum(1 for f in facts if f.type == "clicked" and not f.automated),
            "last_minutes": template[last][1], "last_type": template[last][0]}


def _insert(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start:start + CHUNK])


def fill(messages: int) -> dict:
    """Fill the current app's database; returns ids the requests need."""
    from app.extensions import db
    from app.models import Customer, EmailEvent, EmailMessage, Invoice, Note, Payment, User

    rng = random.Random(messages)
    now = datetime.now(timezone.utc)
    months = messages / MESSAGES_PER_MONTH
    days = int(months * 30.44)
    start = TODAY - timedelta(days=days)
    with db.engine.begin() as conn:
        users = [{"email": f"staff{i}@bench.test", "name": f"Staff {i:02d}",
                  "role": "admin" if i == 0 else "staff", "password_hash": "x",
                  "session_token": f"bench-token-{i}", "created_at": now}
                 for i in range(STAFF + 1)]
        _insert(conn, User.__table__, users)
        customers = []
        for i in range(1, CUSTOMERS + 1):
            company = i % 3 == 0
            customers.append({
                "kind": "company" if company else "person",
                "first_name": "" if company else f"Pat{i}", "last_name": "" if company else
                f"Client{i:05d}", "company": f"Firm {i:05d} Ltd" if company else "",
                "sort_name": f"firm {i:05d} ltd" if company else f"client{i:05d}, pat{i}",
                "owner_id": 2 + i % STAFF, "needs_review": i % 97 == 0,
                "needs_review_reason": "Hard bounce: mailbox unavailable" if i % 97 == 0 else "",
                "created_at": now, "updated_at": now})
        _insert(conn, Customer.__table__, customers)

        invoices, payments, seqs = [], [], {}
        count = messages // 2
        for n in range(1, count + 1):
            customer = rng.randint(1, CUSTOMERS)
            seqs[customer] = seqs.get(customer, 0) + 1
            issue = start + timedelta(days=int(days * n / count))
            total = Decimal(rng.randint(5_000, 500_000)) / 100
            age = (TODAY - issue).days
            roll = rng.random()
            status, paid = "paid", total
            if roll < 0.03:
                status, paid = "void", Decimal("0")
            elif age < 75 or (roll < 0.08 and age < 365):  # older debts were chased or voided
                status, paid = (("partially_paid", (total / 2).quantize(Decimal("0.01")))
                                if roll < 0.5 else ("finalized", Decimal("0")))
            invoices.append({"customer_id": customer, "seq": seqs[customer],
                             "number": f"{customer:05d}-{seqs[customer]:04d}",
                             "issue_date": issue, "due_date": issue + timedelta(days=14),
                             "currency": "EUR", "status": status, "subtotal": total,
                             "total": total, "amount_paid": paid,
                             "view_key": f"vk{messages}-{n}", "created_by_id": 2 + n % STAFF,
                             "created_at": now, "updated_at": now})
            if paid:
                payments.append({"invoice_id": n, "amount": paid, "created_at": now,
                                 "paid_on": min(TODAY, issue + timedelta(days=rng.randint(3, 40)))})
        _insert(conn, Invoice.__table__, invoices)
        _insert(conn, Payment.__table__, payments)

        weights = [w for w, _ in TEMPLATES]
        derived = [_derived(t) for _, t in TEMPLATES]
        message_rows, event_rows = [], []
        for m in range(1, messages + 1):
            invoice = invoices[(m - 1) // 2]
            created = datetime.combine(invoice["issue_date"], datetime.min.time(),
                                       tzinfo=timezone.utc) + timedelta(
                hours=9, seconds=rng.randint(0, 28_000) + (m % 2) * 86_400 * 7)
            k = rng.choices(range(len(TEMPLATES)), weights)[0]
            d = derived[k]
            message_rows.append({
                "invoice_id": (m - 1) // 2 + 1, "customer_id": invoice["customer_id"],
                "created_by_id": invoice["created_by_id"], "batch": f"b{m}",
                "to_address": f"billing{invoice['customer_id']}@client.test",
                "subject": f"Invoice {invoice['number']}", "body_text": "Dear client",
                "message_id": f"<{m}@bench.test>", "verp_token": f"v{m}", "open_token": f"o{m}",
                "state": "rejected" if d["status"] == "rejected" else "sent",
                "status": d["status"], "status_at": created, "sent_at": created,
                "created_at": created, "human_opens": d["human_opens"],
                "automated_opens": d["automated_opens"], "clicks": d["clicks"],
                "last_event_at": created + timedelta(minutes=d["last_minutes"]),
                "last_event_type": d["last_type"]})
            for i, (kind, minutes, automated, delivered) in enumerate(TEMPLATES[k][1]):
                event_rows.append({
                    "message_id": m, "type": kind, "received_at": now,
                    "occurred_at": created + timedelta(minutes=minutes), "source": "bench",
                    "automated": automated, "delivered": delivered, "details": {},
                    "dedupe_key": f"{m}-{i}"})
            if len(event_rows) >= 5 * CHUNK:
                _insert(conn, EmailMessage.__table__, message_rows)
                _insert(conn, EmailEvent.__table__, event_rows)
                message_rows, event_rows = [], []
        _insert(conn, EmailMessage.__table__, message_rows)
        _insert(conn, EmailEvent.__table__, event_rows)

        notes = [{"customer_id": rng.randint(1, CUSTOMERS), "author_id": 2 + n % STAFF,
                  "kind": ("call", "email", "meeting", "other")[n % 4], "body": "Spoke",
                  "occurred_at": datetime.combine(start, datetime.min.time(), tzinfo=timezone.utc)
                  + timedelta(minutes=int(days * 1440 * n / (months * NOTES_PER_MONTH))),
                  "created_at": now}
                 for n in range(1, int(months * NOTES_PER_MONTH))]
        _insert(conn, Note.__table__, notes)
    _analyze(db)
    admin = db.session.get(User, 1)
    admin.set_password("bench-password-1")
    db.session.commit()
    return {"message_id": messages // 2, "staff_id": 5, "customer_id": 42}


def _analyze(db) -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def pages(ids: dict) -> list[tuple[str, str, bool]]:
    """(label, url, counted in the target)."""
    return [
        ("emails", "/reports/accounting", True),
        ("emails?status=opened&page=3", "/reports/accounting?status=opened&page=3", True),
        ("emails?staff", f"/reports/accounting?staff={ids['staff_id']}", True),
        ("emails?customer", f"/reports/accounting?customer={ids['customer_id']}", True),
        ("emails htmx results", "/reports/accounting?status=rejected", True),
        ("email history", f"/reports/accounting/emails/{ids['message_id']}/history", True),
        ("receivables", "/reports/accounting/receivables", True),
        ("revenue", "/reports/accounting/revenue", True),
        ("customers", "/reports/customers", True),
        ("activity", "/reports/activity", True),
        ("emails all-time (info)", "/reports/accounting?from=2000-01-01", False),
        ("emails sort=customer (info)", "/reports/accounting?sort=customer", False),
    ]


def _prepare(kind: str, url: str, messages: int):
    app = bench_app(url, REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_ENABLED=False,
                    TODAY=TODAY)
    began = time.perf_counter()
    with app.app_context():
        ids = fill(messages)
    print(f"  filled {messages:,} messages / {messages * 5:,} events in "
          f"{time.perf_counter() - began:.0f} s ({kind})", flush=True)
    client = app.test_client()
    login = client.post("/login", data={"email": "staff0@bench.test",
                                        "password": "bench-password-1"})
    assert login.status_code == 302, login.text[:300]
    return app, client, pages(ids)


def _get(client, path: str, label: str) -> float:
    headers = {"HX-Request": "true", "HX-Target": "report-results"} if "htmx" in label else {}
    began = time.perf_counter()
    response = client.get(path, headers=headers)
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return elapsed


def measure(kind: str, sizes: tuple[int, ...], reps: int) -> dict[int, dict[str, dict]]:
    """Both databases are filled first, then requests alternate between them page by
    page, so load from elsewhere on a shared machine falls on both sizes alike."""
    from contextlib import ExitStack

    from app.extensions import db

    with ExitStack() as stack:
        setups = {}
        for messages in sizes:
            url = stack.enter_context(scratch_database(kind))
            setups[messages] = _prepare(kind, url, messages)
        times = {m: {label: [] for label, _, _ in setups[m][2]} for m in sizes}
        cold = {m: {} for m in sizes}
        for messages, (_, client, urls) in setups.items():
            for label, path, _ in urls:
                cold[messages][label] = _get(client, path, label)
                for _ in range(2):
                    _get(client, path, label)
        for _ in range(reps):
            for index in range(len(setups[sizes[0]][2])):
                for messages, (_, client, urls) in setups.items():
                    label, path, _ = urls[index]
                    times[messages][label].append(_get(client, path, label))
        for app, _, _ in setups.values():
            with app.app_context():
                db.engine.dispose()
    return {m: {label: {"p50": percentile(t, 50), "p95": percentile(t, 95),
                        "cold": cold[m][label],
                        "counted": next(c for lb, _, c in setups[m][2] if lb == label)}
                for label, t in times[m].items()} for m in sizes}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=200_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"database: {args.db}; {args.small:,} and {args.large:,} messages (x5 events); "
          f"{args.reps} timed requests per page and size, interleaved", flush=True)
    runs = measure(args.db, (args.small, args.large), args.reps)
    for messages in (args.small, args.large):
        print(f"{messages:,} messages, {messages * 5:,} events:")
        for label, r in runs[messages].items():
            print(f"  {label:30} p50={r['p50']:6.1f} ms  p95={r['p95']:6.1f} ms  "
                  f"cold={r['cold']:6.1f} ms", flush=True)
    small, large = runs[args.small], runs[args.large]
    print("growth per page (p95 large / p95 small):")
    for label in large:
        print(f"  {label:30} {large[label]['p95'] / max(small[label]['p95'], 0.01):5.2f}x")

    def worst(run):
        return max(r["p95"] for r in run.values() if r["counted"])

    print(f"reports p95_ms_max={worst(large):.1f} growth_ratio={worst(large) / worst(small):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
