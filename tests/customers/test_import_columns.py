"""Recognising the columns of common exports, columns of email addresses whatever their
name, and country names."""
from __future__ import annotations

import pytest

from app.customers.countries import country_code
from app.customers.csv_import import suggest_mapping
from app.customers.import_columns import guess_target, ignored_email_warnings


@pytest.mark.parametrize("header,target", [
    # Outlook
    ("E-mail Address", "email"), ("E-mail 2 Address", "email"), ("E-mail 3 Address", "email"),
    ("Mobile Phone", "phone"), ("Business Phone", "phone"), ("Home Phone", "phone"),
    ("Home Phone 2", "phone"), ("First Name", "first_name"), ("Last Name", "last_name"),
    ("Company", "company"), ("Business Street", "line1"), ("Business Street 2", "line2"),
    ("Business City", "city"), ("Business Postal Code", "postal_code"),
    ("Business Country/Region", "country"), ("Categories", "tags"), ("Notes", "note"),
    ("Business Fax", ""), ("E-mail Display Name", ""),
    # Google Contacts (old and new)
    ("Given Name", "first_name"), ("Family Name", "last_name"),
    ("E-mail 1 - Value", "email"), ("E-mail 1 - Type", ""), ("Phone 1 - Value", "phone"),
    ("Phone 1 - Label", ""), ("Organization Name", "company"),
    ("Organization 1 - Name", "company"), ("Address 1 - Street", "line1"),
    ("Address 1 - City", "city"), ("Address 1 - Postal Code", "postal_code"),
    ("Address 1 - Country", "country"), ("Group Membership", "tags"), ("Labels", "tags"),
    # Apple Contacts (as CSV exporters write it)
    ("Email (work)", "email"), ("Phone (mobile)", "phone"), ("Organization", "company"),
    # Invoice Ninja
    ("Client Name", "company"), ("Contact First Name", "first_name"),
    ("Contact Last Name", "last_name"), ("Contact Email", "email"),
    ("Contact Phone", "phone"), ("Address 1", "line1"), ("Address 2", "line2"),
    ("Postal Code", "postal_code"), ("VAT Number", "tax_id"), ("Private Notes", "note"),
    # a generic CRM
    ("Account Name", "company"), ("Contact Owner", "owner_email"),
    ("Mailing Street", "line1"), ("Mailing City", "city"),
    ("Mailing Zip/Postal Code", "postal_code"), ("Mailing Country", "country"),
    ("State/Region", "region"), ("Lead Source", "source"), ("Work Phone", "phone"),
    ("Mystery", ""),
])
def test_column_names_of_common_exports(header, target):
    assert guess_target(header) == target


def test_an_outlook_export_is_mapped_without_help():
    header = ["First Name", "Last Name", "Company", "E-mail Address", "E-mail 2 Address",
              "Business Phone", "Mobile Phone", "Business Street", "Home Street"]
    data = {"header": header, "rows": [["Ada", "Lovelace", "", "ada@example.com",
                                        "ada@work.example", "020 7946 0958", "", "", ""]]}
    assert suggest_mapping(data) == ["first_name", "last_name", "company", "email", "email",
                                     "phone", "phone", "line1", ""]  # one street only


def test_a_column_of_addresses_is_mapped_by_its_values_or_warned_about():
    rows = [["Ada Lovelace", "ada@example.com", "SMTP"],
            ["Alan Turing", "alan@example.org; turing@example.org", "SMTP"],
            ["Grace Hopper", "", "SMTP"],
            ["Edsger Dijkstra", "ewd@example.nl", "SMTP"]]
    data = {"header": ["Name", "Kontakt", "E-mail Type"], "rows": rows}
    mapping = suggest_mapping(data)
    assert mapping == ["full_name", "email", ""]  # "Kontakt" holds addresses
    assert ignored_email_warnings(data, mapping) == []
    [warning] = ignored_email_warnings(data, ["full_name", "", ""])  # the user said ignore
    assert "“Kontakt” looks like email addresses but is ignored" in warning
    [warning] = ignored_email_warnings(data, ["full_name", "industry", ""])
    assert "not imported as Email" in warning
    assert ignored_email_warnings(data, ["full_name", "owner_email", ""]) == []


def test_a_column_with_a_few_addresses_among_names_is_no_email_column():
    rows = [["Ada (ada@example.com)"], ["Alan"], ["Grace"], ["ewd@example.nl"]]
    assert suggest_mapping({"header": ["Display"], "rows": rows}) == [""]


@pytest.mark.parametrize("written,code", [
    ("United Kingdom", "GB"), ("UK", "GB"), ("Great Britain", "GB"), ("England", "GB"),
    ("Deutschland", "DE"), ("Germany", "DE"), ("germany ", "DE"), ("DEU", "DE"),
    ("de", "DE"), ("Österreich", "AT"), ("Osterreich", "AT"), ("Schweiz", "CH"),
    ("Suisse", "CH"), ("España", "ES"), ("Royaume-Uni", "GB"), ("Nederland", "NL"),
    ("Holland", "NL"), ("USA", "US"), ("United States", "US"), ("Éire", "IE"),
    ("Polska", "PL"), ("Italia", "IT"), ("Türkiye", "TR"), ("Turkey", "TR"),
    ("Narnia", None), ("", None), ("XX", None),
])
def test_country_names_become_iso_codes(written, code):
    assert country_code(written) == code
