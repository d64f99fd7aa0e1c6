"""CSV import of customers: read, map columns, validate every row, write rows in bulk.

No Flask: the routes keep the upload in `CustomerImport` between steps, and call
`read_csv`, `suggest_mapping` and `validate`; `import_runs` writes the rows a batch at a
time with `apply_rows`; a periodic job calls `forget_abandoned`.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from app import audit
from app import fields as custom_fields
from app.customers.changes import parse_tags, tags_named
from app.customers.consent import change_consent
from app.customers import import_columns
from app.customers.contacts import ContactError, duplicate_index, normalise_email, normalise_phone
from app.customers.countries import country_code
from app.customers.identifiers import identifier_last4
from app.customers.languages import language_code
from app.extensions import db
from app.followups.tasks import follow_new_owner
from app.models.customer_bulk import insert_new_customers
from app.models import (
    CUSTOMER_STATUSES, Customer, CustomerAddress, CustomerEmail, CustomerIdentifier,
    CustomerImport, CustomerPhone, CustomField, Note, User, utcnow,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 60
MAX_CELL = 2000
KEEP_FOR = timedelta(days=1)  # an import untouched this long is abandoned

TARGETS: dict[str, str] = {
    "": "— ignore this column —",
    "full_name": "Full name", "first_name": "First name", "last_name": "Last name",
    "company": "Company", "kind": "Person or company", "email": "Email",
    "phone": "Phone", "tags": "Tags", "status": "Status", "owner_email": "Responsible (email)",
    "industry": "Industry", "source": "How they found us", "language": "Language",
    "line1": "Street", "line2": "Street (2)", "postal_code": "Postcode", "city": "City",
    "region": "Region", "country": "Country",
    "marketing_consent": "Marketing consent (yes/no)", "tax_id": "Tax ID", "note": "Note",
}
REPEATABLE = {"email", "phone", "tags", "note"}
NAME_TARGETS = {"full_name", "first_name", "last_name", "company"}
_LIMITS = {"first_name": 100, "last_name": 100, "company": 200, "industry": 100,
           "source": 100, "language": 20, "line1": 200, "line2": 200, "postal_code": 20,
           "city": 100, "region": 100, "tax_id": 64}
_YES = {"yes", "y", "true", "1", "x", "ja", "oui", "si"}
_NO = {"no", "n", "false", "0", "", "nein", "non"}


class ImportFileError(ValueError):
    """The file can't be used at all; str() is the message for the user."""


def read_csv(raw: bytes, encoding: str = "utf-8") -> dict:
    """`{"header": [...], "rows": [[...], ...]}` from an uploaded file, or ImportFileError."""
    if len(raw) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. "
                              "Split it into smaller files.")
    if not raw.strip():
        raise ImportFileError("The file is empty.")
    if b"\x00" in raw:
        raise ImportFileError("This is not a CSV text file (it contains binary data). "
                              "Save the spreadsheet as CSV and upload that.")
    try:
        text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except (UnicodeDecodeError, LookupError):
        raise ImportFileError(
            "The file is not UTF-8 text. If it comes from Excel, choose the Windows "
            "encoding below, or save it as “CSV UTF-8” and upload again.") from None
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(islice(csv.reader(io.StringIO(text, newline=""), dialect), MAX_ROWS + 2))
    except csv.Error as exc:
        raise ImportFileError(f"The file could not be read as CSV ({exc}).") from None
    header = [" ".join(h.split())[:100] for h in rows[0]] if rows else []
    if not any(header):
        raise ImportFileError("The first row must name the columns (e.g. Name, Email).")
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"The file has {len(header)} columns; at most {MAX_COLUMNS} "
                              "are supported. Is it really a customer list?")
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if len(rows) > MAX_ROWS + 1:
        raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows; split it.")
    if not body:
        raise ImportFileError("The file has a header row but no customers below it.")
    width = len(header)
    if any(len(cell) > MAX_CELL for r in body for cell in r):
        raise ImportFileError(f"Some cells are longer than {MAX_CELL} characters; this does "
                              "not look like a customer list.")
    return {"header": header, "rows": [(r + [""] * width)[:width] for r in body]}


def targets(fields: list[CustomField]) -> dict[str, str]:
    """What a column may be imported as: the usual targets, then the office's own fields
    (those the importing user may see)."""
    return {**TARGETS, **{f.key: f.label for f in fields}}


def suggest_mapping(data: dict, fields: list[CustomField] = ()) -> list[str]:
    """A target per column, guessed from its name or its values (`import_columns`); a
    column named as one of the office's own fields is that field (an export's header)."""
    return import_columns.suggest_mapping(data, REPEATABLE, {f.label: f.key for f in fields})


def mapping_errors(mapping: list[str], fields: list[CustomField] = ()) -> list[str]:
    errors = []
    known = targets(fields)
    for target in set(mapping) - REPEATABLE - {""}:
        if mapping.count(target) > 1:
            errors.append(f"“{known.get(target, target)}” is chosen for more than one "
                          "column.")
    if not NAME_TARGETS & set(mapping):
        errors.append("Choose the column with the name: full name, first or last name, "
                      "or company.")
    unknown = set(mapping) - set(known)
    if unknown:
        errors.append("Unknown column choice.")
    return errors


@dataclass
class Row:
    line: int  # line in the file (the header is line 1)
    record: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    match_id: int | None = None
    action: str = "create"  # create | update | skip


@dataclass
class Review:
    rows: list[Row]
    mapping_errors: list[str]

    @property
    def errors(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return not self.mapping_errors and not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if not r.errors and r.action == action)


def validate(data: dict, mapping: list[str], mode: str, region: str,
             fields: list[CustomField] = ()) -> Review:
    """Check every row; find duplicates in the file and among existing customers.
    `fields`: the office's own fields the importing user may see (and so import)."""
    problems = mapping_errors(mapping, fields)
    if problems:
        return Review([], problems)
    owners = {email.lower(): uid for uid, email in db.session.execute(
        select(User.id, User.email).where(User.active.is_(True)))}
    own = custom_fields.by_keys(fields)
    rows = [_row(i + 2, cells, mapping, region, owners, own) for i, cells in
            enumerate(data["rows"])]
    seen: dict[str, int] = {}
    for row in rows:
        for value in row.record.get("emails", []) + [p for p, _ in row.record.get("phones", [])]:
            if value in seen:
                row.errors.append(f"{value} is also on line {seen[value]} of the file.")
            else:
                seen[value] = row.line
    known = duplicate_index({e for r in rows for e in r.record.get("emails", [])},
                            {p for r in rows for p, _ in r.record.get("phones", [])})
    for row in rows:
        matches = {known[v] for v in row.record.get("emails", []) + [
            p for p, _ in row.record.get("phones", [])] if v in known}
        if len(matches) > 1:
            row.errors.append("The email and phone belong to different existing customers "
                              f"(#{', #'.join(str(m) for m in sorted(matches))}).")
        elif matches:
            row.match_id = matches.pop()
            row.action = "update" if mode == "update" else "skip"
    return Review(rows, [])


def _row(line: int, cells: list[str], mapping: list[str], region: str,
         owners: dict[str, int], own: dict[str, CustomField]) -> Row:
    row = Row(line)
    rec = row.record
    rec.update(emails=[], phones=[], tags=[], notes=[], own={})
    for target, cell in zip(mapping, cells):
        value = " ".join(cell.split()) if target != "note" else cell.strip()
        if not target or not value:
            continue
        if target in own:
            try:
                rec["own"][own[target]] = custom_fields.parse(own[target], value)
            except custom_fields.FieldError as exc:
                row.errors.append(str(exc))
        elif target in _LIMITS and len(value) > _LIMITS[target]:
            row.errors.append(f"{TARGETS[target]} is longer than {_LIMITS[target]} characters.")
        elif target == "email":
            for part in re.split(r"[;,\s]+", value):
                if part:
                    try:
                        rec["emails"].append(normalise_email(part))
                    except ContactError as exc:
                        row.errors.append(str(exc))
        elif target == "phone":
            for part in re.split(r"[;,]+", value):
                if part.strip():
                    try:
                        rec["phones"].append(normalise_phone(part, region))
                    except ContactError as exc:
                        row.errors.append(str(exc))
        elif target == "tags":
            rec["tags"] += parse_tags(value)
        elif target == "note":
            rec["notes"].append(value[:MAX_CELL])
        elif target == "language":  # "German", "de-AT" → "de"; anything else as written
            rec["language"] = language_code(value) or value
        else:
            rec[target] = value
    _check_fields(row, owners)
    return row


def _check_fields(row: Row, owners: dict[str, int]) -> None:
    rec = row.record
    if "full_name" in rec and not (rec.get("first_name") or rec.get("last_name")):
        first, _, last = rec.pop("full_name").rpartition(" ")
        rec["first_name"], rec["last_name"] = first, last
    rec.pop("full_name", None)
    kind = rec.get("kind", "").lower()
    if kind in ("company", "business", "organisation", "organization", "firm"):
        rec["kind"] = "company"
    elif kind in ("person", "individual", "private", ""):
        has_person = rec.get("first_name") or rec.get("last_name")
        rec["kind"] = "company" if not kind and rec.get("company") and not has_person \
            else "person"
    else:
        row.errors.append(f"Kind “{rec['kind']}” should be person or company.")
    if not (rec.get("first_name") or rec.get("last_name") or rec.get("company")):
        row.errors.append("No name: fill in a first or last name, or a company.")
    if "status" in rec:
        rec["status"] = rec["status"].lower()
        if rec["status"] not in CUSTOMER_STATUSES:
            row.errors.append(f"Status “{rec['status']}” should be one of "
                              f"{', '.join(CUSTOMER_STATUSES)}.")
    if "owner_email" in rec:
        owner = owners.get(rec.pop("owner_email").lower())
        if owner is None:
            row.errors.append("The responsible person is not a user of Clientele.")
        rec["owner_id"] = owner
    if "country" in rec:
        code = country_code(rec["country"])
        if code is None:
            row.errors.append(f"Country “{rec['country']}” is not one we know: write its "
                              "name (Germany, Deutschland) or its code (DE).")
        rec["country"] = code or ""
    if "marketing_consent" in rec:
        answer = rec["marketing_consent"].lower()
        if answer not in _YES | _NO:
            row.errors.append("Marketing consent should be yes or no.")
        rec["marketing_consent"] = answer in _YES


_SCALARS = ("kind", "first_name", "last_name", "company", "industry", "source", "language",
            "status", "owner_id")
_ADDRESS = ("line1", "line2", "postal_code", "city", "region", "country")


def apply(review: Review, *, user, filename: str, ip: str | None = None) -> dict[str, int]:
    """Create or update every row in the session; the caller commits or rolls back."""
    if not review.ok:
        raise ValueError("an import with errors can't be applied")
    counts = apply_rows(review.rows, user=user, filename=filename, ip=ip)
    audit.record("customers.imported", user=user, ip=ip, details={"file": filename, **counts},
                 summary=f"Imported {filename}")
    return counts


def apply_rows(rows: list[Row], *, user, filename: str,
               ip: str | None = None) -> dict[str, int]:
    """Create or update these rows (none with errors) in the session.

    New customers are written a table at a time (`insert_new_customers`); customers to
    update are read in one query and changed through the ORM; tags are looked up once
    per name. A batch of rows so costs a few statements per table, not a few per row.
    The caller commits.
    """
    counts = {"created": 0, "updated": 0, "skipped": 0}
    if any(r.errors for r in rows):
        raise ValueError("rows with problems can't be applied")
    ids = {r.match_id for r in rows if r.match_id and r.action == "update"}
    existing = {c.id: c for c in db.session.scalars(
        select(Customer).where(Customer.id.in_(ids)).options(
            selectinload(Customer.emails), selectinload(Customer.phones),
            selectinload(Customer.addresses), selectinload(Customer.identifiers),
            selectinload(Customer.tags)))} if ids else {}
    owners_before = {c.id: c.owner_id for c in existing.values()}
    names = {n.lower(): n for r in rows for n in r.record["tags"]}
    tags = {t.name.lower(): t for t in tags_named(names.values())}
    db.session.flush()  # new tags get their ids
    created: list[tuple[Row, Customer]] = []
    updated: list[tuple[Row, Customer]] = []
    with db.session.no_autoflush:
        for row in rows:
            if row.action == "skip":
                counts["skipped"] += 1
            elif row.match_id is None:
                customer = Customer()
                _fill(customer, row.record, filename, True, tags)
                created.append((row, customer))
            else:
                customer = existing[row.match_id]
                _fill(customer, row.record, filename, False, tags)
                updated.append((row, customer))
    new_ids = insert_new_customers([c for _, c in created])
    db.session.flush()
    for _, customer in updated:  # a file that changed hands takes its follow-ups along
        if customer.owner_id != owners_before[customer.id]:
            db.session.expire(customer, ["owner"])
            follow_new_owner(customer, user)
    written = [(row, cid, True) for (row, _), cid in zip(created, new_ids)]
    written += [(row, c.id, False) for row, c in updated]
    for row, cid, new in written:
        for body in row.record["notes"]:
            db.session.add(Note(customer_id=cid, author_id=user.id, kind="other", body=body))
    custom_fields.insert_values([(cid, row.record["own"]) for row, cid, new in written
                                 if new and row.record["own"]])
    for row, cid, new in written:
        if not new and row.record["own"]:
            custom_fields.set_values(cid, row.record["own"])
    audit.record_many("customer.imported", [
        {"subject_type": "customer", "subject_id": cid,
         "details": {"file": filename, "line": row.line,
                     "action": "created" if new else "updated",
                     "fields": sorted(k for k, v in row.record.items() if v and k != "own")
                     + sorted(f.label for f in row.record["own"])},
         "summary": f"{'Created' if new else 'Updated'} from {filename}, line {row.line}"}
        for row, cid, new in written], user=user, ip=ip)
    counts["created"] += len(created)
    counts["updated"] += len(updated)
    db.session.flush()
    return counts


def _fill(c: Customer, rec: dict, filename: str, new: bool, tags_by_name: dict) -> None:
    # Everything read first: a read may flush the session, and a flush between changes
    # would write the customer (and recompute its search fields) once per read.
    have = {e.address for e in c.emails}
    numbers = {p.e164 for p in c.phones}
    address = None
    if any(rec.get(f) for f in _ADDRESS):
        address = CustomerAddress(**{f: rec.get(f, "") for f in _ADDRESS})
        if any(all(getattr(a, f) == getattr(address, f) for f in _ADDRESS)
               for a in c.addresses):
            address = None
    tax_id = rec.get("tax_id")
    if tax_id and tax_id in [i.value for i in c.identifiers]:
        tax_id = None
    tags = []
    if rec["tags"]:
        names = {t.name.lower() for t in c.tags}
        for name in rec["tags"]:
            if name.lower() not in names:
                tags.append(tags_by_name[name.lower()])
                names.add(name.lower())

    for name in _SCALARS:
        if rec.get(name) not in (None, ""):
            setattr(c, name, rec[name])
    if new and not c.status:
        c.status = "active"
    if "marketing_consent" in rec:
        change_consent(c, "marketing", rec["marketing_consent"], source=f"CSV import {filename}")
    for email in rec["emails"]:
        if email not in have:
            c.emails.append(CustomerEmail(address=email, is_primary=not c.emails))
            have.add(email)
    for e164, display in rec["phones"]:
        if e164 not in numbers:
            c.phones.append(CustomerPhone(e164=e164, display=display))
            numbers.add(e164)
    if address is not None:
        c.addresses.append(address)
    if tax_id:
        c.identifiers.append(CustomerIdentifier(kind="tax_id", value=tax_id,
                                                last4=identifier_last4(tax_id)))
    if tags:
        c.tags += tags


def forget_abandoned(now: datetime | None = None) -> int:
    """Delete imports not finished within KEEP_FOR; empty the finished ones.

    A finished import loses its rows at once and its rows set aside (the download of the
    rows with problems) after KEEP_FOR; its summary stays. Safe to repeat; returns how
    many imports were deleted. The caller commits.
    """
    now = now or utcnow()
    db.session.execute(update(CustomerImport)
                       .where(CustomerImport.state == "done", CustomerImport.data.is_not(None))
                       .values(data=None))
    db.session.execute(update(CustomerImport)
                       .where(CustomerImport.state == "done",
                              CustomerImport.skipped.is_not(None),
                              CustomerImport.updated_at < now - KEEP_FOR)
                       .values(skipped=None))
    return db.session.execute(delete(CustomerImport).where(
        CustomerImport.state != "done", CustomerImport.updated_at < now - KEEP_FOR)).rowcount
