"""The office's reminder stages and its invoice email template: reading, checking and
saving them (audited). Placeholders are checked here, so no template with an unknown one
is ever stored."""
from __future__ import annotations

from sqlalchemy import select

from app import audit, settings
from app.extensions import db
from app.mail import outbox
from app.mail.placeholders import PREVIEW_LINK, fill, problem, values_for
from app.models import Invoice, ReminderStage

# Words of a new stage (the same as migration 0018's).
BEFORE = ("Invoice {invoice_number} is due on {due_date}",
          "Dear {customer_name},\n\na friendly note that invoice {invoice_number} for "
          "{amount_due} is due on {due_date}. If you have already paid, thank you.\n\n"
          "{signature}")
AFTER = ("Reminder: invoice {invoice_number} is {days_overdue} days overdue",
         "Dear {customer_name},\n\nour records show that invoice {invoice_number} for "
         "{amount_due} was due on {due_date} and is still open. If you have already paid, "
         "thank you, and please ignore this reminder.\n\n{signature}")
USUAL = (-3, 7, 14, 30)  # days from the due date
MAX_DAYS = 365
MAX_STAGES = 12


def all_stages() -> list[ReminderStage]:
    return list(db.session.scalars(select(ReminderStage)
                                   .order_by(ReminderStage.offset_days, ReminderStage.id)))


def template_problems(subject: str, body: str) -> dict[str, str]:
    """Field → words, for a subject or body that is empty, too long or has a placeholder
    not on the list."""
    problems = {}
    for field, text, limit, label in (("subject", subject, 300, "Subject"),
                                      ("body", body, 20000, "Message")):
        if not (text or "").strip():
            problems[field] = f"{label}: write something."
        elif len(text) > limit:
            problems[field] = f"{label}: at most {limit} characters."
        elif (words := problem(text, label)) is not None:
            problems[field] = words
    return problems


def new_stage(offset_days: int) -> ReminderStage:
    subject, body = BEFORE if offset_days < 0 else AFTER
    return ReminderStage(offset_days=offset_days, subject=subject, body=body, enabled=False)


def seed_usual_stages() -> int:
    """The demo's reminders: the usual ladder (made by migration 0018, switched off, or made
    here when there is none), all switched on unless the office already chose some."""
    stages = all_stages()
    if not stages:
        stages = [new_stage(offset) for offset in USUAL]
        db.session.add_all(stages)
    if any(s.enabled for s in stages):
        return 0
    for stage in stages:
        stage.enabled = True
    db.session.flush()
    return len(stages)


def save_stage(stage: ReminderStage, *, offset_days: int, subject: str, body: str,
               enabled: bool, user=None, ip: str | None = None) -> dict[str, str]:
    """Store the stage (new or changed) and audit it; the problems instead, storing
    nothing. The stage keeps its id, so invoices it was sent to are not sent it again."""
    problems = template_problems(subject, body)
    if not -MAX_DAYS <= offset_days <= MAX_DAYS:
        problems["offset_days"] = f"Days: between 0 and {MAX_DAYS}."
    elif any(s.offset_days == offset_days and s.id != stage.id for s in all_stages()):
        problems["offset_days"] = "Another stage already falls on that day."
    if stage.id is None and len(all_stages()) >= MAX_STAGES:
        problems["offset_days"] = f"At most {MAX_STAGES} stages."
    if problems:
        return problems
    before = _described(stage) if stage.id is not None else None
    stage.offset_days, stage.subject, stage.body = offset_days, subject.strip(), body
    stage.enabled = enabled
    db.session.add(stage)
    db.session.flush()
    audit.record("reminders.stage_saved", user=user, ip=ip, subject_type="reminder_stage",
                 subject_id=stage.id, details={"before": before, "after": _described(stage)})
    db.session.commit()
    return {}


def _described(stage: ReminderStage) -> dict:
    return {"when": stage.label, "on": stage.enabled, "subject": stage.subject}


def save_invoice_template(subject: str, body: str, *, user=None,
                          ip: str | None = None) -> dict[str, str]:
    """Store the invoice email's words (audited as a settings change); or the problems."""
    problems = template_problems(subject, body)
    if problems:
        return problems
    settings.update({"templates.invoice_subject": subject, "templates.invoice_body": body},
                    user=user, ip=ip)
    return {}


def sample_invoices(limit: int = 20) -> list[Invoice]:
    """Real invoices to preview a template with: the latest issued ones."""
    return list(db.session.scalars(select(Invoice).where(Invoice.status != "draft")
                                   .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
                                   .limit(limit)))


def preview(subject: str, body: str, invoice: Invoice | None, today) -> tuple[str, str]:
    """The template as `invoice`'s customer would read it (placeholders left as written
    when there is no invoice yet); the view link is a stand-in, each email gets its own."""
    if invoice is None:
        return subject, body
    values = values_for(invoice, office_name=settings.get("office.name"), today=today,
                        locale=settings.get("locale.code"), view_link=PREVIEW_LINK)
    return fill(subject, values), fill(body, values)


def send_test(user, subject: str, body: str) -> None:
    """The previewed email to `user` as system mail (untracked, in no report)."""
    messages = outbox.add_system_messages(
        recipients=[outbox.Recipient(user.email, user.name)],
        subject=f"[Test] {subject}"[:300], body=body)
    db.session.commit()
    outbox.enqueue([m.id for m in messages])
