"""Placeholders: a fixed list, filled by plain substitution; nothing else is evaluated."""
from __future__ import annotations

from datetime import date

from app.mail.placeholders import PLACEHOLDERS, fill, problem, unknown, values_for
from tests.factories import make_customer, make_invoice

VALUES = {name: f"<{name}>" for name in PLACEHOLDERS}


def test_known_placeholders_are_filled_and_nothing_is_evaluated():
    text = ("Dear {customer_name}, {{ 7*7 }} {customer.__class__} {customer_name.upper} "
            "{0} {} {__import__('os')} {% raw %}{invoice_number}")
    filled = fill(text, VALUES)
    assert filled == ("Dear <customer_name>, {{ 7*7 }} {customer.__class__} "
                      "{customer_name.upper} {0} {} {__import__('os')} {% raw %}"
                      "<invoice_number>")
    assert "49" not in filled and "class" in filled


def test_a_value_is_not_filled_again():
    assert fill("{customer_name}", {"customer_name": "{office_name}",
                                    "office_name": "X"}) == "{office_name}"


def test_unknown_placeholders_are_named_and_refused():
    assert unknown("Hi {customer_name}") == []
    assert unknown("{{ 7*7 }} and {customer.__class__} and {Customer_Name}") == [
        "{{ 7*7 }}", "{customer.__class__}", "{Customer_Name}"]
    assert unknown("{{customer_name}}") == ["{{customer_name}}"]
    assert unknown("a stray } brace") == ["unpaired { or }"]
    words = problem("Hi {client}", "Subject")
    assert words.startswith("Subject: {client} is not a placeholder. Use only {customer_name}")


def test_values_come_from_the_invoice_in_the_office_locale(app):
    invoice = make_invoice(make_customer(first_name="Ada", last_name="Byron"), total="1234.5",
                           due_date=date(2026, 11, 1), currency="GBP")
    values = values_for(invoice, office_name="Smith & Co", today=date(2026, 11, 11),
                        locale="en_GB")
    assert values["customer_name"] == "Ada Byron"
    assert (values["amount_due"], values["total"]) == ("£1,234.50", "£1,234.50")
    assert (values["due_date"], values["days_overdue"]) == ("1 November 2026", "10")
    assert values["view_link"] == "{view_link}"  # each email's own link, put in when built
    assert values_for(invoice, office_name="", today=date(2026, 11, 11),
                      locale="de_DE")["amount_due"] == "1.234,50\xa0£"
