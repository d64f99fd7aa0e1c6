"""Capturing a message that reached a drop-box, and filing it on customers (no Flask
request globals: the user is passed in; the worker and the pages call these).

`capture` runs in the inbound worker, before the bounce parser ever sees the message.
It reads the message, keeps it encrypted in `captured_mail`, empties the inbound copy,
and files it on the customers the filer may see whose addresses appear in it (see
app.capture.reading for what "appear" means). Customers the filer may not see are not
filed on, and not named anywhere. With none, it waits in the filer's review list.
Each attachment becomes a document on every customer the message is filed on.
"""
from __future__ import annotations

import io
import logging
import re

from flask import current_app
from sqlalchemy import delete, func, or_, select

from app.capture import dropbox, reading
from app.customers.access import can_see_customer, visibility_clause
from app.customers.search import matches
from app.documents.store import DocumentTooLarge, purge, store
from app.documents.types import HEAD_BYTES, DocumentTypeError, detect
from app.extensions import db
from app.models import (CapturedMail, CapturedMailLink, Customer, CustomerEmail, Document,
                        InboundMessage, User)
from app.permissions import role_can

log = logging.getLogger(__name__)

# A message naming more customers than this is a circular, not correspondence: it waits
# for a person to file it where it belongs.
MAX_AUTO_CUSTOMERS = 10


class FilingRefused(ValueError):
    """A filing the user may not make; str() says why."""


def capture(inbound: InboundMessage, owner: User) -> str:
    """Capture `inbound` for `owner`; returns the inbound message's new state. Safe to
    run twice: the same mail for the same person is kept once. Whatever goes wrong while
    reading or filing it, the message is kept, encrypted, in its filer's list to file.
    The caller commits."""
    raw = inbound.raw or b""
    inbound.kind = "capture"
    try:
        with db.session.begin_nested():
            summary = _capture(inbound, owner, raw)
    except Exception as exc:  # noqa: BLE001 - kept unread rather than lost or left in clear
        log.exception("captured message %s could not be read or filed", inbound.id)
        inbound.error = f"could not read or file it: {type(exc).__name__}"
        summary = _keep_unread(inbound, owner, raw)
    inbound.raw = b""  # the only copy left is the encrypted one
    inbound.summary = summary[:2000]
    return "captured"


def _capture(inbound: InboundMessage, owner: User, raw: bytes) -> str:
    read = reading.read(raw)
    key = reading.message_key(owner.id, read, raw)
    existing = db.session.scalar(select(CapturedMail).where(CapturedMail.message_key == key))
    if existing is not None:
        return f"captured mail for user {owner.id}, already held (#{existing.id})"
    mail = CapturedMail(filed_by_id=owner.id, received_at=inbound.received_at,
                        state="review", message_key=key, raw=raw, **_read_fields(read))
    db.session.add(mail)
    db.session.flush()
    # Filed by itself only for someone who may still file mail (a role changed since the
    # mail was received keeps it in the list to file, for an admin to see).
    may_file = role_can(owner.role, "capture.file") and owner.active
    customers = matching_customers(read.addresses, owner) if may_file else []
    if len(customers) <= MAX_AUTO_CUSTOMERS:
        for customer in customers:
            _link(mail, customer, "address", owner, read.attachments)
    return f"captured mail #{mail.id} for user {owner.id}, filed on {len(customers)} customer(s)"


def _keep_unread(inbound: InboundMessage, owner: User, raw: bytes) -> str:
    """The message in its filer's list to file, filed on no one, when capturing it failed:
    as read, if reading was not what failed, else as it came."""
    try:
        read = reading.read(raw)
        fields = _read_fields(read)
    except Exception:  # noqa: BLE001 - unreadable: kept as it came
        read = None
        fields = dict(subject="(a message Clientele could not read)",
                      people={"from": [], "to": [], "cc": []}, attachments=[],
                      body="Clientele could not read this message. It is kept as it came; "
                           "its attachments could not be taken from it.")
    key = reading.message_key(owner.id, read, raw)
    existing = db.session.scalar(select(CapturedMail).where(CapturedMail.message_key == key))
    if existing is None:
        existing = CapturedMail(filed_by_id=owner.id, received_at=inbound.received_at,
                                state="review", message_key=key, raw=raw, **fields)
        db.session.add(existing)
        db.session.flush()
    return f"captured mail #{existing.id} for user {owner.id}, not filed (failed)"


def _read_fields(read: reading.Reading) -> dict:
    """What is kept of a message as read: its words, without any drop-box address."""
    return dict(subject=dropbox.masked(read.subject), sent_at=read.sent_at,
                people=_without_dropboxes(read.people), body=dropbox.masked(read.body),
                attachments=[_attachment_note(a) for a in read.attachments])


def _without_dropboxes(people: dict) -> dict:
    """The people, a drop-box address named only as "a drop-box": the address is its
    owner's credential, and colleagues who read the message must not learn it."""
    return {key: [["a drop-box", ""] if dropbox.is_dropbox_address(address) else [name, address]
                  for name, address in entries] for key, entries in people.items()}


def _attachment_note(attachment: reading.Attachment) -> dict:
    """Whether an attachment can become a document, and if not, why (in words)."""
    note = {"name": attachment.name, "size": len(attachment.content), "kept": False, "why": ""}
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    if not attachment.content:
        note["why"] = "it was empty or could not be read"
    elif len(attachment.content) > limit:
        note["why"] = f"it is larger than the {limit // 1_000_000} MB a document may be"
    else:
        try:
            note["kind"] = detect(attachment.content[:HEAD_BYTES]).label
            note["kept"] = True
        except DocumentTypeError as exc:
            note["why"] = str(exc).split(". ")[0]
    return note


def office_addresses() -> set[str]:
    """Addresses that are the office's own, never a customer's reason to file."""
    return {e.lower() for e in db.session.scalars(select(User.email))}


def matching_customers(addresses: list[str], user: User) -> list[Customer]:
    """The live customers `user` may see with one of `addresses`, in the addresses' order."""
    own = office_addresses()
    wanted = [a for a in addresses if a not in own and not dropbox.is_dropbox_address(a)]
    if not wanted:
        return []
    rows = db.session.execute(
        select(Customer, CustomerEmail.address)
        .join(CustomerEmail, CustomerEmail.customer_id == Customer.id)
        # Stored lower-cased (app.customers.contacts.normalise_email): the index serves.
        .where(CustomerEmail.address.in_(wanted), Customer.erased_at.is_(None),
               Customer.merged_into_id.is_(None), visibility_clause(user))).all()
    order = {address: i for i, address in enumerate(wanted)}
    found: dict[int, tuple[int, Customer]] = {}
    for customer, address in rows:
        rank = order.get(address.lower(), len(order))
        if customer.id not in found or rank < found[customer.id][0]:
            found[customer.id] = (rank, customer)
    return [customer for _, customer in sorted(found.values(), key=lambda f: (f[0], f[1].id))]


def _link(mail: CapturedMail, customer: Customer, how: str, user: User | None,
          attachments: list[reading.Attachment] | None) -> bool:
    """File `mail` on `customer` with its attachments as documents; False if already."""
    already = db.session.scalar(select(CapturedMailLink.id).where(
        CapturedMailLink.captured_id == mail.id, CapturedMailLink.customer_id == customer.id))
    if already is not None:
        return False
    db.session.add(CapturedMailLink(captured_id=mail.id, customer_id=customer.id, how=how,
                                    filed_by_id=getattr(user, "id", None)))
    if attachments is None:
        try:
            attachments = reading.read(mail.raw or b"").attachments
        except Exception:  # noqa: BLE001 - unreadable: filed without them (noted as not kept)
            log.exception("captured message %s: attachments unreadable", mail.id)
            attachments = []
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    notes = [dict(note) for note in mail.attachments or []]
    for attachment, note in zip(attachments, notes):
        if not note.get("kept"):
            continue
        try:
            document = store(customer.id, io.BytesIO(attachment.content), attachment.name,
                             identity=False, user=user or mail.filed_by, max_bytes=limit)
        except (DocumentTooLarge, DocumentTypeError):  # judged when captured; never here
            continue
        document.captured_id = mail.id  # `store` flushed it: it has its id
        # Which documents each attachment became: the message page links them by id.
        note["document_ids"] = [*note.get("document_ids", []), document.id]
    mail.attachments = notes  # a new value: the JSON column sees the change
    mail.state = "filed"
    return True


def customers_to_choose(q: str, user: User, limit: int = 10) -> list[Customer]:
    """Live customers `user` may file on that match the search `q` (name, company,
    address, phone), best known first."""
    if not q.strip():
        return []
    return list(db.session.scalars(
        select(Customer).where(matches(q), Customer.erased_at.is_(None),
                               Customer.merged_into_id.is_(None), visibility_clause(user))
        .order_by(Customer.last_name, Customer.first_name, Customer.company, Customer.id)
        .limit(limit)))


def review_list(user: User, state: str, *, everyone: bool = False):
    """The SELECT for a person's captured mail in `state` (review: to file), newest first;
    `everyone`: every person's (for admins: a colleague away, or gone, leaves mail)."""
    query = select(CapturedMail).where(CapturedMail.state == state)
    if not everyone:
        query = query.where(CapturedMail.filed_by_id == user.id)
    return query.order_by(CapturedMail.received_at.desc(), CapturedMail.id.desc())


def filed_names(mail_ids: list[int], user: User) -> dict[int, list[str]]:
    """{message id: the names of the customers it is filed on that `user` may see}, for a
    page of messages in one query."""
    if not mail_ids:
        return {}
    rows = db.session.execute(
        select(CapturedMailLink.captured_id, Customer)
        .join(Customer, Customer.id == CapturedMailLink.customer_id)
        .where(CapturedMailLink.captured_id.in_(mail_ids), visibility_clause(user))
        .order_by(Customer.id)).all()
    names: dict[int, list[str]] = {}
    for mail_id, customer in rows:
        if customer.display_name not in names.setdefault(mail_id, []):
            names[mail_id].append(customer.display_name)
    return names


def waiting_count(user: User) -> int:
    return db.session.scalar(select(func.count(CapturedMail.id)).where(
        CapturedMail.filed_by_id == user.id, CapturedMail.state == "review")) or 0


def file_on(mail: CapturedMail, customer: Customer, user: User) -> bool:
    """File `mail` on one more customer by hand; False when it already was."""
    if not can_see_customer(customer, user) or customer.erased_at is not None:
        raise FilingRefused("You can only file mail on customers you can open.")
    if customer.merged_into_id is not None:
        raise FilingRefused("That file was merged into another; file it there.")
    return _link(mail, customer, "hand", user, None)


def unfile(mail: CapturedMail, customer_id: int) -> bool:
    """Take `mail` off one customer, with the documents it put there; back to the review
    list when it is on none."""
    gone = db.session.execute(delete(CapturedMailLink).where(
        CapturedMailLink.captured_id == mail.id,
        CapturedMailLink.customer_id == customer_id)).rowcount
    purge(list(db.session.scalars(select(Document.id).where(
        Document.captured_id == mail.id, Document.customer_id == customer_id))))
    if not db.session.scalar(select(CapturedMailLink.id).where(
            CapturedMailLink.captured_id == mail.id).limit(1)):
        mail.state = "review"
    return bool(gone)


def remove(mail: CapturedMail) -> None:
    """Delete the message, its links and the documents it made."""
    purge(list(db.session.scalars(select(Document.id).where(Document.captured_id == mail.id))))
    db.session.execute(delete(CapturedMailLink).where(CapturedMailLink.captured_id == mail.id))
    db.session.delete(mail)


def erase_for_customer(customer_id: int, addresses: list[str]) -> int:
    """Erasure: the customer's links go (their documents go with their other documents);
    a message filed on nobody else goes entirely. One that stays — filed on others too,
    or waiting to be filed and naming them — loses its raw copy (attachments can no
    longer be filed from it) and their addresses among its people and in its text.
    Returns how many messages went."""
    mail_ids = list(db.session.scalars(select(CapturedMailLink.captured_id).where(
        CapturedMailLink.customer_id == customer_id).distinct()))
    db.session.execute(delete(CapturedMailLink).where(
        CapturedMailLink.customer_id == customer_id))
    still_filed = set(db.session.scalars(select(CapturedMailLink.captured_id).where(
        CapturedMailLink.captured_id.in_(mail_ids)))) if mail_ids else set()
    orphans = [i for i in mail_ids if i not in still_filed]
    for mail in db.session.scalars(select(CapturedMail).where(CapturedMail.id.in_(orphans))):
        remove(mail)
    gone = {a.lower() for a in addresses}
    for mail in db.session.scalars(select(CapturedMail).where(or_(
            CapturedMail.id.in_(still_filed), CapturedMail.state == "review"))):
        named = {address for entries in mail.people.values() for _, address in entries}
        if mail.id in still_filed or named & gone:
            _scrub(mail, gone)
    return len(orphans)


def _scrub(mail: CapturedMail, gone: set[str]) -> None:
    mail.raw = None
    mail.people = {key: [["an erased customer", ""] if address in gone else [name, address]
                         for name, address in entries]
                   for key, entries in mail.people.items()}
    body = mail.body
    for address in gone:
        body = re.sub(re.escape(address), "[erased]", body, flags=re.I)
    mail.body = body
