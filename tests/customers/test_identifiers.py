"""An identification number is shown through one function, masked the same way everywhere."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.customers.csv_export import identifiers_text
from app.customers.identifiers import identifier_last4, identifier_text
from app.customers.privacy import export_document
from app.models import CustomerIdentifier
from tests.factories import make_customer

APP = Path(__file__).resolve().parents[2] / "app"
HOME = "customers/identifiers.py"
# The mask's bullet, or a read of the clear tail, outside the one function.
_MASKING = re.compile(r"•|\.last4\b")


def masking_outside_home(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".html") or "__pycache__" in path.parts:
            continue
        name = path.relative_to(root).as_posix()
        if name == HOME:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _MASKING.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("value, unmasked, shown", [
    ("GB 123 456-789", True, "GB 123 456-789"),
    ("GB 123 456-789", False, "•••• 6789"),
    ("--", False, "••••"),
])
def test_identifier_text_masks_all_but_the_last_four(value, unmasked, shown):
    identifier = CustomerIdentifier(kind="vat", value=value, last4=identifier_last4(value))
    assert identifier_text(identifier, unmasked) == shown


def test_file_page_csv_and_data_export_mask_alike(app, client, login_as):
    staff = login_as("staff")  # staff may not see identification numbers
    customer = make_customer(owner=staff, id_number="GB123456789")
    page = client.get(f"/customers/{customer.id}").text
    assert '<dd class="id-number">•••• 6789</dd>' in page
    assert identifiers_text(customer, False) == "tax_id: •••• 6789"
    assert export_document(customer, False)["identifiers"] == [
        {"kind": "tax_id", "value": "•••• 6789"}]
    assert export_document(customer, True)["identifiers"][0]["value"] == "GB123456789"


def test_identification_numbers_are_masked_only_in_customers_identifiers():
    assert masking_outside_home(APP) == []


@pytest.mark.parametrize("name, text", [
    ("templates/customers/file.html", "<dd>{% if show %}{{ i.value }}{% else %}•••• {{ i.last4 }}{% endif %}</dd>"),
    ("customers/csv_export.py", "text = i.value if show_ids else '****' + i.last4\n"),
    ("crypto.py", "def mask(value):\n    return '•••• ' + value[-4:]\n"),
])
def test_the_masking_guard_fails_on_a_planted_copy(tmp_path, name, text):
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text)
    assert masking_outside_home(tmp_path) != []
