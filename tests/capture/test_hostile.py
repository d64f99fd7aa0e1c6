"""Whatever reaches a drop-box is kept and never breaks the worker: every real bounce and
complaint of the parser's corpus (305 messages from dozens of mail systems), and the
hostile mail the bounce path is tested with, through the pipe, in bounded memory."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.capture import dropbox
from app.extensions import db
from app.models import CapturedMail, EmailEvent, InboundMessage
from tests.jobs.test_inbound_hostile import BOMBS, _processed_peak_mb
from tests.support.bounce_mail import sent_email

SAMPLES = sorted((Path(__file__).parent.parent / "events" / "samples").glob("*.eml"))


def test_every_real_report_forwarded_to_a_dropbox_is_captured_and_marks_nothing(
        app, make_user):
    from app.mail import inbound

    admin = make_user("admin")
    address = dropbox.address_of(admin)
    # A customer with mail out, as the addresses in the corpus might name.
    sent_email("user@example.com")
    db.session.commit()
    assert len(SAMPLES) > 250
    for path in SAMPLES:
        inbound_id = inbound.store(path.read_bytes(), via="pipe", envelope_to=address,
                                   enqueue=False)
        assert inbound.process(inbound_id) == "captured", path.name
    assert db.session.scalar(sa.select(sa.func.count(EmailEvent.id))) == 0
    states = set(db.session.scalars(sa.select(InboundMessage.state)))
    assert states == {"captured"}
    assert set(db.session.scalars(sa.select(InboundMessage.raw))) == {b""}
    # Each kept (identical copies in the corpus are one message for one person).
    kept = db.session.scalar(sa.select(sa.func.count(CapturedMail.id)))
    assert len(SAMPLES) - 10 <= kept <= len(SAMPLES)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_bomb_sent_to_a_dropbox_is_kept_for_review_in_bounded_memory(app, make_user, name):
    staff = make_user("staff")
    address = dropbox.address_of(staff)
    db.session.commit()
    raw = BOMBS[name]()
    result = app.test_cli_runner().invoke(args=["bounces", "ingest", "--envelope-to", address],
                                          input=raw)
    assert result.exit_code == 0 and "Traceback" not in result.output
    inbound_id = db.session.scalars(sa.select(InboundMessage.id)).one()
    size = len(raw)
    del raw
    started = time.monotonic()
    state, peak = _processed_peak_mb(inbound_id)
    assert time.monotonic() - started < 30  # the structure is capped as for bounces
    assert state == "captured"
    # The message is held whole (read, then encrypted): a few copies of it at most.
    assert peak < 12 * size / 1024 / 1024 + 50, f"{peak:.0f} MB for {size / 1e6:.1f} MB"
    mail = db.session.scalars(sa.select(CapturedMail)).one()
    assert mail.state == "review" and len(mail.raw) == size


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_bomb_kept_for_review_can_still_be_filed_by_hand(app, make_user, name):
    from app.capture import filing
    from tests.factories import make_customer

    staff = make_user("staff")
    mine = make_customer(owner=staff)
    address = dropbox.address_of(staff)
    db.session.commit()
    from app.mail import inbound

    inbound.process(inbound.store(BOMBS[name](), via="pipe", envelope_to=address,
                                  enqueue=False))
    mail = db.session.scalars(sa.select(CapturedMail)).one()
    assert filing.file_on(mail, mine, staff) is True
    db.session.commit()
    assert mail.state == "filed"
