"""The EPC payment QR code ("GiroCode", EPC069-12): a SEPA credit transfer a bank app
fills in from a scan — beneficiary, IBAN, BIC, amount in euros and the invoice number as
the reference. Pure: the payload is text built from plain values (tests read it back).
"""
from __future__ import annotations

import io
import re
from decimal import Decimal

import segno

MAX_AMOUNT = Decimal("999999999.99")
MAX_BYTES = 331  # the standard's limit for the whole payload


def epc_payload(*, name: str, iban: str, bic: str, amount: Decimal, reference: str) -> str:
    """The payload, one field a line (version 002, UTF-8, SEPA credit transfer).

    Raises ValueError when the transfer can't be expressed (no IBAN, an amount outside
    0.01–999,999,999.99); the caller then prints no code.
    """
    iban = re.sub(r"\s+", "", iban).upper()
    if not iban:
        raise ValueError("no IBAN")
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if not Decimal("0.01") <= amount <= MAX_AMOUNT:
        raise ValueError("the amount is outside what a QR transfer can carry")
    fields = [
        "BCD", "002", "1", "SCT",
        re.sub(r"\s+", "", bic).upper(),
        _fit(name, 70),
        iban,
        f"EUR{amount}",
        "",  # purpose code: none
        "",  # structured creditor reference: none (the number goes in the text below)
        _fit(reference, 140),
    ]
    payload = "\n".join(fields)
    if len(payload.encode("utf-8")) > MAX_BYTES:
        raise ValueError("the payment details are too long for a QR code")
    return payload


def _fit(text: str, limit: int) -> str:
    """One line of at most `limit` characters (the standard counts characters)."""
    return " ".join(text.split())[:limit]


def qr_png(payload: str, scale: int = 8) -> bytes:
    """The payload as a PNG QR code, error correction M as the standard asks."""
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8").save(
        buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
