"""Mail bombs: what the parser is given is capped, and the cut is reported, never raised."""
from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest

from app.events import bounces, mailparts
from app.events.bounces import classify

SAMPLES = Path(__file__).parent / "samples"
MB = 1024 * 1024


def _nested_multipart(levels: int) -> bytes:
    return b"From: x@y.example\n" + b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
        for i in range(levels)) + b"text\n"


def _nested_messages(levels: int) -> bytes:
    return b"From: x@y.example\n" + b"Content-Type: message/rfc822\n\n" * levels + b"x\n"


def _nested_digests(levels: int) -> bytes:
    # A digest's parts are message/rfc822 without saying so: two levels per header.
    return b"From: x@y.example\n" + b"".join(
        b"Content-Type: multipart/digest; boundary=d%d\n\n--d%d\n\n" % (i, i)
        for i in range(levels)) + b"x\n"


def _nested_folded(levels: int) -> bytes:
    return b"From: x@y.example\n" + b"".join(
        b'Content-Type:\n multipart/mixed;\n boundary="f%d"\n\n--f%d\n' % (i, i)
        for i in range(levels)) + b"x\n"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("bomb", [_nested_multipart, _nested_messages, _nested_digests,
                                  _nested_folded])
@pytest.mark.parametrize("levels", [5_000, 200_000])
def test_thousands_of_nested_levels_are_cut_and_reported(bomb, levels: int) -> None:
    raw = bomb(levels)
    result = bounces._classify(raw, None)  # not classify()'s catch-all: nothing raised
    assert result.kind == "unknown" and result.recipients == []
    assert "nested" in result.error
    assert classify(raw).as_json("f")["error"] == result.error


def test_a_bounce_is_still_read_through_a_flood_of_headers() -> None:
    raw = (SAMPLES / "postfix_dsn_user_unknown.eml").read_bytes()
    expected = classify(raw)
    flooded = b"".join(b"X-Junk-%d: %d\n" % (i, i) for i in range(50_000)) + raw
    result = classify(flooded)
    assert (result.kind, result.recipients) == (expected.kind, expected.recipients)
    assert "header lines" in result.error
    assert expected.error is None


def test_thousands_of_sibling_parts_are_cut() -> None:
    raw = b'Content-Type: multipart/mixed; boundary="s"\n\n' + \
        b"--s\nContent-Type: text/plain\n\nx\n" * 100_000 + b"--s--\n"
    result = bounces._classify(raw, None)
    assert result.kind == "unknown" and "MIME parts" in result.error


def test_a_real_sample_is_never_cut() -> None:
    for path in sorted(SAMPLES.glob("*.eml")):
        raw = path.read_bytes()
        assert mailparts.cap(raw) == (raw, None), path.name


def _peak_mb(raw: bytes) -> tuple[bounces.Classification, float]:
    tracemalloc.start()
    try:
        result = classify(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak / MB


def _junk(size: int) -> bytes:
    return random.Random(15).randbytes(size)


def _huge_part(size: int) -> bytes:
    return (b"From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; "
            b"report-type=delivery-status; boundary=B\n\n--B\nContent-Type: text/plain\n\n"
            + b"A" * size + b"\n--B--\n")


def _short_lines(size: int) -> bytes:
    return b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + \
        b"!!==\n" * (size // 5)


def _header_flood(size: int) -> bytes:
    return b"X: y\n" * (size // 5) + b"\nbody\n"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("make", [_junk, _huge_part, _short_lines, _header_flood,
                                  lambda size: _nested_messages(size // 30)])
def test_25_mb_of_hostile_input_costs_bounded_memory_and_says_why(make) -> None:
    raw = make(25 * MB)
    result, peak = _peak_mb(raw)
    # The input itself is 25 MB and lives outside the measure; what reading it costs:
    assert peak < 200, f"{peak:.0f} MB"
    assert result.recipients == []
    assert result.error  # "larger than 4 MB", nesting, header lines, ...


def test_binary_junk_says_it_has_no_headers() -> None:
    raw = b"\x00\x01\x02\xff\xfe" * 1000
    assert bounces._classify(raw, None).error == "no mail headers found"
