"""All models, imported here so Alembic and `db.create_all` see every table."""
from app.models.attention import ATTENTION_KINDS, AttentionItem, Notification
from app.models.base import UTCDateTime, utcnow
from app.models.capture import CAPTURE_STATES, CapturedMail, CapturedMailLink
from app.models.customers import (
    CHANNELS, CUSTOMER_KINDS, CUSTOMER_STATUSES, EMAIL_STATES, NOTE_KINDS, Customer,
    CustomerAddress, CustomerEmail, CustomerIdentifier, CustomerImport, CustomerPhone, Note,
    SavedFilter, Tag, customer_tags,
)
from app.models.documents import CHUNK_BYTES, Document, DocumentChunk
from app.models.fields import FIELD_KINDS, CustomField, CustomFieldValue
from app.models.followups import FOLLOWUP_STATES, FollowUp
from app.models.invoices import (
    DRAFT_NUMBER, INVOICE_SERIES, INVOICE_STATES, PAYMENT_METHODS, DocumentImage, Invoice,
    InvoiceLine, NumberCounter, Payment,
)
from app.models.merges import (DUPLICATE_CHECK_STATES, CustomerMerge, DuplicateCheck,
                               DuplicateDismissal, DuplicatePair)
from app.models.mail import DELIVERY_STATES, SYSTEM_KIND, EmailEvent, EmailLink, EmailMessage, InboundMessage
from app.models.reminders import ReminderSend, ReminderStage
from app.models.settings import STAMP_KEY, Setting
from app.models.users import ROLES, TOKEN_PURPOSES, AuditLog, User, UserToken

__all__ = [
    "ATTENTION_KINDS", "AttentionItem", "Notification", "CAPTURE_STATES", "CapturedMail",
    "CapturedMailLink", "FOLLOWUP_STATES", "FollowUp",
    "CHANNELS", "CUSTOMER_KINDS", "CUSTOMER_STATUSES", "DELIVERY_STATES", "EMAIL_STATES",
    "DRAFT_NUMBER", "INVOICE_SERIES", "INVOICE_STATES", "NOTE_KINDS", "PAYMENT_METHODS",
    "ROLES", "SYSTEM_KIND", "TOKEN_PURPOSES",
    "AuditLog", "Customer", "CustomField", "CustomFieldValue", "FIELD_KINDS", "CustomerAddress",
    "CustomerEmail", "DocumentImage", "NumberCounter", "CHUNK_BYTES", "Document", "DocumentChunk",
    "CustomerIdentifier", "CustomerImport", "CustomerMerge", "DuplicateDismissal",
    "DUPLICATE_CHECK_STATES", "DuplicateCheck", "DuplicatePair", "CustomerPhone",
    "EmailEvent", "EmailLink",
    "EmailMessage", "InboundMessage", "Invoice", "InvoiceLine", "Note", "Payment",
    "ReminderSend", "ReminderStage",
    "SavedFilter", "Setting", "STAMP_KEY", "Tag", "User", "UserToken", "UTCDateTime",
    "customer_tags", "utcnow",
]
