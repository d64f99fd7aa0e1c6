"""Identification numbers (tax, VAT, national ID…): their kinds, and how one is shown.

The value is stored encrypted; `last4` is kept in clear so that someone who may not see
the number (without `customers.view_ids`) still tells two apart. The file page, the CSV
export and the data export all show a number through `identifier_text`, so it is masked
the same way everywhere.
"""
from __future__ import annotations

import re

IDENTIFIER_KINDS = (("tax_id", "Tax ID"), ("vat", "VAT number"),
                    ("national_id", "National ID"), ("company_reg", "Company registration"),
                    ("other", "Other"))


def identifier_last4(value: str) -> str:
    """What a masked number still shows: its last four letters or digits."""
    return re.sub(r"[^0-9A-Za-z]", "", value)[-4:]


def identifier_text(identifier, unmasked: bool) -> str:
    """The number in full for someone who may see it, else `•••• 1234`."""
    if unmasked:
        return identifier.value
    return f"•••• {identifier.last4}" if identifier.last4 else "••••"
