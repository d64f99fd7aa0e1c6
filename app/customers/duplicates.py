"""Finding customers on file twice: same email, phone or identification number, or a
similar name and company. Ranked; pairs marked "not a duplicate" stay hidden (no Flask).

At 50,000 customers a search takes seconds, so the page shows the result of the last
check, run as a job (`app.customers.duplicate_checks`); `find_candidates` searches
while the caller waits.

Identification numbers are encrypted at rest, so no SQL can compare them. They are
decrypted in memory one at a time, and each is reduced at once to an HMAC under a key made for this one search and thrown away with it: the comparison
holds digests, not numbers, nothing decrypted is written anywhere, and there is no
stored blind index that key rotation, backups and erasure would have to reach (nor one
that would let anyone reading the database link equal numbers). The cost is one
decryption per number per search (see the README's figures).

Names: exact SQL can't find "Jon Smith" for "John Smith". Customers are grouped by the
first letters of their sort name (the list's own order), and again by those letters
sorted, and `rapidfuzz` scores every pair inside a group on name and company; a group
is capped so one common prefix can't
make the search quadratic in the whole office.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import Text, and_, func, select, type_coerce

from app.crypto import decrypt
from app.customers.access import visibility_clause
from app.extensions import db
from app.models import (Customer, CustomerEmail, CustomerIdentifier, CustomerPhone,
                        DuplicateDismissal, utcnow)

NAME_THRESHOLD = 88  # rapidfuzz token_sort_ratio of name and company, 0–100
FIRST_NAME_THRESHOLD = 75  # and of the first names alone, when both files have one
_BLOCK_PREFIX = 3
_BLOCK_CAP = 1500
# What each reason weighs when ranking; a pair sharing several ranks above each alone.
WEIGHTS = {"identifier": 100, "email": 90, "phone": 80}


@dataclass
class Candidate:
    first: Customer
    second: Customer
    reasons: dict[str, str] = field(default_factory=dict)  # kind → what they share
    score: int = 0


# (score, (lower id, higher id), {kind: what they share}), most likely first.
Ranked = tuple[int, tuple[int, int], dict[str, str]]


def _quiet(step: str, fraction: float) -> None:
    """A progress report nobody reads (a search made while the user waits)."""


def find_candidates(user, limit: int | None = 50) -> list[Candidate]:
    """Pairs of customers `user` may see that look like one customer, most likely first."""
    ranked = ranked_pairs(visibility_clause(user))[:limit]
    ids = {i for _, pair, _ in ranked for i in pair}
    loaded = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    return [Candidate(loaded[a], loaded[b], reasons, score)
            for score, (a, b), reasons in ranked]


def ranked_pairs(scope, report: Callable[[str, float], None] = _quiet) -> list[Ranked]:
    """Every pair of live customers within `scope` (a WHERE clause on customers) that
    looks like one customer, pairs marked "not a duplicate" left out, most likely first.

    `report(step, fraction)` is told how far the search got (a check running as a job
    shows it); it may commit the session, and is called only between queries."""
    pairs: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for kind, model in (("email", CustomerEmail), ("phone", CustomerPhone)):
        report(kind + "s", 0.0)
        for a, b, value in list(_shared(model, scope)):
            pairs[(a, b)].setdefault(kind, value)
    for a, b, kind in _shared_identifiers(scope, report):
        pairs[(a, b)].setdefault("identifier", kind)
    for a, b, score in _similar_names(scope, report):
        pairs[(a, b)].setdefault("name", str(score))
    dismissed = _dismissed()
    ranked = []
    for pair, reasons in pairs.items():
        if pair in dismissed:
            continue
        weights = [WEIGHTS.get(k) or int(int(v) * 0.7) for k, v in reasons.items()]
        ranked.append((min(100, max(weights) + 5 * (len(weights) - 1)), pair, reasons))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return ranked


def _live(scope):
    """Customers the finder looks at: within `scope`, not erased, not merged away."""
    return select(Customer.id).where(scope, Customer.erased_at.is_(None),
                                     Customer.merged_into_id.is_(None))


def _shared(model, scope):
    """(lower id, higher id, shared value) for two live customers holding one email
    address (any case) or one phone number (E.164).

    Only values held more than once are read back (GROUP BY … HAVING), then paired in
    Python: a self-join on lower(address) has no index to use and grows with the square
    of the table."""
    if model is CustomerEmail:
        key, shown = func.lower(model.address), func.lower(model.address)
    else:
        key, shown = model.e164, model.display
    live = model.customer_id.in_(_live(scope))
    repeated = (select(key).where(live).group_by(key)
                .having(func.count(func.distinct(model.customer_id)) > 1))
    holders: dict[str, dict[int, str]] = defaultdict(dict)
    for value, customer_id, text in db.session.execute(
            select(key, model.customer_id, shown).where(live, key.in_(repeated))):
        holders[value].setdefault(customer_id, text)
    for by_customer in holders.values():
        ordered = sorted(by_customer)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                yield a, b, by_customer[a]


def _shared_identifiers(scope, report):
    """(lower id, higher id, kind) for two live customers with the same number; see the
    module's docstring for how the numbers are compared. The tokens are read as stored
    and decrypted one at a time, so no more than one number is ever held in clear."""
    key = secrets.token_bytes(32)
    holders: dict[bytes, set[int]] = defaultdict(set)
    kinds: dict[bytes, str] = {}
    rows = db.session.execute(
        select(CustomerIdentifier.customer_id, CustomerIdentifier.kind,
               type_coerce(CustomerIdentifier.value, Text))
        .where(CustomerIdentifier.customer_id.in_(_live(scope)))).all()
    for n, (customer_id, kind, token) in enumerate(rows):
        if n % 2000 == 0:
            report("numbers", n / len(rows))
        digest = hmac.new(key, _normal_number(decrypt(token)).encode(),
                          hashlib.sha256).digest()
        holders[digest].add(customer_id)
        kinds.setdefault(digest, kind)
    for digest, ids in holders.items():
        ordered = sorted(ids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                yield a, b, kinds[digest]


def _normal_number(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


def _similar_names(scope, report):
    """(lower id, higher id, score) for live customers with a similar name and company.

    The score is `token_sort_ratio`, computed as a plain ratio of texts whose words were
    sorted once per customer rather than once per comparison; customers with the very
    same text (the office's several John Smiths) are compared once, as one text. Each
    customer sits in two blocks (`_block_keys`), so a slip of the hand among the first
    letters ("Smtih") still meets its twin in the second; a pair that already met in
    the first is not offered twice."""
    rows = db.session.execute(
        select(Customer.id, Customer.sort_name, Customer.first_name, Customer.last_name,
               Customer.company)
        .where(Customer.id.in_(_live(scope)))).all()
    report("names", 0.0)
    blocks: dict[str, dict[str, list[tuple[int, str, str]]]] = defaultdict(dict)
    for customer_id, sort_name, first, last, company in rows:
        text = " ".join(sorted(_name_text(first, last, company).split()))
        keys = _block_keys(sort_name)
        if not text or not keys:
            continue
        member = (customer_id, _folded(first), keys[0])
        for key in keys:
            block = blocks[key]
            if text in block or len(block) < _BLOCK_CAP:
                block.setdefault(text, []).append(member)
    for done, (key, block) in enumerate(blocks.items()):
        if done % 50 == 0:
            report("names", done / len(blocks))
        second = key.startswith("~")
        texts = list(block)
        for i, text in enumerate(texts):
            holders = block[text]
            for x, (a, first, home) in enumerate(holders):
                for b, other_first, other_home in holders[x + 1:]:
                    if not (second and home == other_home) and _alike(first, other_first):
                        yield min(a, b), max(a, b), 100
            for _, score, j in process.extract(text, texts[i + 1:], scorer=fuzz.ratio,
                                               score_cutoff=NAME_THRESHOLD, limit=None):
                for a, first, home in holders:
                    for b, other_first, other_home in block[texts[i + 1 + j]]:
                        if not (second and home == other_home) and \
                                _alike(first, other_first):
                            yield min(a, b), max(a, b), int(score)


def _alike(first: str, other_first: str) -> bool:
    # Two people of one family ("Mateo" and "Lena Lefèvre") are not one customer: given
    # first names must be alike on their own too.
    return not (first and other_first) or \
        fuzz.ratio(first, other_first) >= FIRST_NAME_THRESHOLD


def _block_keys(sort_name: str) -> tuple[str, ...]:
    """The blocks a customer is compared within: the first letters of their sort name,
    and (marked "~") those letters and the next in alphabetical order, the same for
    "smith" and "smtih"."""
    letters = re.sub(r"[\W_]", "", _folded(sort_name))
    if not letters:
        return ()
    return letters[:_BLOCK_PREFIX], "~" + "".join(sorted(letters[:_BLOCK_PREFIX + 1]))


def _name_text(first: str, last: str, company: str) -> str:
    return _folded(" ".join(p for p in (first, last, company) if p)).strip()


def _folded(text: str) -> str:
    """Lower case without accents: "Zoë Müller" and "Zoe Muller" are one spelling, as
    people type a name without the accents their keyboard lacks."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _dismissed() -> set[tuple[int, int]]:
    """Every pair marked "not a duplicate": a few per person's click, read in one query
    rather than looked up for each of the tens of thousands of pairs a search finds."""
    return {(a, b) for a, b in db.session.execute(
        select(DuplicateDismissal.first_id, DuplicateDismissal.second_id))}


def dismiss_pair(first: Customer, second: Customer, user) -> bool:
    """Remember that these two are different customers; False if it already was."""
    a, b = sorted((first.id, second.id))
    exists = db.session.scalar(select(DuplicateDismissal.id).where(
        DuplicateDismissal.first_id == a, DuplicateDismissal.second_id == b))
    if exists:
        return False
    db.session.add(DuplicateDismissal(first_id=a, second_id=b,
                                      dismissed_by_id=getattr(user, "id", None),
                                      dismissed_at=utcnow()))
    return True


def same_name(kind: str, first: str, last: str, company: str) -> list[Customer]:
    """Live customers called exactly this (case aside), for the warning when adding one."""
    first, last, company = (v.strip().lower() for v in (first, last, company))
    if kind == "company" and company:
        clause = and_(Customer.kind == "company", func.lower(Customer.company) == company)
    elif first or last:
        clause = and_(func.lower(Customer.first_name) == first,
                      func.lower(Customer.last_name) == last,
                      func.lower(Customer.company) == company)
    else:
        return []
    return list(db.session.scalars(
        select(Customer).where(clause, Customer.erased_at.is_(None),
                               Customer.merged_into_id.is_(None))
        .order_by(Customer.id).limit(10)))
