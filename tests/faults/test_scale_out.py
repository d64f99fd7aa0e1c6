"""Two web processes and two workers on PostgreSQL and Redis: everything happens once."""
from __future__ import annotations

import base64
import http.cookiejar
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.dev.net import free_port, wait_for_port
from app.extensions import db
from app.mail.tracking import open_url
from app.models import EmailEvent, EmailMessage
from tests.factories import make_customer, make_invoice
from tests.faults.conftest import ROOT, start_worker, stop_processes

pytestmark = pytest.mark.slow


class Browser:
    """A cookie-keeping HTTP client for one web process."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def post(self, path: str, data: dict | bytes, headers: dict | None = None) -> int:
        body = data if isinstance(data, bytes) else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_two_webs_two_workers_send_and_count_once(app, smtp, worker_env, make_user, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")
    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    user = make_user("billing")
    invoices = [make_invoice(make_customer(emails=(f"c{i}@example.org",))) for i in range(12)]
    ports = [free_port(), free_port()]
    env = worker_env(SENDGRID_WEBHOOK_PUBLIC_KEY=public,
                     PUBLIC_BASE_URL=f"http://127.0.0.1:{ports[0]}")
    processes = [subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1",
                                   "--threads", "4", "--bind", f"127.0.0.1:{port}",
                                   "--control-socket", str(tmp_path / f"gunicorn-{port}.ctl"),
                                   "wsgi:app"],
                                  cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
                 for port in ports]
    processes += [start_worker(env), start_worker(env)]
    try:
        for port in ports:
            wait_for_port(port)
        browsers = [Browser(f"http://127.0.0.1:{port}") for port in ports]
        for browser in browsers:
            _, page = browser.get("/login")
            assert browser.post("/login", {"email": user.email, "password": "correct horse 1",
                                           "csrf_token": _csrf(page)}) == 200

        invoice_ids = [invoice.id for invoice in invoices]

        def send(index: int) -> list[int]:
            invoice_id = invoice_ids[index]
            first = browsers[index % 2]
            _, dialog = first.get(f"/invoices/{invoice_id}/email")
            nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', dialog).group(1)
            role = re.search(r'name="(role_\d+)"', dialog).group(1)
            form = {"csrf_token": _csrf(dialog), "nonce": nonce, role: "to",
                    "subject": "Invoice", "body": "Hello", "include_link": "y"}
            # The same dialog submitted to both web processes at once.
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(lambda b: b.post(
                    f"/invoices/{invoice_id}/email",
                    {**form, "csrf_token": _csrf(b.get(f"/invoices/{invoice_id}/email")[1])}),
                    browsers))

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(send, range(len(invoices))))
        assert all(status in (200, 303) for pair in results for status in pair), results

        deadline = time.monotonic() + 90
        while True:
            db.session.expire_all()
            states = db.session.scalars(db.select(EmailMessage.state)).all()
            if len(states) == 12 and set(states) == {"sent"}:
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.3)
        assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(
            f"c{i}@example.org" for i in range(12))  # each sent exactly once

        messages = db.session.scalars(db.select(EmailMessage)).all()
        pixels = [urllib.parse.urlsplit(open_url(m)).path for m in messages]
        with ThreadPoolExecutor(8) as pool:  # 3 opens per message, spread over both webs
            list(pool.map(lambda i: browsers[i % 2].get(
                pixels[i % 12], {"User-Agent": "Thunderbird/128"}), range(36)))
        events = [{"email": m.to_address, "timestamp": int(time.time()), "event": "click",
                   "url": "https://office.example/", "sg_event_id": uuid.uuid4().hex,
                   "useragent": "Thunderbird/128", "clientele_message_id": m.message_id}
                  for m in messages]
        body = json.dumps(events).encode()
        stamp = str(int(time.time()))
        signature = base64.b64encode(key.sign(stamp.encode() + body,
                                              ec.ECDSA(hashes.SHA256()))).decode()
        headers = {"Content-Type": "application/json",
                   "X-Twilio-Email-Event-Webhook-Signature": signature,
                   "X-Twilio-Email-Event-Webhook-Timestamp": stamp}
        assert [b.post("/webhooks/sendgrid", body, headers) for b in browsers * 2] == [200] * 4

        deadline = time.monotonic() + 60
        while True:
            db.session.expire_all()
            opens = db.session.scalar(db.select(db.func.count(EmailEvent.id)).where(
                EmailEvent.type == "opened"))
            if opens == 36:
                break
            assert time.monotonic() < deadline, opens
            time.sleep(0.3)
        clicks = db.session.scalar(db.select(db.func.count(EmailEvent.id)).where(
            EmailEvent.type == "clicked"))
        assert clicks == 12  # four deliveries of the same 12 webhook events
        assert {m.human_opens for m in db.session.scalars(db.select(EmailMessage))} == {3}
    finally:
        stop_processes(processes)
