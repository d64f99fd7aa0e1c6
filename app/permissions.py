"""Who may do what: one table from role to permissions. Imports nothing from the app.

Views declare what they need with `app.web.auth`'s `@requires("<permission>")` or
`@public`; a test walks `app.url_map` and fails on any route that declares neither.
"""
from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "dashboard.view": "See the home page, what needs attention and one's notifications",
    "attention.dismiss": "Dismiss what needs attention (staff: their own customers' items)",
    "attention.office": "See refusals of the office's own mail (its mail set-up)",
    "customers.view": "Open customer files (staff: only their own customers)",
    "customers.view_all": "See every customer, not only assigned ones",
    "customers.create": "Add customers",
    "customers.edit": "Edit identity, consent, assignment and status",
    "customers.edit_contact": "Edit contact details",
    "customers.edit_billing": "Edit billing details: currency, payment terms, language, the "
                              "no-reminders switch, tax and identification numbers",
    "customers.notes": "Add notes and interactions",
    "customers.view_ids": "See identification numbers unmasked",
    "customers.import": "Import customers from CSV",
    "customers.export": "Export customer lists and customer data",
    "customers.erase": "Erase a customer's personal data",
    "documents.view": "Open the documents filed on a customer (staff: their own customers; "
                      "identity scans only with customers.view_ids)",
    "documents.upload": "Upload documents to a customer file",
    "documents.delete": "Delete documents from a customer file",
    "followups.view": "See follow-ups (staff: their own customers')",
    "followups.edit": "Add, accept, dismiss and complete follow-ups, and be given them "
                      "(staff: their own customers only)",
    "customers.merge": "Find duplicate customers, merge two files and undo a merge "
                       "(only customers one can see)",
    "capture.file": "Have a personal drop-box address for mail, and file what arrives there "
                    "on customers (staff: their own customers only)",
    "capture.private": "Read, file and delete anyone's captured mail, private included "
                       "(others see it only where they may see every customer it is on)",
    "invoices.view": "See invoices",
    "invoices.edit": "Create and edit invoices, record payments",
    "invoices.send": "Email invoices",
    "mail.overturn": "Mark a bounce verdict wrong, making the address usable again "
                     "(staff: only for their own customers)",
    "reminders.view": "See the reminders due and skipped (staff: their own customers')",
    "reminders.send": "Send due reminders now (staff: to their own customers)",
    "reminders.templates": "Edit the invoice email and the reminder stages",
    "reports.accounting": "See accounting reports",
    "reports.customers": "See customer reports",
    "reports.activity": "See activity reports",
    "admin.users": "Manage staff accounts",
    "admin.audit": "Read the audit log",
    "admin.jobs": "See and retry background jobs",
    "admin.mailbox": "Read the development mailbox",
    "admin.bounces": "Review unmatched bounce mail",
    "admin.settings": "Change the office settings: office details, bank, sending, formats",
    "admin.fields": "Define the office's own customer fields, hide them and delete their data",
}

_READ = {
    "dashboard.view", "customers.view", "invoices.view", "followups.view",
    "documents.view",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "billing": frozenset(_READ | {
        "customers.view_all", "customers.create", "customers.edit_contact",
        "customers.edit_billing", "customers.notes", "customers.view_ids",
        "customers.export", "customers.merge", "attention.dismiss", "followups.edit",
        "documents.upload", "documents.delete", "capture.file",
        "invoices.edit", "invoices.send", "mail.overturn", "reminders.view", "reminders.send",
        "reports.accounting", "reports.customers", "reports.activity",
    }),
    "staff": frozenset(_READ | {
        "customers.create", "customers.edit_contact", "customers.notes",
        "invoices.edit", "invoices.send", "mail.overturn", "reports.activity",
        "attention.dismiss", "followups.edit", "reminders.view", "reminders.send",
        "documents.upload", "documents.delete", "capture.file",
    }),
    "viewer": frozenset(_READ | {
        "customers.view_all", "reports.accounting", "reports.customers",
        "reports.activity",
    }),
}

# What a new account gets unless an admin chooses otherwise: the role that can do least.
LEAST_ROLE = min(ROLE_PERMISSIONS, key=lambda role: len(ROLE_PERMISSIONS[role]))

PUBLIC = "public"


def role_can(role: str | None, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role or "", frozenset())
