"""What a captured message says, read as mail programs really write it."""
from __future__ import annotations

from datetime import datetime, timezone

from app.capture import reading


def _read(head: str, body: str = "hello") -> reading.Reading:
    return reading.read((head.replace("\n", "\r\n") + "\r\n\r\n" + body).encode("utf-8"))


def test_raw_utf8_header_fields_are_read_as_utf8():
    read = _read("From: José Núñez <jose@client.example>\nTo: ana@client.example\n"
                 "Subject: Café menu\nMessage-ID: <u8@x>")
    assert read.subject == "Café menu"
    assert read.people["from"] == [["José Núñez", "jose@client.example"]]


def test_windows_1252_header_bytes_are_read_too():
    raw = (b"From: Ren\xe9 Dupont <rene@client.example>\r\nSubject: Caf\xe9\r\n\r\nx")
    read = reading.read(raw)
    assert read.subject == "Café" and read.people["from"][0][0] == "René Dupont"


def test_encoded_words_are_decoded_in_subjects_and_names():
    read = _read("From: =?iso-8859-1?q?Ren=E9?= <rene@client.example>\n"
                 "Subject: =?utf-8?b?UmU6IFJlY2hudW5nIMO8YmVyIDEwMCDigqw=?=")
    assert read.subject == "Re: Rechnung über 100 €"
    assert read.people["from"] == [["René", "rene@client.example"]]


def test_a_display_name_cannot_smuggle_in_an_address():
    read = _read("From: =?utf-8?q?Eve_=3Cbob=40client.example=3E?= <eve@stranger.example>\n"
                 'To: "Lopez, Ana" <ana@client.example>')
    assert read.people["from"] == [["Eve <bob@client.example>", "eve@stranger.example"]]
    assert read.people["to"] == [["Lopez, Ana", "ana@client.example"]]
    assert "bob@client.example" not in read.addresses


def test_group_syntax_and_a_missing_from_are_no_one():
    read = _read("To: undisclosed-recipients:;\nSubject: x")
    assert read.people == {"from": [], "to": [], "cc": []} and read.addresses == []


def test_a_date_no_mail_was_sent_in_is_no_date():
    assert _read("Date: Fri, 31 Dec 9999 23:59:59 -1200").sent_at is None
    assert _read("Date: not a date at all").sent_at is None
    assert _read("Date: Sat, 05 Dec 2026 09:12:00 +0100").sent_at == datetime(
        2026, 12, 5, 8, 12, tzinfo=timezone.utc)


def test_forwarded_and_quoted_header_blocks_name_their_people():
    body = ("See below.\n\n-----Original Message-----\n*From:* Ana Lopez <ana@client.example>\n"
            "*Sent:* Friday\n*To:* sam@office.example\n\n"
            "Am 3. Dezember 2026 schrieb Bob Braun <bob@client.example>:\n> Hallo\n"
            "Please also ask carol@client.example about it.")
    read = _read("From: sam@office.example\nSubject: Fwd: x", body)
    assert "ana@client.example" in read.addresses and "bob@client.example" in read.addresses
    assert "carol@client.example" not in read.addresses  # a sentence, not a header
