"""The customers list as a query: search, filters and sorting, from plain arguments.

`ListParams.from_args(request.args)` never fails: unknown values fall back to defaults,
so any URL a user can type gives a page. `build_query` applies record-level access.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Mapping

from sqlalchemy import ColumnElement, Select, and_, func, select, true

from app import fields as custom_fields
from app.customers.access import visibility_clause
from app.customers.segments import SEGMENT_KEYS, segment_members
from app.extensions import db
from app.models import CUSTOMER_STATUSES, Customer, Tag, customer_tags, search_index
from app.models.base import contains_text, parse_id

# Each sort has an index (see the Customer model); ties are broken by name, then id.
SORTS = {
    "name": lambda: (Customer.sort_name,),
    "status": lambda: (Customer.status, Customer.sort_name),
    "added": lambda: (Customer.created_at,),
    "updated": lambda: (Customer.updated_at,),
}
DEFAULT_DIRECTION = {"name": "asc", "status": "asc", "added": "desc", "updated": "desc"}
STATUS_CHOICES = ("", *CUSTOMER_STATUSES, "all")  # "" = everything but archived
MAX_TERMS = 8
MAX_FIELD_FILTERS = 5
_FIELD_KEY = re.compile(r"^f[1-9]\d{0,8}$")
# A search matching at most this many customers is found in one scan and sorted here.
NARROW_SEARCH = 5000
# A wider search counts at most this many ("10,000 or more" is all anyone needs);
# reaching the cap marks a broad search, which walks the name index instead.
SEARCH_COUNT_CAP = 10_000
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{6,}$")


@dataclass
class ListParams:
    q: str = ""
    tag: str = ""
    segment: str = ""
    owner: str = ""  # "", "me", "none" or a user id
    status: str = ""
    sort: str = "name"
    dir: str = "asc"
    # The office's own fields: ((key "f12", value), …); checked against the fields the
    # user may see when the query is built.
    fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListParams:
        sort = args.get("sort", "name")
        sort = sort if sort in SORTS else "name"
        direction = args.get("dir", "")
        direction = direction if direction in ("asc", "desc") else DEFAULT_DIRECTION[sort]
        owner = args.get("owner", "").strip()
        if owner not in ("", "me", "none") and parse_id(owner) is None:
            owner = ""
        segment = args.get("segment", "")
        status = args.get("status", "")
        return cls(
            q=" ".join(args.get("q", "").split())[:200],
            tag=args.get("tag", "").strip()[:60],
            segment=segment if segment in SEGMENT_KEYS else "",
            owner=owner,
            status=status if status in STATUS_CHOICES else "",
            sort=sort,
            dir=direction,
            fields=tuple((k, " ".join(str(v).split())[:100]) for k, v in args.items()
                         if _FIELD_KEY.match(k) and str(v).strip())[:MAX_FIELD_FILTERS],
        )

    def to_args(self) -> dict[str, str]:
        """Only the values that differ from the defaults (for links and saved filters)."""
        args = {k: v for k, v in asdict(self).items() if v and k != "fields"}
        args.update(self.fields)
        if args.get("sort") == "name":
            args.pop("sort")
        if args.get("dir") == DEFAULT_DIRECTION[self.sort]:
            args.pop("dir")
        return args

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.tag or self.segment or self.owner or self.status
                    or self.fields)

    def field_value(self, key: str) -> str:
        return dict(self.fields).get(key, "")


def search_terms(q: str) -> list[str]:
    """Lower-cased terms that must all appear; a phone number counts as one term.

    Phone numbers are matched on their digits: `020 7946 0958` and `+44 20 7946 0958`
    both find `+442079460958` (a leading 00 or trunk 0 is dropped).
    """
    q = q.strip().lower()
    if not q:
        return []
    if _PHONE_LIKE.match(q):
        digits = re.sub(r"\D", "", q)
        digits = digits[2:] if digits.startswith("00") else digits.lstrip("0")
        if len(digits) >= 4:
            return [digits]
    return q.split()[:MAX_TERMS]


def matches(q: str) -> ColumnElement[bool]:
    """Customers whose search text holds every term of `q` (wildcards taken literally)."""
    return and_(true(), *[contains_text(Customer.search_text, term, fold_case=False)
                          for term in search_terms(q)])


def field_filters(params: ListParams, user, own_fields=None) -> list[Select]:
    """The id lookups of the filters on the office's own fields that apply: fields `user`
    may see (`own_fields`, when the caller has them), values the field can hold."""
    if not params.fields:
        return []
    known = custom_fields.by_keys(custom_fields.fields_for(user) if own_fields is None
                                  else own_fields)
    clauses = (custom_fields.filter_clause(known[key], value)
               for key, value in params.fields if key in known)
    return [c for c in clauses if c is not None]


def count_cap(params: ListParams, user, own_fields=None) -> int | None:
    """Where counting the list stops: a search or a filter on an own field matches up to
    the whole table and is counted up to SEARCH_COUNT_CAP ("10,000 or more"); None for
    a list counted exactly."""
    return SEARCH_COUNT_CAP if params.q or field_filters(params, user, own_fields) else None


def build_query(params: ListParams, user, today: date, *, broad: bool = False,
                prefilter=None, own_fields=None) -> Select:
    """SELECT Customer rows matching `params` that `user` may see, in list order.

    `broad=True` says the search or the own-field filters match a large share of the
    table (the caller counted), so walking the sort index finds a page of matches almost
    at once. `prefilter` is an index lookup narrowing the rows the search terms are
    checked on. `own_fields` are the fields `user` may see, when the caller has them.
    """
    # A merged file lives on in its survivor (app.customers.merge).
    query = select(Customer).where(visibility_clause(user), Customer.merged_into_id.is_(None))
    if prefilter is not None:
        query = query.where(prefilter)
    if params.q:
        query = query.where(matches(params.q))
    if params.tag:
        tagged = (select(customer_tags.c.customer_id)
                  .join(Tag, Tag.id == customer_tags.c.tag_id)
                  .where(func.lower(Tag.name) == params.tag.lower()))
        query = query.where(Customer.id.in_(tagged))
    if params.segment:
        query = query.where(Customer.id.in_(segment_members(params.segment, today)))
    if params.owner == "me":
        query = query.where(Customer.owner_id == user.id)
    elif params.owner == "none":
        query = query.where(Customer.owner_id.is_(None))
    elif params.owner:
        query = query.where(Customer.owner_id == int(params.owner))
    for clause in field_filters(params, user, own_fields):
        member = Customer.id.in_(clause)
        # Asked as "IS TRUE", the test cannot drive the plan: both databases then walk
        # the sort index and look each customer up in the filter's id set, instead of
        # fetching and sorting every match (a quarter of the table: 10-20 ms).
        query = query.where(member.is_(true()) if broad else member)
    if params.status == "":
        query = query.where(Customer.status != "archived")
    elif params.status != "all":
        query = query.where(Customer.status == params.status)
    columns = [*SORTS[params.sort](), Customer.id]
    if params.q and not broad and params.sort == "name":
        # A narrower search scans the table anyway (LIKE '%term%'); sorting its matches
        # after the scan is steady, while walking the name index would visit most of the
        # table whenever the matches sort late ("walsh"). An expression keeps the
        # planner off the index.
        columns[0] = Customer.sort_name.concat("")
    return query.order_by(*[c.asc() if params.dir == "asc" else c.desc() for c in columns])


def count_query(query: Select, cap: int | None = None) -> Select:
    """A COUNT for `query` without its ORDER BY; stops at `cap` rows when given."""
    ids = query.order_by(None).with_only_columns(Customer.id)
    if cap:
        ids = ids.limit(cap)
    return select(func.count()).select_from(ids.subquery())


def list_page(params: ListParams, user, today: date, number: int,
              per_page: int, *, own_fields=None) -> tuple[list[int], int, int]:
    """(the ids on page `number`, how many match — up to `count_cap`, the page number).

    Searches take the cheapest of three paths: few matches are fetched in one go
    (through the trigram index, see app/models/search_index.py) with their sort keys
    and sorted here; many are counted (up to the cap) and sorted by the database after
    the scan; a broad search walks the name index. A filter on an own field is counted
    up to the cap too, and walks the sort index when it reaches it.
    """
    if params.fields and own_fields is None:
        own_fields = custom_fields.fields_for(user)  # read once for the three uses below
    terms = search_terms(params.q)
    prefilter = None
    if terms:
        search_index.plan_for_the_pattern(db.session)
        prefilter = search_index.sqlite_prefilter(db.session, Customer.id, terms, NARROW_SEARCH)
    query = build_query(params, user, today, prefilter=prefilter, own_fields=own_fields)
    cap = count_cap(params, user, own_fields)
    if params.q:
        total = db.session.scalar(count_query(query, cap)) or 0
        if total <= NARROW_SEARCH:
            keys = [*SORTS[params.sort](), Customer.id]
            rows = db.session.execute(query.order_by(None).with_only_columns(*keys)).all()
            # Code-point order of the lower-cased sort name, as SQLite sorts it.
            rows.sort(key=tuple, reverse=params.dir == "desc")
            number = _clamp(number, len(rows), per_page)
            start = (number - 1) * per_page
            return [r[-1] for r in rows[start:start + per_page]], len(rows), number
        query = build_query(params, user, today, broad=total >= cap, own_fields=own_fields)
    else:
        total = db.session.scalar(count_query(query, cap)) or 0
        if cap and total >= cap:
            query = build_query(params, user, today, broad=True, own_fields=own_fields)
    number = _clamp(number, total, per_page)
    ids = db.session.scalars(query.with_only_columns(Customer.id).limit(per_page)
                             .offset((number - 1) * per_page))
    return list(ids), total, number


def _clamp(number: int, total: int, per_page: int) -> int:
    return max(1, min(number, -(-total // per_page)))
