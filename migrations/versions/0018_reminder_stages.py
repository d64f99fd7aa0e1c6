"""reminder stages: the office's reminder ladder (days from the due date, subject, body,
on/off), which stage each invoice was sent (unique per invoice and stage: the dedupe the
daily run and "Send now" share), and each reminder email's stage. The stages start from
what the office had: the `reminders.days` setting or REMINDER_DAYS (on); an office that
had neither gets the usual ladder, switched off.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 06:20:00

"""
import json
import os

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

import app.models.base

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

BEFORE = ("Invoice {invoice_number} is due on {due_date}",
          "Dear {customer_name},\n\na friendly note that invoice {invoice_number} for "
          "{amount_due} is due on {due_date}. If you have already paid, thank you.\n\n"
          "{signature}")
AFTER = ("Reminder: invoice {invoice_number} is {days_overdue} days overdue",
         "Dear {customer_name},\n\nour records show that invoice {invoice_number} for "
         "{amount_due} was due on {due_date} and is still open. If you have already paid, "
         "thank you, and please ignore this reminder.\n\n{signature}")
USUAL = (-3, 7, 14, 30)


def _environment() -> str:
    """REMINDER_DAYS as the app read it (env or instance config), else the environment."""
    if has_app_context():
        return str(current_app.config.get("REMINDER_DAYS") or "")
    return os.environ.get("REMINDER_DAYS", "")


def _days_before(bind) -> list[int] | None:
    stored = bind.execute(sa.text("SELECT value FROM settings WHERE key = 'reminders.days'"))\
        .scalar()
    raw = json.loads(stored) if stored else _environment()
    parts = raw if isinstance(raw, list) else str(raw).split(",")
    days = sorted({int(p) for p in map(str, parts) if p.strip().isdigit() and int(p) > 0})
    return days or None


def upgrade():
    stages = op.create_table('reminder_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_stages'))
    )
    op.create_table('reminder_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_reminder_sends_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['email_messages.id'], name=op.f('fk_reminder_sends_message_id_email_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_reminder_sends_sent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stage_id'], ['reminder_stages.id'], name=op.f('fk_reminder_sends_stage_id_reminder_stages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sends')),
    sa.UniqueConstraint('invoice_id', 'stage_id', name='uq_reminder_sends_invoice_stage')
    )
    op.create_index(op.f('ix_reminder_sends_stage_id'), 'reminder_sends', ['stage_id'], unique=False)
    # No batch rebuild: a plain added column keeps SQLite's triggers (see 0014's note).
    op.add_column('email_messages', sa.Column('reminder_stage_id', sa.Integer(), nullable=True))

    bind = op.get_bind()
    had = _days_before(bind)
    now = app.models.base.utcnow()
    rows = [{"offset_days": d, "enabled": had is not None,
             "subject": (BEFORE if d < 0 else AFTER)[0], "body": (BEFORE if d < 0 else AFTER)[1],
             "created_at": now, "updated_at": now} for d in (had or USUAL)]
    op.bulk_insert(stages, rows)
    bind.execute(sa.text("DELETE FROM settings WHERE key = 'reminders.days'"))


def downgrade():
    op.drop_column('email_messages', 'reminder_stage_id')
    op.drop_index(op.f('ix_reminder_sends_stage_id'), table_name='reminder_sends')
    op.drop_table('reminder_sends')
    op.drop_table('reminder_stages')
