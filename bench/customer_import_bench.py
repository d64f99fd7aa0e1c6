"""CSV import of customers: time per row to apply an upload, creating and then updating.

    python bench/customer_import_bench.py --db sqlite|postgresql [--rows 2000] [--runs 3]

Each run takes a fresh scratch database and an upload of ROWS customers (name, company,
one or two emails, a phone, tags, an address, marketing consent, a tax ID), validates it
and applies it in `create` mode, then applies a second upload of the same people (new
surnames, a second phone) in `update` mode. Only `apply` plus the commit is timed: it is
what writes the customer files. The last line reads
`customer_import create_ms_per_row=… update_ms_per_row=…` (medians over the runs).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from bench.common import bench_app, machine, scratch_database

FIRST = ("Olivia", "Liam", "Amelia", "Noah", "Isla", "Oscar", "Sophie", "Jack", "Aoife")
LAST = ("Walsh", "Murphy", "Clarke", "Bennett", "Okafor", "Schneider", "Dubois", "Byrne")
TAGS = ("vip", "wholesale", "newsletter", "late payer", "eu")
HEADER = "First name,Last name,Company,Email,Phone,Tags,Street,Postcode,City,Country," \
         "Marketing,VAT number\n"


def _csv(rows: int, rng: random.Random, suffix: str, phone_base: int) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = f"{last} & Co {n}" if n % 4 == 0 else ""
        emails = f"{first}.{last}.{n}@example.com".lower()
        if n % 3 == 0:
            emails += f"; alt{n}@example.org"
        tags = "; ".join(rng.sample(TAGS, rng.randrange(0, 3)))
        lines.append(f"{first},{last}{suffix},{company},{emails},+44 20 {phone_base + n},"
                     f"{tags},{n} High Street,SW1A {n % 10}AA,London,GB,"
                     f"{rng.choice(('yes', 'no', ''))},GB{100000000 + n}\n")
    return "".join(lines).encode()


def _apply(raw: bytes, mode: str, user) -> float:
    from app.customers import csv_import
    from app.extensions import db

    data = csv_import.read_csv(raw)
    review = csv_import.validate(data, csv_import.suggest_mapping(data), mode, "GB")
    assert review.ok, [r.errors for r in review.errors][:3]
    started = time.perf_counter()
    csv_import.apply(review, user=user, filename=f"bench-{mode}.csv")
    db.session.commit()
    return time.perf_counter() - started


def run(kind: str, rows: int, seed: int) -> tuple[float, float]:
    """(ms per row creating, ms per row updating) on a fresh database."""
    from app.extensions import db
    from app.models import User

    rng = random.Random(seed)
    with scratch_database(kind) as url:
        app = bench_app(url)
        with app.app_context():
            user = User(email="admin@bench.example", name="Admin", role="admin")
            user.set_password("bench-password")
            db.session.add(user)
            db.session.commit()
            create = _apply(_csv(rows, rng, "", 79460000), "skip", user)
            rng = random.Random(seed)
            update = _apply(_csv(rows, rng, "-Smith", 79470000), "update", user)
            db.session.remove()
            db.engine.dispose()
    return create * 1000 / rows, update * 1000 / rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    results = []
    for i in range(args.runs):
        create, update = run(args.db, args.rows, seed=7 + i)
        print(f"[{args.db}] run {i + 1}: {args.rows:,} rows, create {create:.2f} ms/row, "
              f"update {update:.2f} ms/row", flush=True)
        results.append((create, update))
    print(f"customer_import create_ms_per_row={statistics.median(r[0] for r in results):.2f} "
          f"update_ms_per_row={statistics.median(r[1] for r in results):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
