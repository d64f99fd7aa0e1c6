"""Documents filed on a customer: what people see of them, and their encrypted content.

The content is split into chunks of `CHUNK_BYTES`, each one Fernet token (app.crypto), so
neither storing nor reading a document holds more than one chunk in memory. Why the
database and not files: see app/documents/__init__.py.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedBytes, EncryptedString
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

CHUNK_BYTES = 1024 * 1024


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_customer", "customer_id", "uploaded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # A file's name says whose passport it is: encrypted like identification numbers.
    name: Mapped[str] = mapped_column(EncryptedString)
    kind: Mapped[str] = mapped_column(String(10))  # app.documents.types.ALLOWED key
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    # An identity scan (passport, ID card): seen only by roles with customers.view_ids.
    identity: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An attachment of captured mail (app.capture): seen only by who may see that mail.
    # Deleted with it by app.capture (a plain key: SQLite adds it without a table copy).
    captured_id: Mapped[int | None] = mapped_column(ForeignKey("captured_mail.id"), index=True)

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")


class DocumentChunk(db.Model):
    __tablename__ = "document_chunks"
    __table_args__ = (Index("ix_document_chunks_document", "document_id", "seq", unique=True),)

    # A single-column key: key rotation walks every encrypted table by it.
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    data: Mapped[bytes] = mapped_column(EncryptedBytes)
