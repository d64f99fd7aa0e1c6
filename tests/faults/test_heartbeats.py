"""A real `flask bounces serve` and real workers by heartbeat: alive, gone after a clean
stop, dead within seconds of a kill -9, and a dead worker's claimed messages handed back."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from app.admin import heartbeats
from app.dev.net import free_port, wait_for_port
from tests.faults.conftest import ROOT, _STARTED, start_worker

pytestmark = pytest.mark.slow


def _start_receiver(worker_env, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "bounces", "serve",
         "--port", str(port)], cwd=ROOT, env=worker_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    _STARTED.append(process)
    return process


def _receiver_state(client, until: str, within: float) -> str:
    deadline = time.monotonic() + within
    while True:
        state = client.get("/healthz").get_json()["receiver"]
        if state == until or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def test_a_real_receiver_is_alive_gone_after_a_clean_stop_and_dead_after_kill_9(
        app, client, worker_env, login_as):
    port = free_port()
    receiver = _start_receiver(worker_env, port)
    wait_for_port(port, timeout=30)
    assert _receiver_state(client, "alive", 10) == "alive"
    receiver.terminate()  # what a service manager does: a clean stop
    assert receiver.wait(15) == 0, receiver.stderr.read()
    assert client.get("/healthz").get_json()["receiver"] == "not configured"

    port = free_port()
    again = _start_receiver(worker_env, port)
    wait_for_port(port, timeout=30)
    assert _receiver_state(client, "alive", 10) == "alive"
    login_as("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert 'data-part="receiver" data-state="alive"' in page
    killed_at = time.monotonic()
    again.send_signal(signal.SIGKILL)
    again.wait()
    assert _receiver_state(client, "dead", 60) == "dead"
    assert time.monotonic() - killed_at <= heartbeats.BEAT_TTL + 2
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert 'data-part="receiver" data-state="dead"' in page


def test_a_killed_workers_claims_go_back_within_a_minute_not_after_the_timeout(
        app, client, worker_env):
    from app.extensions import db
    from app.mail import outbox
    from app.models import EmailMessage
    from app.queues import get_redis
    from tests.factories import make_customer, make_invoice
    from tests.support.smtp_server import ControlledSmtpServer

    assert app.config["MAIL_SENDING_TIMEOUT"] >= 300  # the old rule alone would wait 5 min
    server = ControlledSmtpServer().start()
    server.handler.delay = 0.05
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    try:
        invoice = make_invoice(make_customer())
        messages = outbox.add_messages(
            recipients=[outbox.Recipient(f"r{i}@example.org") for i in range(60)],
            subject="Invoice", body="Hi", invoice=invoice, attach_pdf=False)
        db.session.commit()
        ids = [m.id for m in messages]
        assert outbox.enqueue(ids)
        # A restarted Redis proves nobody dead until it has been up a full BEAT_TTL.
        while not heartbeats.silence_proves_death(get_redis()):
            time.sleep(0.5)

        first = start_worker(worker_env(MAIL_PORT=str(server.port)))
        deadline = time.monotonic() + 60
        claimed: dict[int, str] = {}
        while len(server.received) < 10 or not claimed:
            assert first.poll() is None, first.stderr.read()
            assert time.monotonic() < deadline, "the worker sent too little"
            db.session.expire_all()
            claimed = dict(db.session.execute(db.select(EmailMessage.id, EmailMessage.claimed_by)
                                              .where(EmailMessage.state == "sending")).all())
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        assert len(set(claimed.values())) == 1 and None not in claimed.values()

        # Seen dead on /healthz as soon as its beats stop (RQ's own record says "alive"
        # for minutes).
        while client.get("/healthz").get_json()["worker"] != "dead":
            assert time.monotonic() - killed_at < heartbeats.BEAT_TTL + 5
            time.sleep(0.5)

        second = start_worker(worker_env(MAIL_PORT=str(server.port)))
        in_doubt = set(claimed)
        while True:
            db.session.expire_all()
            still = set(db.session.scalars(db.select(EmailMessage.id).where(
                EmailMessage.id.in_(in_doubt), EmailMessage.state == "sending")))
            if not still:
                break
            assert second.poll() is None, second.stderr.read()
            assert time.monotonic() - killed_at < 60, f"{len(still)} still held by the dead"
            time.sleep(0.5)

        deadline = time.monotonic() + 150
        while True:
            db.session.expire_all()
            states = dict(db.session.execute(db.select(EmailMessage.id, EmailMessage.state)
                                             .where(EmailMessage.id.in_(ids))).all())
            if set(states.values()) == {"sent"}:
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.5)
        flagged = set(db.session.scalars(db.select(EmailMessage.id).where(
            EmailMessage.id.in_(ids), EmailMessage.possible_duplicate.is_(True))))
        assert flagged <= in_doubt and flagged  # what the dead worker had in flight
    finally:
        server.stop()
