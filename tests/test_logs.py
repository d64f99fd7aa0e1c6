"""Logs: one JSON object per line, the job id on worker lines, and no secrets."""
from __future__ import annotations

import io
import json
import logging

import pytest

from app import create_app
from app.logs import clientele_handler, job_log_context, scrub
from app.queues import get_queue
from tests.jobs.helpers import fail_loudly, log_something, run_burst_worker


@pytest.mark.parametrize("line, secret", [
    ("login failed for a@b.c password=hunter2 from 1.2.3.4", "hunter2"),
    ('form {"password": "hunter2", "email": "a@b.c"}', "hunter2"),
    ("form {'csrf_token': 'IjQ2ZTk', 'next': '/'}", "IjQ2ZTk"),
    ("GET /password/reset?token=abc.DEF-123&x=1", "abc.DEF-123"),
    ("webhook signature=5d41402abc4b2a76 rejected", "5d41402abc4b2a76"),
    ("Authorization: Bearer eyJhbGciOi.x.y", "eyJhbGciOi"),
    ("api call with bearer sk_live_12345", "sk_live_12345"),
    ("MAIL FROM:<bounces+Zk3x_9Q-aa@bounces.example.com>", "Zk3x_9Q-aa"),
    ("[SQL: INSERT INTO users (email) VALUES (?)]\n[parameters: ('a@b.c', 'argon2$x')]",
     "argon2$x"),
    ("stored gAAAAABmZ3ZmYWtlLXRva2VuLWZvci10ZXN0aW5nLW9ubHktMTIzNDU2Nzg5MA== ok",
     "gAAAAABmZ3ZmYWtlLXRva2Vu"),
    ('"GET /t/o/AbC123xyz.Q-9_sig.gif HTTP/1.1" 200', "AbC123xyz.Q-9_sig"),
    ("GET /t/c/Zz9-token_sig?u=1", "Zz9-token_sig"),
    ("customer id number 123-45-6789 saved", "123-45-6789"),
    ("VAT DE123456789 checked", "DE123456789"),
    ("IBAN DE89 3704 0044 0532 0130 00 on file", "3704 0044"),
    ("card 4111 1111 1111 1111 declined", "4111 1111"),
    ("national number 756.1234.5678.97 stored", "756.1234.5678.97"),
    ("tax number 12345678901", "12345678901"),
])
def test_scrub_masks_secrets_and_identification_numbers(line, secret):
    assert secret not in scrub(line)


@pytest.mark.parametrize("line", [
    "sent message 42 for invoice 2024-0017 at 2024-05-06 07:08:09",
    "job 3f2a1c4e-1234-5678-9abc-def012345678 took 1.25 s",
    "GET /customers/123?page=2 200",
    "queue mail: 12 waiting",
])
def test_scrub_leaves_ordinary_lines_alone(line):
    assert scrub(line) == line


@pytest.fixture
def json_logs(app_config):
    """An app with LOG_FORMAT=json whose log lines land in a buffer."""
    json_app = create_app({**app_config, "LOG_FORMAT": "json"})
    handler = clientele_handler()
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    try:
        with json_app.app_context():
            yield json_app, buffer
    finally:
        handler.setStream(old_stream)
        create_app(app_config)  # back to the text format for the other tests


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_worker_log_lines_carry_the_job_id_and_no_secrets(app, json_logs):
    json_app, buffer = json_logs
    job = get_queue("default", json_app).enqueue(log_something, "hunter2-secret")
    run_burst_worker(json_app)
    assert job.return_value(refresh=True) == "logged"
    [entry] = [e for e in _lines(buffer) if e["logger"] == "tests.jobs"]
    assert entry["job_id"] == job.id and entry["queue"] == "default"
    assert entry["level"] == "warning" and entry["time"].endswith("+00:00")
    assert "hunter2" not in buffer.getvalue() and "123-45-6789" not in buffer.getvalue()
    assert "password=[redacted]" in entry["message"]


def test_a_failing_job_logs_its_traceback_with_the_job_id(app, json_logs):
    json_app, buffer = json_logs
    job = get_queue("mail", json_app).enqueue(fail_loudly, 7)
    run_burst_worker(json_app)
    failures = [e for e in _lines(buffer) if "exception" in e or e["level"] == "error"]
    assert failures, buffer.getvalue()
    assert all(e.get("job_id") == job.id for e in failures)
    assert "the printer is on fire" in json.dumps(failures)


def test_lines_outside_a_job_have_no_job_id(app, json_logs):
    _, buffer = json_logs
    logging.getLogger("tests.plain").warning("hello")
    with job_log_context("job-1", "events"):
        logging.getLogger("tests.plain").warning("inside")
    plain, inside = _lines(buffer)
    assert "job_id" not in plain and plain["message"] == "hello"
    assert inside["job_id"] == "job-1" and inside["queue"] == "events"


def test_text_format_shows_the_job_id_too(app, capsys):
    handler = clientele_handler()
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        with job_log_context("job-9", "mail"):
            logging.getLogger("tests.plain").warning("token=abc123 used")
    finally:
        handler.setStream(old)
    line = buffer.getvalue()
    assert "[job job-9]" in line and "abc123" not in line
