"""The demo office's settings: what the first-run screen would ask, filled in, so a demo
opens on invoices that look like an office's own."""
from __future__ import annotations

from io import BytesIO

from PIL import Image, ImageDraw

from app import settings
from app.settings.logo import read_logo

DEMO_OFFICE = {
    "office.name": "Clientele Demo Office",
    "office.address": "12 Harbour Street\nLeeds LS1 4AB\nUnited Kingdom",
    "office.country": "GB",
    "office.tax_number": "GB980780684",
    "office.registration_number": "09876543",
    "office.phone": "+44 113 496 0000",  # Ofcom's range for drama: rings nobody
    "office.website": "www.clientele.example",
    "office.bank_name": "Example Bank",
    "office.iban": "GB33BUKB20201555555555",  # the IBAN registry's own example
    "office.bic": "BUKBGB22",
    "office.payment_instructions": "Please quote the invoice number with your payment.",
    "office.time_zone": "Europe/London",
    "sending.reply_to": "accounts@clientele.localhost",
}


def _logo() -> str:
    image = Image.new("RGB", (360, 96), (23, 63, 112))
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 84, 84), outline=(255, 255, 255), width=4)
    draw.text((36, 38), "CD", fill=(255, 255, 255))
    draw.text((104, 38), "Clientele Demo Office", fill=(255, 255, 255))
    out = BytesIO()
    image.save(out, "PNG")
    return read_logo(out.getvalue())


def seed_office() -> int:
    """Fill the office settings unless someone has set the office up; commits."""
    if not settings.needs_setup():
        return 0
    return len(settings.update({**DEMO_OFFICE, "office.logo": _logo()}))
