"""An address with a non-ASCII local part (müller@…) in a group, with real worker
processes, the sweep and a real SMTP server: it never makes the others be sent again."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser, Parser

import pytest

from app.extensions import db
from app.mail import outbox
from app.mail.smtp import NO_SMTPUTF8
from app.models import EmailMessage
from tests.factories import make_customer, make_invoice
from tests.faults.conftest import start_worker
from tests.support.smtp_server import ControlledSmtpServer

pytestmark = pytest.mark.slow

RECIPIENTS = [outbox.Recipient("ann@example.org", "Ann"),
              outbox.Recipient("müller@example.org", "Jörg Müller", role="bcc"),
              outbox.Recipient("bob@example.org", "Bob", role="cc"),
              outbox.Recipient("zoe@bücher.example", "Zoë", role="cc")]


def _relay(app, smtputf8: bool):
    server = ControlledSmtpServer(smtputf8=smtputf8).start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_MAX_ATTEMPTS=3)
    return server


@pytest.fixture
def plain_relay(app):
    server = _relay(app, smtputf8=False)
    yield server
    server.stop()


@pytest.fixture
def international_relay(app):
    server = _relay(app, smtputf8=True)
    yield server
    server.stop()


def _send_group_with_crashes_and_sweeps(app, worker_env, rounds: int = 4) -> list[int]:
    """Queue one group; then, round after round, a worker runs (and may crash) and the
    sweep takes back whatever it left "sending", as it would every 30 s in production."""
    invoice = make_invoice(make_customer(emails=("ann@example.org",)))
    messages = outbox.add_messages(recipients=RECIPIENTS, subject="Invoice", body="Hello",
                                   invoice=invoice, attach_pdf=False)
    db.session.commit()
    ids = [m.id for m in messages]
    assert outbox.enqueue(ids)
    env = worker_env(MAIL_MAX_ATTEMPTS="3")
    for _ in range(rounds):
        worker = start_worker(env, "--burst")
        worker.wait(60)
        app.config.update(MAIL_SENDING_TIMEOUT=0, MAIL_PICKUP_TIMEOUT=0)
        outbox.sweep()
    return ids


def _by_address(ids) -> dict[str, EmailMessage]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(EmailMessage).where(EmailMessage.id.in_(ids)))
    return {m.to_address: m for m in rows}


def _copies(server, address: str) -> int:
    return sum(address in r.rcpt_tos for r in server.received)


def test_without_smtputf8_only_that_message_is_rejected_and_the_rest_go_once(
        app, plain_relay, worker_env):
    ids = _send_group_with_crashes_and_sweeps(app, worker_env)
    messages = _by_address(ids)
    # Everyone else got exactly one copy, however often the worker and sweep ran.
    assert _copies(plain_relay, "ann@example.org") == 1
    assert _copies(plain_relay, "bob@example.org") == 1
    # A domain in another script needs no SMTPUTF8: it is written in ASCII (IDNA).
    assert _copies(plain_relay, "zoe@xn--bcher-kva.example") == 1
    assert len(plain_relay.received) == 3
    international = messages["müller@example.org"]
    assert (international.state, international.status) == ("rejected", "rejected")
    assert international.smtp_response == NO_SMTPUTF8
    assert not international.gave_up  # refused at once, not worn down by retries
    for message in messages.values():
        assert message.attempts <= 3
        assert message.state in ("sent", "rejected")
    # Our own refusal says nothing about the address: the customer's file is untouched.
    from app.models import CustomerEmail

    assert not db.session.scalar(db.select(db.func.count(CustomerEmail.id))
                                 .where(CustomerEmail.suppressed.is_(True)))
    # The copies others got name the international Cc in ASCII (RFC 6857 group form).
    for received in plain_relay.received:
        assert received.data.isascii()
        assert "SMTPUTF8" not in received.mail_options


def test_with_smtputf8_every_recipient_gets_exactly_one_copy(app, international_relay,
                                                             worker_env):
    ids = _send_group_with_crashes_and_sweeps(app, worker_env, rounds=2)
    messages = _by_address(ids)
    assert {m.state for m in messages.values()} == {"sent"}
    for address in ("ann@example.org", "bob@example.org", "müller@example.org"):
        assert _copies(international_relay, address) == 1, address
    (received,) = [r for r in international_relay.received
                   if "müller@example.org" in r.rcpt_tos]
    assert "SMTPUTF8" in received.mail_options
    # The Bcc copy names no recipient; the visible Cc reads back as the addresses.
    parsed = BytesParser(policy=policy.default).parsebytes(received.data)
    assert parsed["To"] is None
    assert "bob@example.org" in str(parsed["Cc"])
    (to_ann,) = [r for r in international_relay.received if "ann@example.org" in r.rcpt_tos]
    assert "SMTPUTF8" not in to_ann.mail_options  # plain mail stays plain


def test_an_international_recipient_in_to_reads_back_in_utf8(app, international_relay,
                                                             worker_env):
    invoice = make_invoice(make_customer(emails=("müller@example.org",)))
    (message,) = outbox.add_messages(
        recipients=[outbox.Recipient("müller@example.org", "Jörg Müller")],
        subject="Rechnung", body="Hallo", invoice=invoice, attach_pdf=False)
    db.session.commit()
    assert outbox.enqueue([message.id])
    assert start_worker(worker_env(), "--burst").wait(60) == 0
    (received,) = international_relay.received
    # RFC 6532: the headers are UTF-8, as a mail program reading SMTPUTF8 mail takes them.
    parsed = Parser(policy=policy.default).parsestr(received.data.decode("utf-8"))
    (to,) = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Jörg Müller", "müller@example.org")
    assert received.rcpt_tos == ["müller@example.org"]
