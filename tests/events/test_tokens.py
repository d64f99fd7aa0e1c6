import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.events.tokens import new_token, parse_verp, sign, verify, verp_address

SECRET = b"test-secret-0123456789"


def test_new_token_is_url_safe_and_carries_at_least_128_bits():
    token = new_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 >= 128


def test_new_tokens_do_not_repeat():
    assert len({new_token() for _ in range(2000)}) == 2000


@given(st.text())
def test_sign_then_verify_returns_the_payload(payload):
    assert verify(SECRET, sign(SECRET, payload)) == payload


def test_verify_rejects_another_secret():
    assert verify(b"other-secret", sign(SECRET, "invoice:42")) is None


def test_verify_rejects_an_edited_payload():
    token = sign(SECRET, "invoice:42")
    _, sig = token.split(".")
    forged_payload = base64.urlsafe_b64encode(b"invoice:43").rstrip(b"=").decode()
    assert verify(SECRET, f"{forged_payload}.{sig}") is None


def test_verify_rejects_a_truncated_signature():
    token = sign(SECRET, "invoice:42")
    assert verify(SECRET, token[:-2]) is None


def test_verify_rejects_non_canonical_base64():
    token = sign(SECRET, "a")  # "YQ" encodes b"a"; "YR" decodes to the same byte
    payload, sig = token.split(".")
    assert payload == "YQ"
    assert verify(SECRET, f"YR.{sig}") is None


@pytest.mark.parametrize("garbage", ["", ".", "..", "abc", "a.b.c", "!!!.???", "YQ.", ".YQ", "\x00.\x00", None, 42, b"YQ.YQ"])
def test_verify_returns_none_for_garbage(garbage):
    assert verify(SECRET, garbage) is None


@given(st.text())
def test_verify_never_raises_on_arbitrary_text(text):
    assert verify(SECRET, text) is None


def test_empty_secret_is_refused():
    with pytest.raises(ValueError):
        sign(b"", "x")
    with pytest.raises(ValueError):
        verify(b"", "x.y")


def test_verp_round_trip():
    token = new_token()
    address = verp_address(token, "Bounces.Example.com")
    assert address == f"bounces+{token}@bounces.example.com"
    assert parse_verp(address) == token
    assert parse_verp(f"<{address}>", "bounces.example.com") == token


def test_verp_carries_signed_tokens():
    token = sign(SECRET, "m:17")
    assert verify(SECRET, parse_verp(verp_address(token, "b.example.com"))) == "m:17"


def test_parse_verp_tolerates_a_changed_prefix_case_but_keeps_token_case():
    assert parse_verp("BOUNCES+AbC_d-9@b.example.com") == "AbC_d-9"


@pytest.mark.parametrize(
    "address",
    ["", "bounces@b.example.com", "bounces+@b.example.com", "other+abc@b.example.com",
     "bounces+abc", "bounces+ab c@b.example.com", "bounces+abc@", "bounces+a..b@b.example.com", None],
)
def test_parse_verp_rejects_other_addresses(address):
    assert parse_verp(address) is None


def test_parse_verp_checks_the_domain_when_given():
    assert parse_verp("bounces+abc@evil.example", "b.example.com") is None


@pytest.mark.parametrize("token", ["", "a b", "a@b", "a+b", ".a", "a."])
def test_verp_address_refuses_tokens_that_would_break_the_address(token):
    with pytest.raises(ValueError):
        verp_address(token, "b.example.com")
