"""The office settings: defaults from the environment, one audited setter, and a cache that
every process drops when another one changes a setting."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from app import clock, create_app, settings
from app.admin.audit_text import describe
from app.models import AuditLog, Setting


def test_a_fresh_install_reads_the_environment_as_defaults(app, db):
    app.config.update(OFFICE_NAME="Fresh & Co", OFFICE_DETAILS="1 High Street\nLeeds",
                      MAIL_DEFAULT_SENDER="Fresh Billing <billing@fresh.example>",
                      DEFAULT_PHONE_REGION="ie")
    assert db.session.query(Setting).count() == 0
    assert settings.get("office.name") == "Fresh & Co"
    assert settings.get("office.address") == "1 High Street\nLeeds"
    assert settings.get("sending.sender_name") == "Fresh Billing"
    assert settings.get("sending.sender_address") == "billing@fresh.example"
    assert settings.get("office.country") == "IE"
    assert settings.get("invoices.currency") == "EUR"
    assert settings.get("invoices.payment_terms_days") == 30
    assert settings.get("invoices.number_format") == "{year}-{seq:04}"
    assert settings.get("invoices.number_restart_yearly") is True
    assert settings.get("locale.code") == "en_GB"
    assert settings.get("office.time_zone") == "UTC"
    assert settings.get("followups.unopened_days") == 7


def test_a_misspelt_key_fails_loudly(app):
    with pytest.raises(KeyError):
        settings.get("office.nmae")


def test_update_stores_typed_values_and_audits_old_and_new(app, db, make_user):
    admin = make_user("admin")
    changed = settings.update({"office.name": " Smith & Daughters ",
                               "invoices.payment_terms_days": "14",
                               "sending.bcc_self": "on", "followups.unopened_days": "10"},
                              user=admin, ip="192.0.2.1")
    assert settings.get("office.name") == "Smith & Daughters"
    assert settings.get("invoices.payment_terms_days") == 14
    assert settings.get("sending.bcc_self") is True
    assert settings.get("followups.unopened_days") == 10
    assert changed["invoices.payment_terms_days"] == (30, 14)
    [entry] = db.session.query(AuditLog).filter_by(action="settings.changed").all()
    assert entry.user_id == admin.id and entry.ip == "192.0.2.1"
    assert entry.details["changes"]["Office name"] == ["Clientele Demo Office",
                                                       "Smith & Daughters"]
    assert entry.details["changes"]["Payment terms (days)"] == [30, 14]
    assert db.session.get(Setting, "office.name").updated_by_id == admin.id


def test_saving_the_same_values_changes_and_audits_nothing(app, db):
    settings.update({"office.name": "Same"})
    assert settings.update({"office.name": "Same"}) == {}
    assert db.session.query(AuditLog).filter_by(action="settings.changed").count() == 1


@pytest.mark.parametrize("name, value, words", [
    ("office.time_zone", "Mars/Olympus", "Time zone"),
    ("invoices.payment_terms_days", "thirty", "whole number"),
    ("invoices.currency", "EURO", "currency code"),
    ("invoices.number_format", "{year}-{count}", "{seq}"),
    ("locale.code", "xx_YY", "Formats"),
    ("sending.sender_address", "not an address", "Sender address"),
    ("sending.reply_to", "nobody@", "Reply-To"),
    ("office.iban", "DE89 3704 0044 0532 0130 01", "IBAN"),
    ("office.name", "Two\nlines", "one line"),
])
def test_an_unacceptable_value_is_refused_in_words_and_nothing_is_stored(
        app, db, name, value, words):
    with pytest.raises(ValueError, match=words.replace("{", r"\{").replace("}", r"\}")):
        settings.update({"office.name": "Kept?", name: value})
    assert db.session.query(Setting).count() == 0
    assert settings.get("office.name") == "Clientele Demo Office"


def test_vat_numbers_are_checked_as_the_office_countrys(app):
    settings.update({"office.country": "GB", "office.tax_number": "GB 980 7806 84"})
    assert settings.get("office.tax_number") == "GB980780684"
    with pytest.raises(ValueError, match="not a valid United Kingdom VAT number"):
        settings.update({"office.tax_number": "GB980780685"})
    with pytest.raises(ValueError, match="VAT number"):  # a German number, office in the UK
        settings.update({"office.tax_number": "DE136695976"})
    settings.update({"office.country": "DE", "office.tax_number": "DE136695976"})
    assert settings.get("office.tax_number") == "DE136695976"


def test_iban_and_bic_are_checked_together(app):
    settings.update({"office.iban": "de89370400440532013000", "office.bic": "COBADEFFXXX"})
    assert settings.get("office.iban") == "DE89 3704 0044 0532 0130 00"
    with pytest.raises(ValueError, match="BIC: its country is not the IBAN's"):
        settings.update({"office.bic": "BARCGB22"})


def test_another_process_sees_a_change_at_its_next_request(app, app_config, db):
    """Two apps on one database stand for two gunicorn workers."""
    app.config["SETTINGS_RECHECK_SECONDS"] = 3600
    assert settings.get("office.name") == "Clientele Demo Office"  # cached here
    other = create_app(app_config)
    with other.app_context():
        settings.update({"office.name": "Changed Elsewhere"})
        assert settings.get("office.name") == "Changed Elsewhere"
    # Outside a request this process keeps its copy until the recheck interval…
    assert settings.get("office.name") == "Clientele Demo Office"
    # …and a request re-reads the stamp as it starts.
    app.test_client().get("/login")
    assert settings.get("office.name") == "Changed Elsewhere"


def test_outside_requests_the_copy_expires_after_the_recheck_interval(app, app_config):
    app.config["SETTINGS_RECHECK_SECONDS"] = 0
    assert settings.get("office.name") == "Clientele Demo Office"
    other = create_app(app_config)
    with other.app_context():
        settings.update({"office.name": "Changed Elsewhere"})
    assert settings.get("office.name") == "Changed Elsewhere"


def test_the_office_time_zone_decides_what_day_it_is(app):
    days = {}
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        settings.update({"office.time_zone": zone})
        days[zone] = clock.today()
        assert days[zone] == clock.now().astimezone(ZoneInfo(zone)).date()
    assert days["Pacific/Kiritimati"] != days["Pacific/Pago_Pago"]
    app.config["TODAY"] = date(2031, 2, 3)
    assert clock.today() == date(2031, 2, 3)


def test_the_audit_log_says_what_changed_in_words(app, db):
    settings.update({"office.iban": "DE89370400440532013000", "office.logo": "aGk="})
    [line] = describe(db.session.query(AuditLog).filter_by(action="settings.changed").all())
    assert line.text == "Changed the office settings"
    assert "IBAN: (empty) → DE89 3704 0044 0532 0130 00" in line.changes
    assert "Logo: (empty) → changed" in line.changes  # never the image's bytes


def test_the_demo_seed_sets_the_office_up_once(app):
    from app.demo.office import seed_office

    assert settings.needs_setup()
    assert seed_office() > 10
    assert not settings.needs_setup() and settings.get("office.logo")
    assert settings.get("office.iban") == "GB33 BUKB 2020 1555 5555 55"
    settings.update({"office.name": "Renamed"})
    assert seed_office() == 0 and settings.get("office.name") == "Renamed"


def test_the_shipped_sender_on_a_special_use_domain_can_be_saved_again(app):
    settings.update({"sending.sender_address": "Billing@Clientele.localhost"})
    assert settings.get("sending.sender_address") == "Billing@clientele.localhost"
    with pytest.raises(ValueError, match="Sender address"):
        settings.update({"sending.sender_address": "two@@clientele.localhost"})
