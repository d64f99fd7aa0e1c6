"""Hostile mail through every door (the CLI, the pipe, the worker, the SMTP receiver): an
error in a JSON line or a stored state, never a traceback, in bounded memory and time."""
from __future__ import annotations

import json
import logging
import random
import smtplib
import time
import tracemalloc

import pytest

from app.events import bounces
from app.extensions import db
from app.mail import inbound
from app.mail.inbound import MAX_MESSAGE_BYTES
from app.models import InboundMessage

MB = 1024 * 1024
CAP = MAX_MESSAGE_BYTES  # what the pipe and the SMTP receiver accept (app/mail/inbound.py)


def _nested(levels: int) -> bytes:
    return b"From: x@y.example\nSubject: bomb\n" + b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
        for i in range(levels)) + b"text\n"


def _nested_messages(size: int) -> bytes:
    head = b"From: x@y.example\nSubject: bomb\n"
    return head + b"Content-Type: message/rfc822\n\n" * ((size - len(head)) // 30)


def _junk(size: int) -> bytes:
    return b"Subject: junk\n\n" + random.Random(15).randbytes(size)


def _huge_part(size: int) -> bytes:
    return (b"From: x@y.example\nSubject: a scan\nContent-Type: "
            b"multipart/mixed; boundary=B\n\n--B\nContent-Type: application/octet-stream\n"
            b"Content-Transfer-Encoding: base64\n\n" + b"QUJD" * (size // 4) + b"\n--B--\n")


# Each as large as the receivers accept (the cap), no larger.
BOMBS = {"nested": lambda: _nested(5_000), "nested-at-cap": lambda: _nested_messages(CAP - MB),
         "junk-at-cap": lambda: _junk(CAP - 100), "huge-part-at-cap": lambda: _huge_part(CAP - MB)}


@pytest.mark.timeout(120)
def test_cli_classify_prints_an_error_line_per_bomb(app, tmp_path):
    paths = []
    for name, make in BOMBS.items():
        path = tmp_path / f"{name}.eml"
        path.write_bytes(make())
        paths.append(str(path))
    big = tmp_path / "bigger-than-anything.eml"  # read no further than the parser would
    with open(big, "wb") as handle:
        handle.truncate(200 * MB)  # sparse: 200 MB of NULs
    paths.append(str(big))
    result = app.test_cli_runner().invoke(args=["events", "classify", *paths])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["file"] for line in lines] == paths
    for line in lines:
        assert line["kind"] == "unknown" and line["recipients"] == []
        assert line["error"], line


def test_cli_classify_reports_an_unexpected_failure_in_one_line(app, tmp_path, monkeypatch,
                                                               caplog):
    def broken(raw, envelope):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(bounces, "_classify", broken)
    path = tmp_path / "x.eml"
    path.write_bytes(b"Subject: x\n\nx")
    with caplog.at_level(logging.WARNING):
        result = app.test_cli_runner().invoke(args=["events", "classify", str(path)])
    assert json.loads(result.output)["error"] == "could not read this message (RecursionError)"
    assert "Traceback" not in result.output and "Traceback" not in caplog.text


def _processed_peak_mb(inbound_id: int) -> tuple[str, float]:
    db.session.expire_all()
    tracemalloc.start()
    try:
        state = inbound.process_inbound_job(inbound_id)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return state, peak / MB


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", sorted(BOMBS))
def test_the_pipe_stores_a_bomb_and_the_job_marks_it_unparsed_in_bounded_memory(app, name):
    raw = BOMBS[name]()
    result = app.test_cli_runner().invoke(args=["bounces", "ingest"], input=raw)
    assert result.exit_code == 0 and "Traceback" not in result.output
    stored = db.session.scalars(db.select(InboundMessage)).one()
    assert len(stored.raw) == len(raw)
    inbound_id = stored.id
    del raw, stored
    started = time.monotonic()
    state, peak = _processed_peak_mb(inbound_id)
    assert time.monotonic() - started < 60
    assert state == "unparsed"
    # The stored message (up to the cap) is loaded whole; reading it must cost little more.
    assert peak < 200, f"{peak:.0f} MB"
    stored = db.session.get(InboundMessage, inbound_id)
    assert stored.error and stored.error in stored.summary


def test_the_worker_survives_a_bomb(app, run_worker):
    inbound_id = inbound.store(_nested(5_000), via="pipe")
    run_worker()  # a job that raised would fail here, with its traceback
    stored = db.session.get(InboundMessage, inbound_id)
    assert stored.state == "unparsed" and "nested" in stored.error


def test_the_pipe_refuses_more_than_the_cap_without_a_traceback(app):
    result = app.test_cli_runner().invoke(args=["bounces", "ingest"],
                                          input=b"Subject: x\n\n" + b"x" * CAP)
    assert result.exit_code != 0 and f"larger than {CAP // MB} MB" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 0


@pytest.mark.timeout(60)
def test_the_smtp_receiver_refuses_more_than_the_cap_and_overlong_lines(app):
    from app.dev.net import free_port
    from app.mail.receiver import start_receiver

    port = free_port()
    controller = start_receiver(app, "127.0.0.1", port)
    rcpt = ["bounces+x@bounces.clientele.localhost"]
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.ehlo()
            assert smtp.esmtp_features["size"] == str(CAP)
            with pytest.raises(smtplib.SMTPSenderRefused) as declared:
                smtp.sendmail("", rcpt, b"Subject: x\r\n\r\nx", mail_options=[f"SIZE={CAP + MB}"])
            assert declared.value.smtp_code == 552
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            # Sent without SIZE= (smtplib's sendmail would declare it): refused after DATA.
            assert smtp.ehlo()[0] == 250 and smtp.mail("")[0] == 250
            assert smtp.rcpt(rcpt[0])[0] == 250
            big = b"Subject: x\r\n\r\n" + (b"x" * 998 + b"\r\n") * ((CAP + MB) // 1000)
            assert smtp.data(big)[0] == 552
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            # RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF.
            with pytest.raises(smtplib.SMTPDataError) as long_line:
                smtp.sendmail("", rcpt, b"Subject: x\r\n\r\n" + b"y" * 5000 + b"\r\n")
            assert long_line.value.smtp_code == 500
    finally:
        controller.stop()
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 0
