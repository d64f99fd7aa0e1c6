"""The duplicate finder at 50,000 customers: how long it takes and what it finds.

    python -m bench.duplicates_bench                  # scratch SQLite file
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python -m bench.duplicates_bench              # also a scratch PostgreSQL database
    python -m bench.duplicates_bench --db postgresql  # one database (as `make bench` runs it)

Fills a scratch database (created and dropped here) with CUSTOMERS customers named the
way an office's are: common surnames often (a few hundred Smiths), a long tail of rare
ones, a third of them companies, one or two emails, a phone, and for about half an
encrypted tax, VAT or ID number. Into that it plants PLANTED pairs of each kind of
duplicate: the same email in another case, the same phone written another way
("020 7946 0011" / "+44 20 7946 0011"), the same ID number spaced and cased differently,
and a similar name and company ("Jon Smith" / "John Smith", "Harbour Foods" / "Harbor
Foods"). A tenth of the pairs belong to the staff member, some straddle two owners, and
a few are marked "not a duplicate".

Times a search while the caller waits (`find_candidates`, for an admin and for a staff
member who has a tenth of the customers), a duplicate check as the worker runs it (the
search over every customer, then its pairs saved), and the page `/customers/duplicates`
showing the last check's list, through the Flask test client (the whole request). Then
counts what is found of the planted pairs, by the search and in the stored check
(everything, not the 50 the page shows), that pairs marked "not a duplicate" stay
hidden, and that the staff member gets their own pairs and nobody else's. The last line
reads `duplicates search_s=… check_s=… page_p95_ms=… recall_pct=… leaks=…` (the slowest
database's medians, the lowest recall).
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench.common import (bench_app, chosen_databases, machine, percentile,  # noqa: E402
                          scratch_database)

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 50_000))
PLANTED = int(os.environ.get("BENCH_PLANTED", 300))  # pairs of each kind
RUNS = int(os.environ.get("BENCH_RUNS", 3))
PAGE_RUNS = int(os.environ.get("BENCH_PAGE_RUNS", 100))
PAGE_TARGET_MS = 50.0  # the other pages' p95 at 50,000 customers
KINDS = ("email", "phone", "identifier", "name")

FIRST = ("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
         "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
         "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy",
         "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily", "Paul", "Donna", "Andrew",
         "Michelle", "Joshua", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George",
         "Deborah", "Olivia", "Liam", "Amelia", "Noah", "Isla", "Oscar", "Sophie", "Jack",
         "Aoife", "Cian", "Lena", "Felix", "Camille", "Hugo", "Sanne", "Daan", "Priya",
         "Tomasz", "Katarzyna", "Piotr", "Anna", "Lukas", "Leonie", "Jonas", "Marie",
         "Mateo", "Lucia", "Pablo", "Elena", "Mohammed", "Fatima", "Ahmed", "Aisha", "Sean",
         "Niamh", "Conor", "Siobhan", "Pierre", "Chloé", "Antoine", "Manon", "Lars", "Ingrid",
         "Henrik", "Freya", "Ravi", "Anjali", "Wei", "Mei", "Kenji", "Yuki", "Kwame", "Ama",
         "Chinedu", "Ngozi", "Marco", "Giulia", "Stefan", "Eva")
LAST = ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
        "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White",
        "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel",
        "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore",
        "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott",
        "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
        "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell",
        "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson",
        "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman",
        "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell",
        "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd",
        "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon",
        "Harvey", "Walsh", "Byrne", "Ryan", "O'Brien", "O'Connor", "Doyle", "McCarthy",
        "Gallagher", "Doherty", "Kennedy", "Lynch", "Quinn", "Müller", "Schmidt",
        "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause",
        "Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Leroy", "Moreau", "Simon",
        "Laurent", "Michel", "Garcia", "Rodriguez", "Fernandez", "Lopez", "Gonzalez",
        "Perez", "Sanchez", "Romero", "Nowak", "Kowalski", "Wiśniewski", "Wójcik",
        "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Szymański", "Woźniak",
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
        "Visser", "Smit", "Meijer", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi",
        "Romano", "Colombo", "Ricci", "Marino", "Greco", "Okafor", "Okeke", "Mensah",
        "Nguyen", "Tran", "Chen", "Wang", "Zhang", "Liu", "Tanaka", "Suzuki", "Sato")
TRADES = ("Plumbing", "Foods", "Builders", "Consulting", "Design", "Motors", "Dental",
          "Bakery", "Logistics", "Print", "Electrical", "Gardens", "Legal", "Accounts",
          "Joinery", "Travel", "Optics", "Pharmacy", "Studio", "Media", "Roofing", "Cafe")
PLACES = ("Harbour", "Northside", "Riverside", "Oakwood", "Highfield", "Kingsway", "Meadow",
          "Station", "Abbey", "Castle", "Bridge", "Market", "Parkview", "Westgate", "Elm",
          "Greenway", "Hillcrest", "Lakeside", "Millbrook", "Seaview", "Southgate", "Victoria")
SUFFIXES = ("Ltd", "Limited", "GmbH", "& Co", "LLP", "SARL", "BV", "", "")
# Spellings of one first name people write either way: the name pairs planted below.
VARIANTS = (("Jon", "John"), ("Steven", "Stephen"), ("Sara", "Sarah"), ("Mohammed",
            "Mohamed"), ("Katharina", "Katherina"), ("Philip", "Phillip"), ("Geoff",
            "Geoffrey"), ("Ann", "Anne"), ("Alan", "Allan"), ("Aoife", "Aiofe"),
            ("Catherine", "Cathrine"), ("Jakob", "Jacob"), ("Nicola", "Nichola"),
            ("Zoe", "Zoë"), ("Sean", "Shaun"), ("Lucy", "Lucie"))
SYLLABLES = ("ka", "ren", "dor", "mi", "lo", "van", "ber", "tis", "gal", "ro", "nek", "sa",
             "ul", "fen", "ha", "zo", "mar", "li", "tor", "wen", "quist", "by", "ston", "ley")


def _weighted(names: tuple[str, ...], flat: int) -> tuple[list[str], list[float]]:
    """Names and weights falling off like a real directory's (the first most common)."""
    return list(names), [1 / (rank + flat) for rank in range(len(names))]


def _rare_surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randrange(2, 4))).capitalize()


class Office:
    """The customers as they are inserted, and the pairs planted among them."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.first = _weighted(FIRST, 10)
        self.last = _weighted(LAST, 20)
        self.customers: list[dict] = []
        self.emails: list[dict] = []
        self.phones: list[dict] = []
        self.identifiers: list[dict] = []
        self.planted: dict[str, list[tuple[int, int]]] = {k: [] for k in KINDS}

    def _surname(self) -> str:
        if self.rng.random() < 0.35:
            return _rare_surname(self.rng)
        return self.rng.choices(*self.last)[0]

    def person(self, n: int, owner: int, first: str | None = None, last: str | None = None,
               company: str | None = None) -> dict:
        first = first or self.rng.choices(*self.first)[0]
        last = last or self._surname()
        company = company if company is not None else (
            self._company() if self.rng.random() < 0.1 else "")
        return self._customer(n, owner, "person", first, last, company)

    def company(self, n: int, owner: int, name: str | None = None) -> dict:
        return self._customer(n, owner, "company", "", "", name or self._company())

    def _company(self) -> str:
        head = self._surname() if self.rng.random() < 0.5 else self.rng.choice(PLACES)
        return " ".join(p for p in (head, self.rng.choice(TRADES),
                                    self.rng.choice(SUFFIXES)) if p)

    def _customer(self, n, owner, kind, first, last, company) -> dict:
        from app.models import utcnow

        sort_name = (company.lower() if kind == "company"
                     else ", ".join(p for p in (last, first) if p).lower())
        row = {"id": n, "kind": kind, "first_name": first, "last_name": last,
               "company": company, "sort_name": sort_name,
               "search_text": " ".join(p for p in (first, last, company) if p).lower(),
               "owner_id": owner, "status": "active",
               "created_at": utcnow() - timedelta(minutes=n), "updated_at": utcnow(),
               "preferred_channel": "email", "marketing_consent": False,
               "sharing_consent": False, "needs_review": False}
        self.customers.append(row)
        return row

    def contacts(self, n: int, email: str | None = None, phone: str | None = None,
                 number: tuple[str, str] | None = None, extra: bool = True) -> None:
        from app.customers.contacts import normalise_phone
        from app.customers.identifiers import identifier_last4

        self.emails.append({"customer_id": n, "address": email or f"c{n}@mail{n % 97}.example",
                            "is_primary": True, "state": "ok", "suppressed": False})
        if extra and n % 3 == 0:
            self.emails.append({"customer_id": n, "address": f"office{n}@work.example",
                                "is_primary": False, "state": "unverified",
                                "suppressed": False})
        if phone or (extra and n % 5):
            e164, display = normalise_phone(phone or f"020 7{n:07d}"[:13], "GB")
            self.phones.append({"customer_id": n, "e164": e164, "display": display})
        if number is None and extra and n % 2:
            number = ("vat", f"GB{n:09d}") if n % 3 else ("tax_id", f"{n:010d}")
        if number:
            self.identifiers.append({"customer_id": n, "kind": number[0], "value": number[1],
                                     "last4": identifier_last4(number[1])})


def _typo(rng: random.Random, word: str) -> str:
    """`word` with two neighbouring letters after the first swapped, or a short word's
    last letter doubled: a slip of the hand, not a different name."""
    if len(word) < 5:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def build(rng: random.Random, admin_id: int, staff_id: int) -> Office:
    """CUSTOMERS customers; the last ones are the planted pairs' second halves."""
    office = Office(rng)
    planted_rows = 2 * PLANTED * len(KINDS)
    plain = CUSTOMERS - planted_rows
    for n in range(1, plain + 1):
        owner = staff_id if n % 10 == 0 else admin_id
        if rng.random() < 0.3:
            office.company(n, owner)
        else:
            office.person(n, owner)
        office.contacts(n)
    n = plain
    for kind in KINDS:
        for i in range(PLANTED):
            # A tenth the staff member's, a twentieth straddling the two owners.
            owners = ((staff_id, staff_id) if i % 10 == 0 else
                      (staff_id, admin_id) if i % 20 == 1 else (admin_id, admin_id))
            a, b = n + 1, n + 2
            n += 2
            _plant(office, kind, i, a, b, owners)
            office.planted[kind].append((a, b))
    return office


def _plant(office: Office, kind: str, i: int, a: int, b: int, owners) -> None:
    rng = office.rng
    if kind == "name":
        if i % 3 == 2:  # a company whose name was typed twice
            place = rng.choice(PLACES)
            office.company(a, owners[0], f"{place} {rng.choice(TRADES)} Ltd")
            office.company(b, owners[1], office.customers[-1]["company"].replace(
                place, _typo(rng, place), 1))
        else:
            first, other = rng.choice(VARIANTS)
            last = office._surname()
            company = office._company() if i % 3 == 1 else ""
            if i % 4 == 3:  # the surname mistyped, the first name alike
                office.person(a, owners[0], first, last, company)
                office.person(b, owners[1], first, _typo(rng, last), company)
            else:
                office.person(a, owners[0], first, last, company)
                office.person(b, owners[1], other, last, company)
        office.contacts(a, extra=False)
        office.contacts(b, extra=False)
        return
    # The other kinds: two customers named apart who share one thing.
    for n, owner in ((a, owners[0]), (b, owners[1])):
        if rng.random() < 0.7:
            office.person(n, owner)
        else:
            office.company(n, owner)
    if kind == "email":
        user = f"{rng.choice(FIRST).lower()}.{i}"
        office.contacts(a, email=f"{user}@shared.example", extra=False)
        office.contacts(b, email=f"{user.capitalize()}@Shared.example", extra=False)
    elif kind == "phone":
        local = f"0161 496 {i:04d}"
        office.contacts(a, phone=local, extra=False)
        office.contacts(b, phone="+44 " + local[1:].replace(" ", ""), extra=False)
    else:
        digits = f"{811000000 + i:09d}"
        office.contacts(a, number=("vat", f"DE {digits[:3]} {digits[3:6]} {digits[6:]}"),
                        extra=False)
        office.contacts(b, number=("vat", f"de{digits}"), extra=False)


def fill(db, rng: random.Random) -> tuple[Office, int, int]:
    """Bulk-insert with Core (the ID numbers still go through their encrypting type)."""
    from app.models import (Customer, CustomerEmail, CustomerIdentifier, CustomerPhone,
                            User)

    users = []
    for role in ("admin", "staff"):
        user = User(email=f"{role}@bench.example", name=role.title(), role=role)
        user.set_password("bench-password")
        users.append(user)
    db.session.add_all(users)
    db.session.commit()
    admin_id, staff_id = (u.id for u in users)
    office = build(rng, admin_id, staff_id)
    for model, rows in ((Customer, office.customers), (CustomerEmail, office.emails),
                        (CustomerPhone, office.phones),
                        (CustomerIdentifier, office.identifiers)):
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(model), rows[start:start + 5000])
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("customers", "customer_emails", "customer_phones",
                      "customer_identifiers"):
            db.session.execute(sa.text(
                f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return office, admin_id, staff_id


DISMISSED = 20  # planted email pairs marked "not a duplicate"


def dismiss(db, office: Office, admin_id: int) -> set[tuple[int, int]]:
    from app.models import DuplicateDismissal, utcnow

    pairs = set(office.planted["email"][2:2 + DISMISSED])
    db.session.execute(sa.insert(DuplicateDismissal), [
        {"first_id": a, "second_id": b, "dismissed_by_id": admin_id,
         "dismissed_at": utcnow()} for a, b in pairs])
    db.session.commit()
    return pairs


def _seconds(call, runs: int = RUNS) -> tuple[list[float], list[float]]:
    """Wall-clock seconds of each run, and this process's CPU seconds (on a shared
    machine, what the work itself costs; PostgreSQL's own share is not in it)."""
    from app.extensions import db

    timings, cpu = [], []
    for _ in range(runs):
        db.session.expire_all()
        started, used = time.perf_counter(), time.process_time()
        call()
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
        db.session.rollback()
    return timings, cpu


def _check() -> None:
    """One duplicate check, as the worker runs it (the job's body, in this process)."""
    from app.customers import duplicate_checks
    from app.extensions import db

    check, new = duplicate_checks.start(None)
    db.session.commit()
    assert new and duplicate_checks.run(check.id) == "done"


def _page_ms(client, url: str, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return timings


def _pairs_offered(candidates) -> dict[tuple[int, int], set[str]]:
    return {(c.first.id, c.second.id): set(c.reasons) for c in candidates}


def recall(office: Office, offered: dict, mine: set, staff_id: int, owners: dict[int, int],
           dismissed: set[tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """(found, planted) per kind among everything offered to the admin; and for the
    staff member, their own pairs found and none of anyone else's."""
    found = {}
    for kind, pairs in office.planted.items():
        expected = [p for p in pairs if p not in dismissed]
        found[kind] = (sum(1 for p in expected if kind in offered.get(p, ())), len(expected))
    found["dismissed shown"] = (sum(1 for p in dismissed if p in offered), len(dismissed))
    own = [p for pairs in office.planted.values() for p in pairs
           if owners[p[0]] == owners[p[1]] == staff_id and p not in dismissed]
    found["staff own"] = (sum(1 for p in own if p in mine), len(own))
    found["staff others'"] = (sum(1 for a, b in mine
                                  if not owners[a] == owners[b] == staff_id), len(mine))
    return found


def run(url: str, label: str) -> dict[str, float]:
    import gc

    from app.customers import duplicate_checks
    from app.customers.duplicates import find_candidates
    from app.extensions import db
    from app.models import User

    app = bench_app(url, REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:1/0"),
                    RATELIMIT_ENABLED=False, ENV_NAME="testing", LOG_FORMAT="text",
                    DEFAULT_PHONE_REGION="GB")
    rng = random.Random(18)
    with app.app_context():
        started = time.perf_counter()
        office, admin_id, staff_id = fill(db, rng)
        dismissed = dismiss(db, office, admin_id)
        print(f"[{label}] filled {len(office.customers):,} customers, "
              f"{len(office.emails):,} emails, {len(office.phones):,} phones, "
              f"{len(office.identifiers):,} ID numbers ({PLANTED} planted pairs of each "
              f"kind) in {time.perf_counter() - started:.1f}s", flush=True)
        owners = {c["id"]: c["owner_id"] for c in office.customers}
        del office.customers, office.emails, office.phones, office.identifiers
    gc.collect()
    gc.freeze()
    client = app.test_client()
    with app.app_context():
        admin, staff = db.session.get(User, admin_id), db.session.get(User, staff_id)
        seconds = {
            "search admin": _seconds(lambda: find_candidates(admin)),
            "search staff": _seconds(lambda: find_candidates(staff)),
            "check (job)": _seconds(_check),
        }
        load = os.getloadavg()[0]
        for name, (values, cpu) in seconds.items():
            print(f"[{label}] {name:13} median {statistics.median(values):5.2f} s, "
                  f"max {max(values):5.2f} s, CPU {statistics.median(cpu):5.2f} s "
                  f"({RUNS} runs)", flush=True)
        client.post("/login", data={"email": "admin@bench.example",
                                    "password": "bench-password"})
        _page_ms(client, "/customers/duplicates", 5)  # warm caches
        page = _page_ms(client, "/customers/duplicates", PAGE_RUNS)
        p50, p95 = percentile(page, 50), percentile(page, 95)
        flag = "ok" if p95 <= PAGE_TARGET_MS else f"OVER {PAGE_TARGET_MS:.0f} ms"
        print(f"[{label}] page (last check's list) p50={p50:.1f} ms p95={p95:.1f} ms "
              f"({PAGE_RUNS} requests)  {flag}", flush=True)
        print(f"[{label}] load average {load:.1f} during the searches, "
              f"{os.getloadavg()[0]:.1f} now", flush=True)
        check = duplicate_checks.last_done()
        results = {
            "search": recall(office, _pairs_offered(find_candidates(admin, limit=None)),
                             set(_pairs_offered(find_candidates(staff, limit=None))),
                             staff_id, owners, dismissed),
            "stored": recall(office, _pairs_offered(duplicate_checks.candidates(
                check, admin, limit=duplicate_checks.MAX_STORED)),
                set(_pairs_offered(duplicate_checks.candidates(
                    check, staff, limit=duplicate_checks.MAX_STORED))),
                staff_id, owners, dismissed),
        }
        print(f"[{label}] the check found {check.pairs_found:,} pairs", flush=True)
        for kind in results["search"]:
            print(f"[{label}] found {kind:15} " + "  ".join(
                f"{where}: {results[where][kind][0]:4} of {results[where][kind][1]:4}"
                for where in results), flush=True)
        db.session.remove()
        db.engine.dispose()
    planted = [results[w][k] for w in results for k in KINDS]
    result = {"search": statistics.median(seconds["search admin"][0]),
              "check": statistics.median(seconds["check (job)"][0]), "page_p95": p95,
              "recall_pct": 100 * sum(h for h, _ in planted) / sum(t for _, t in planted),
              "leaks": sum(results[w][k][0] for w in results
                           for k in ("dismissed shown", "staff others'"))}
    return result


def main() -> None:
    kinds = chosen_databases()
    print(f"machine: {machine()}", flush=True)
    runs = []
    for kind in kinds:
        with scratch_database(kind) as url:
            runs.append(run(url, kind))
    worst = {k: max(r[k] for r in runs) for k in ("search", "check", "page_p95", "leaks")}
    print(f"duplicates search_s={worst['search']:.2f} check_s={worst['check']:.2f} "
          f"page_p95_ms={worst['page_p95']:.1f} "
          f"recall_pct={min(r['recall_pct'] for r in runs):.1f} leaks={worst['leaks']}")


if __name__ == "__main__":
    main()
