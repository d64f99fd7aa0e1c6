"""Storing, listing, reading and deleting documents (see the package docstring for why
the bytes live in the database, encrypted in chunks)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import delete, insert, or_, select, text

from app.capture import access as capture_access
from app.documents.types import HEAD_BYTES, detect
from app.extensions import db
from app.models import CHUNK_BYTES, CapturedMail, Document, DocumentChunk
from app.permissions import role_can


class DocumentTooLarge(ValueError):
    """The file is over the cap; nothing was stored."""


def sees_identity_scans(user) -> bool:
    """Identity scans follow identification numbers: `customers.view_ids`."""
    return role_can(getattr(user, "role", None), "customers.view_ids")


@dataclass(frozen=True)
class DocumentList:
    shown: list[Document]
    hidden_identity: int  # identity scans the user may not see (only counted)


def documents_for(customer_id: int, user) -> DocumentList:
    """The customer's documents, newest first, without the identity scans `user` may not
    see, nor the attachments of captured mail they may not read."""
    rows = db.session.scalars(
        select(Document).outerjoin(CapturedMail, CapturedMail.id == Document.captured_id)
        .where(Document.customer_id == customer_id,
               or_(Document.captured_id.is_(None), capture_access.visible_clause(user)))
        .order_by(Document.uploaded_at.desc(), Document.id.desc())).all()
    if sees_identity_scans(user):
        return DocumentList(list(rows), 0)
    return DocumentList([d for d in rows if not d.identity], sum(d.identity for d in rows))


def may_open(document: Document, user) -> bool:
    """Beyond seeing the customer: an identity scan needs `customers.view_ids`, an
    attachment of captured mail the right to read that mail."""
    if document.captured_id is not None and not capture_access.may_see(
            db.session.get(CapturedMail, document.captured_id), user):
        return False
    return not document.identity or sees_identity_scans(user)


def store(customer_id: int, stream: BinaryIO, name: str, *, identity: bool, user,
          max_bytes: int) -> Document:
    """Read `stream` a chunk at a time, encrypting and writing each before reading the
    next (so memory holds about one chunk); refuse a file over `max_bytes`
    (DocumentTooLarge) or of a kind not allowed (DocumentTypeError), leaving nothing
    stored. The caller commits."""
    first = stream.read(CHUNK_BYTES)
    kind = detect(first[:HEAD_BYTES])
    document = Document(customer_id=customer_id, name=clean_name(name, kind.key),
                        kind=kind.key, mime=kind.mime, size=0, identity=identity,
                        uploaded_by_id=getattr(user, "id", None))
    db.session.add(document)
    db.session.flush()
    chunk, seq, size = first, 0, 0
    try:
        while chunk:
            size += len(chunk)
            if size > max_bytes:
                raise DocumentTooLarge(max_bytes)
            # Core, not ORM objects: the session would keep every chunk's bytes alive.
            db.session.execute(insert(DocumentChunk).values(
                document_id=document.id, seq=seq, data=chunk))
            chunk, seq = stream.read(CHUNK_BYTES), seq + 1
    except DocumentTooLarge:
        purge([document.id])
        db.session.expunge(document)
        raise
    document.size = size
    return document


def clean_name(name: str, extension: str) -> str:
    """The file's name as shown and offered on download: no folders, no control
    characters, at most 200 characters; `document.<kind>` when nothing is left."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    return name[-200:] or f"document.{extension}"


def chunks(document: Document) -> Iterator[bytes]:
    """The document's content, decrypted one chunk at a time."""
    ids = db.session.scalars(select(DocumentChunk.id).where(
        DocumentChunk.document_id == document.id).order_by(DocumentChunk.seq)).all()
    for chunk_id in ids:
        yield db.session.scalar(select(DocumentChunk.data).where(DocumentChunk.id == chunk_id))


def content(document: Document) -> bytes:
    """The whole content (tests, the data export of small files)."""
    return b"".join(chunks(document))


def remove(document: Document) -> None:
    purge([document.id])


def erase_for_customer(customer_id: int) -> int:
    """Delete every document of the customer, content included; returns how many."""
    ids = db.session.scalars(select(Document.id).where(
        Document.customer_id == customer_id)).all()
    purge(ids)
    return len(ids)


def purge(ids: list[int]) -> None:
    """Delete these documents and their content (zeroed on SQLite). The caller commits."""
    if not ids:
        return
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite:  # freed pages zeroed, not left holding the encrypted bytes
        db.session.execute(text("PRAGMA secure_delete = ON"))
    try:
        db.session.execute(delete(DocumentChunk).where(DocumentChunk.document_id.in_(ids)))
        db.session.execute(delete(Document).where(Document.id.in_(ids)))
    finally:
        if sqlite:
            db.session.execute(text("PRAGMA secure_delete = OFF"))
    gone = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Document) and obj.id in gone:
            db.session.expunge(obj)
