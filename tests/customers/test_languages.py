"""A customer's language comes from one list; values from the free-text days stay visible."""
from __future__ import annotations

from app.customers.languages import CODES, language_choices, language_code
from app.models import Customer
from tests.conftest import csrf_token
from tests.factories import make_customer


def test_what_people_wrote_maps_to_a_code():
    for text, code in [("de", "de"), ("DE", "de"), ("de-AT", "de"), ("pt_BR", "pt"),
                       ("German", "de"), ("deutsch", "de"), ("Français", "fr"),
                       ("Norwegian Bokmål", "no"), ("  english ", "en")]:
        assert language_code(text) == code, text
    for text in ("", "Klingon", "Swiss German", "xx-YY"):
        assert language_code(text) is None, text


def test_a_value_from_before_the_list_stays_a_visible_choice():
    assert ("Klingon", "Klingon (not in the list)") in language_choices("Klingon")
    assert not any("not in the list" in label for _, label in language_choices("de"))
    assert {code for code, _ in language_choices(None)} == CODES | {""}


def _billing(client, c, language):
    return client.post(f"/customers/{c.id}/billing/edit", data={
        "csrf_token": csrf_token(client, f"/customers/{c.id}"), "currency": "",
        "payment_terms_days": "", "language": language})


def test_the_billing_form_offers_the_list_and_keeps_an_old_value(client, login_as, db):
    login_as("admin")
    c = make_customer(first_name="Ada", last_name="Lovelace", language="Klingon")
    page = client.get(f"/customers/{c.id}/billing/edit").text
    assert '<select id="language" name="language">' in page
    assert '<option selected value="Klingon">Klingon (not in the list)</option>' in page
    assert "Klingon (not in the list)" in client.get(f"/customers/{c.id}").text
    assert _billing(client, c, "Klingon").status_code == 303  # unchanged: kept
    assert _billing(client, c, "Elvish").status_code == 422  # typed in: refused
    assert _billing(client, c, "de").status_code == 303
    db.session.expire_all()
    assert db.session.get(Customer, c.id).language == "de"
    assert "German (Deutsch)" in client.get(f"/customers/{c.id}").text


def test_the_csv_import_maps_languages_it_knows_and_keeps_the_rest(client, login_as, db):
    from tests.customers.test_csv_import import _confirm, _import_id, _map, _upload

    login_as("admin")
    content = ("Name,Email,Language\nAda Lovelace,ada@example.com,English\n"
               "Karl Marx,karl@example.com,de-DE\nQo Nos,qo@example.com,Klingon\n")
    import_id = _import_id(_upload(client, content))
    _map(client, import_id)
    assert _confirm(client, import_id).status_code == 303
    languages = dict(db.session.execute(db.select(Customer.last_name, Customer.language)).all())
    assert languages == {"Lovelace": "en", "Marx": "de", "Nos": "Klingon"}
