"""Clientele's main pages for each role, on the demo data plus one awkward customer.

The accessibility and overflow checks walk this list; a page added to the app belongs here.
"""
from __future__ import annotations

import io
import re
from email.message import EmailMessage as MailMessage
from dataclasses import dataclass
from datetime import timedelta

from app import clock
from app.admin import accounts, password_links
from app.cli.demo import DEMO_USERS
from app.demo.seed import seed_demo
from app.capture import dropbox
from app.documents.store import store
from app.extensions import db
from app.followups import tasks
from app.mail import inbound
from app.models import CapturedMail, EmailMessage, User
from app.permissions import ROLE_PERMISSIONS, role_can
from tests.factories import add_events, at, make_customer, make_invoice, make_message, make_note

ROLES = tuple(ROLE_PERMISSIONS)  # admin, billing, staff, viewer
PASSWORDS = {role: password for _email, _name, role, password in DEMO_USERS}
EMAILS = {role: email for email, _name, role, _password in DEMO_USERS}

# A value with no place to break: today it widens a phone page to 1,096 px.
UNBROKEN = "Zweckverband" + "Wasserversorgung" * 5 + "Nordwest"  # 100 characters


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # with {customer}, {document}, {draft}, {invoice}, {message}, {user}, {view_key},
    #            {captured} (mail the staff member filed on {customer}),
    #            {invitation} (the token of a pending invitation's link)
    permission: str | None  # None: anyone logged in

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)


PAGES = (
    Page("home", "/", "dashboard.view"),
    Page("statuses", "/help/statuses", "dashboard.view"),
    Page("password", "/account/password", None),
    Page("customers", "/customers/", "customers.view"),
    Page("customer-new", "/customers/new", "customers.create"),
    Page("customer-file", "/customers/{customer}", "customers.view"),
    Page("customer-history", "/customers/{customer}/timeline", "customers.view"),
    Page("customer-import", "/customers/import", "customers.import"),
    Page("customer-erase", "/customers/{customer}/erase", "customers.erase"),
    Page("document-delete", "/documents/{document}/delete", "documents.delete"),
    Page("customer-billing-edit", "/customers/{customer}/billing/edit",
         "customers.edit_billing"),
    Page("customer-fields-edit", "/customers/{customer}/own_fields/edit",
         "customers.edit_contact"),
    Page("capture", "/capture/", "capture.file"),
    Page("capture-message", "/capture/{captured}", "customers.view"),
    Page("capture-rotate", "/capture/address/new", "capture.file"),
    Page("followups", "/followups/", "followups.view"),
    Page("followups-suggested", "/followups/?show=suggested", "followups.view"),
    Page("customer-followups", "/followups/customers/{customer}", "followups.view"),
    Page("followup-edit", "/followups/{followup}/edit", "followups.edit"),
    Page("customer-duplicates", "/customers/duplicates", "customers.merge"),
    Page("invoices", "/invoices/", "invoices.view"),
    Page("invoice-new", "/invoices/new", "invoices.edit"),
    Page("invoice-draft", "/invoices/{draft}", "invoices.view"),
    Page("invoice-edit", "/invoices/{draft}/edit", "invoices.edit"),
    Page("invoice", "/invoices/{invoice}", "invoices.view"),
    Page("invoice-email-history", "/invoices/{invoice}/emails/history", "invoices.view"),
    Page("invoice-email", "/invoices/{invoice}/email", "invoices.send"),
    Page("report-emails", "/reports/accounting", "reports.accounting"),
    Page("report-email-history", "/reports/accounting/emails/{message}/history",
         "reports.accounting"),
    Page("report-receivables", "/reports/accounting/receivables", "reports.accounting"),
    Page("report-revenue", "/reports/accounting/revenue", "reports.accounting"),
    Page("report-customers", "/reports/customers", "reports.customers"),
    Page("report-activity", "/reports/activity", "reports.activity"),
    Page("admin-users", "/admin/users", "admin.users"),
    Page("admin-user-new", "/admin/users/new", "admin.users"),
    Page("admin-user-edit", "/admin/users/{user}", "admin.users"),
    Page("admin-audit", "/admin/audit", "admin.audit"),
    Page("admin-jobs", "/admin/jobs", "admin.jobs"),
    Page("admin-bounces", "/admin/bounces", "admin.bounces"),
    Page("reminders", "/reminders", "reminders.view"),
    Page("reminders-send-all", "/reminders/send?all=1", "reminders.send"),
    Page("settings-emails", "/admin/settings/emails", "reminders.templates"),
    Page("settings-reminders", "/admin/settings/reminders", "reminders.templates"),
    Page("settings-reminder-stage", "/admin/settings/reminders/new", "reminders.templates"),
    Page("admin-settings", "/admin/settings/", "admin.settings"),
    Page("admin-fields", "/admin/fields/", "admin.fields"),
)

# Pages seen without logging in.
PUBLIC_PAGES = (
    Page("login", "/login", None),
    Page("password-forgot", "/password/forgot", None),
    Page("password-set", "/password/set/{invitation}", None),
    Page("client-invoice", "/i/{view_key}", None),
)


def pages_for(role: str) -> list[Page]:
    return [p for p in PAGES if p.permission is None or role_can(role, p.permission)]


def seed_site() -> dict:
    """The demo office, and a customer of the staff member's with long values and mail.

    Returns the ids the page paths need.
    """
    seed_demo(DEMO_USERS)
    db.session.commit()
    users = {u.role: u for u in db.session.scalars(db.select(User))}
    staff, billing = users["staff"], users["billing"]
    customer = make_customer(kind="company", company=UNBROKEN, owner=staff,
                             emails=(f"accounts.payable.{UNBROKEN.lower()}@example.org",
                                     "second@example.org"),
                             phones=("020 7946 0018",), tags=("vip",))
    make_note(customer, body="Asked for the invoices at "
              f"https://example.org/{UNBROKEN}/{UNBROKEN}?ref=clientele")
    followup = tasks.add(customer, tasks.Draft(
        title=f"Ask {UNBROKEN} for the PO", notes=UNBROKEN,
        due_on=clock.today() - timedelta(days=1), assignee_id=staff.id), staff)
    draft = make_invoice(customer, status="draft", total="1234567.89")
    invoice = make_invoice(customer, status="partially_paid", total="98765.43", notes=UNBROKEN)
    # Billed in a second currency, with reminders off for a long reason: the file's
    # figures take a line per currency.
    make_invoice(customer, status="finalized", total="4321.00", currency="GBP")
    customer.reminders_off, customer.reminders_off_reason = True, "Disputed: " + UNBROKEN
    opened = make_message(invoice, user=billing, to=customer.emails[0].address,
                          created=at("2026-11-02"))
    add_events(opened, ("sent", at("2026-11-02")), ("opened", at("2026-11-03")))
    delayed = make_message(invoice, user=billing, to="second@example.org",
                           created=at("2026-11-02", "10:01"))
    add_events(delayed, ("sent", at("2026-11-02", "10:01")),
               ("delayed", at("2026-11-02", "11:00"),
                {"code": "4.2.2", "diagnostic": "452 4.2.2 Mailbox full; " + UNBROKEN}))
    rejected = make_message(invoice, user=staff, to=f"{UNBROKEN.lower()}@example.net",
                            created=at("2026-11-02", "10:02"))
    add_events(rejected, ("sent", at("2026-11-02", "10:02")),
               ("rejected", at("2026-11-02", "10:03"),
                {"code": "5.1.1", "diagnostic": "550 5.1.1 User unknown"}))
    # Documents: one with a name that does not break, and an identity scan some roles
    # only see counted.
    scan = b"%PDF-1.4\n" + b"0" * 3000
    document = store(customer.id, io.BytesIO(scan), f"{UNBROKEN}.pdf", identity=False,
                     user=billing, max_bytes=len(scan))
    store(customer.id, io.BytesIO(scan), "passport.pdf", identity=True, user=billing,
          max_bytes=len(scan))
    # Mail the staff member filed: a long subject, addresses that do not break, an
    # attachment; and one about nobody, waiting in their list to file.
    captured = _capture(staff, [f"accounts.payable.{UNBROKEN.lower()}@example.org"],
                        f"Re: {UNBROKEN} purchase order and the delivery schedule for 2027",
                        f"Dear all,\n\nthe PO is attached.\n\n{UNBROKEN}\n", "<site-1@x>")
    _capture(staff, ["someone.new@example.net"], "Introduction from a new contact",
             "Hello, we met at the fair.", "<site-2@x>")
    invited = accounts.add_user("ivy.invited@example.com", "Ivy Invited", "staff")
    (invitation,) = accounts.invite(invited, users["admin"])
    db.session.commit()
    assert db.session.get(EmailMessage, opened.id).status == "opened"
    link = password_links.fill_links(db.session.get(EmailMessage, invitation).body_text)
    return {"customer": customer.id, "draft": draft.id, "invoice": invoice.id,
            "message": delayed.id, "user": staff.id, "document": document.id,
            "view_key": invoice.view_key,
            "invitation": re.search(password_links.LINK_PATH + r"(\S+)", link).group(1),
            "followup": followup.id, "captured": captured}


def _capture(user: User, to: list[str], subject: str, body: str, message_id: str) -> int:
    """Mail BCC'd to `user`'s drop-box, through the inbound path as the worker runs it."""
    message = MailMessage()
    message["From"], message["To"], message["Subject"] = user.email, ", ".join(to), subject
    message["Message-ID"], message["Date"] = message_id, "Wed, 02 Dec 2026 10:00:00 +0000"
    message.set_content(body)
    message.add_attachment(b"%PDF-1.4\n" + b"0" * 2000, maintype="application",
                           subtype="pdf", filename="Purchase order 2027.pdf")
    inbound_id = inbound.store(bytes(message), via="pipe", enqueue=False,
                               envelope_to=dropbox.address_of(user))
    inbound.process(inbound_id)
    return db.session.scalar(db.select(db.func.max(CapturedMail.id)))
