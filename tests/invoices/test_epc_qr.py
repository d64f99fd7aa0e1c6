"""The EPC (SEPA) payment QR payload, read back field by field as a bank app reads it."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
import segno
from PIL import Image

from app.invoices.epc_qr import epc_payload, qr_png

FIELDS = ("service_tag", "version", "encoding", "identification", "bic", "name", "iban",
          "amount", "purpose", "structured_reference", "text")


def read_payload(payload: str) -> dict[str, str]:
    """The payload as EPC069-12 defines it: LF-separated fields in a fixed order."""
    lines = payload.split("\n")
    assert len(lines) <= len(FIELDS) + 1
    return dict(zip(FIELDS, lines + [""] * (len(FIELDS) - len(lines))))


def test_payload_fields():
    payload = epc_payload(name="Müller & Partner GmbH", iban="DE89 3704 0044 0532 0130 00",
                          bic="cobadeffxxx", amount=Decimal("1234.5"), reference="2026-0042")
    fields = read_payload(payload)
    assert fields == {
        "service_tag": "BCD", "version": "002", "encoding": "1", "identification": "SCT",
        "bic": "COBADEFFXXX", "name": "Müller & Partner GmbH",
        "iban": "DE89370400440532013000", "amount": "EUR1234.50", "purpose": "",
        "structured_reference": "", "text": "2026-0042",
    }
    assert len(payload.encode("utf-8")) <= 331


def test_long_names_are_cut_to_the_standards_limits_and_bic_may_be_empty():
    fields = read_payload(epc_payload(name="A very long office name " * 5, bic="",
                                      iban="NL91ABNA0417164300", amount=Decimal("0.01"),
                                      reference="R" * 200))
    assert len(fields["name"]) == 70 and fields["bic"] == ""
    assert len(fields["text"]) == 140 and fields["amount"] == "EUR0.01"


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("1000000000")])
def test_amounts_a_transfer_cannot_carry_are_refused(amount):
    with pytest.raises(ValueError):
        epc_payload(name="X", iban="NL91ABNA0417164300", bic="", amount=amount, reference="1")


def test_no_iban_no_payload():
    with pytest.raises(ValueError):
        epc_payload(name="X", iban=" ", bic="", amount=Decimal("1"), reference="1")


def read_modules(image: Image.Image, payload: str) -> bool:
    """Does `image` show, module by module, the QR code of `payload`?"""
    expected = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")
    width, _ = expected.symbol_size(scale=1, border=4)
    grey = image.convert("L")
    step = grey.width / width
    for row, values in enumerate(expected.matrix):
        for col, dark in enumerate(values):
            pixel = grey.getpixel((int((col + 4.5) * step), int((row + 4.5) * step)))
            if (pixel < 128) != bool(dark):
                return False
    return True


def test_the_png_is_the_code_of_the_payload():
    payload = epc_payload(name="Office", iban="NL91ABNA0417164300", bic="ABNANL2A",
                          amount=Decimal("10"), reference="INV-00001")
    image = Image.open(io.BytesIO(qr_png(payload)))
    assert read_modules(image, payload)
    assert not read_modules(image, payload.replace("EUR10.00", "EUR10.01"))
