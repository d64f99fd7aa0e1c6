"""The demo's filed email: read and filed through the inbound path, one waiting to file."""
from __future__ import annotations

import sqlalchemy as sa

from app.capture import access
from app.models import CapturedMail, Document, User


def test_the_demo_has_filed_email_with_documents_and_some_to_file(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    people = db.session.scalars(sa.select(User).where(User.role.in_(("admin", "staff")))).all()
    mails = db.session.scalars(sa.select(CapturedMail)).all()
    assert f"{3 * len(people)} filed emails" in result.output
    for person in people:
        own = [m for m in mails if m.filed_by_id == person.id]
        assert sorted(m.state for m in own) == ["filed", "filed", "review"]
        for mail in own:
            assert access.may_see(mail, person)
            if mail.state == "filed":
                customers = access.filed_on(mail)  # the demo's duplicate files share one
                assert customers and {c.owner_id for c in customers} == {person.id}
                documents = db.session.scalars(sa.select(Document).where(
                    Document.captured_id == mail.id)).all()
                assert sorted(d.customer_id for d in documents) == (
                    [c.id for c in customers] if mail.attachments else [])
                assert {d.kind for d in documents} <= {"pdf"}
