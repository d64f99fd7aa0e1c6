"""Complaints whose complainant is redacted or named only in the returned copy."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.events.bounces import classify
from app.events.feedback import is_redacted

SAMPLES = Path(__file__).parent / "samples"


@pytest.mark.parametrize("address", [
    "redacted@isp.example", "REDACTED@isp.example", "user-redacted@isp.example",
    "xxxxxxxx@outlook.example", "***@mail.example", "9f2c4e6a1b3d5f7e9a0c2e4f6a8b0d1c@mail.example",
    "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA@mail.example",
])
def test_a_redacted_address_is_nobody(address: str) -> None:
    assert is_redacted(address)


@pytest.mark.parametrize("address", [
    "annoyed.customer@aol.com", "accounts.payable@example.org", "xavier@example.org",
    "face@example.org", "deadbeef@example.org", "accountspayable.northernregion@example.org",
])
def test_a_real_address_is_not_taken_for_a_redacted_one(address: str) -> None:
    assert not is_redacted(address)


def test_a_redacted_complainant_is_left_out_and_the_returned_envelope_sender_kept() -> None:
    result = classify((SAMPLES / "arf_redacted_removal_recipient.eml").read_bytes())
    assert result.is_complaint and result.recipients == []
    # The relay replaced our Message-ID; Original-Mail-From and Return-Path still name us.
    assert result.returned_verp_token == "rdct4x"
    assert result.verp_token is None  # the report was not sent to a VERP address


def test_the_returned_return_path_names_the_token_without_original_mail_from() -> None:
    raw = (SAMPLES / "arf_redacted_removal_recipient.eml").read_bytes()
    without = raw.replace(b"Original-Mail-From: <bounces+rdct4x@bounces.office.example>\n", b"")
    assert without != raw
    assert classify(without).returned_verp_token == "rdct4x"
    assert classify(without.replace(b"Return-Path: <bounces+rdct4x@", b"Return-Path: <x@")) \
        .returned_verp_token is None


def test_a_redacted_original_rcpt_to_falls_back_to_the_returned_headers() -> None:
    raw = (SAMPLES / "arf_aol_style.eml").read_bytes().replace(
        b"Original-Rcpt-To: annoyed.customer@aol.com", b"Original-Rcpt-To: redacted@aol.com")
    assert [r.address for r in classify(raw).recipients] == ["annoyed.customer@aol.com"]


def test_a_notice_says_whether_it_returned_our_email() -> None:
    assert classify((SAMPLES / "postfix_dsn_user_unknown.eml").read_bytes()).has_original
    bare = classify((SAMPLES / "postfix_no_original_returned.eml").read_bytes())
    assert bare.kind == "dsn" and bare.recipients and not bare.has_original
    assert bare.as_json("f")["has_original"] is False
