"""email_messages.human_opens counts views of the invoice online too, and is at least 1
when a person only clicked (app.events.status.open_count): recount the emails already
here, so the report never shows "Opens 0" beside "Opened". Data only, no schema change.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _people(types: str) -> str:
    return (f"(SELECT count(*) FROM email_events e WHERE e.message_id = email_messages.id "
            f"AND e.automated = :no AND e.type IN ({types}))")


OPENS = _people("'opened', 'viewed'")
CLICKS = _people("'clicked'")


def upgrade():
    bind = op.get_bind()
    bind.execute(sa.text(
        f"UPDATE email_messages SET human_opens = {OPENS} WHERE id IN (SELECT message_id "
        "FROM email_events WHERE automated = :no AND type IN ('opened', 'viewed', 'clicked'))"),
        {"no": False})
    bind.execute(sa.text(f"UPDATE email_messages SET human_opens = 1 WHERE human_opens = 0 "
                         f"AND {CLICKS} > 0"), {"no": False})


def downgrade():
    op.get_bind().execute(sa.text(
        "UPDATE email_messages SET human_opens = " + _people("'opened'")), {"no": False})
