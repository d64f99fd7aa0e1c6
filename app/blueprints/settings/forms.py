"""The Settings page's forms: one per section, each field named after its setting
(`office_name` is `office.name`); what a value must be is app.settings.checks'."""
from __future__ import annotations

from datetime import date
from zoneinfo import available_timezones

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app import settings

_LOCALES = ("en_GB", "en_US", "en_IE", "en_AU", "en_CA", "de_DE", "de_AT", "de_CH", "fr_FR",
            "fr_BE", "fr_CH", "nl_NL", "nl_BE", "es_ES", "it_IT", "pt_PT", "pl_PL", "sv_SE",
            "da_DK", "nb_NO", "fi_FI", "cs_CZ", "hu_HU", "ro_RO", "el_GR", "sl_SI", "hr_HR")


def _key(field_name: str) -> str:
    section, _, rest = field_name.partition("_")
    return f"{section}.{rest}"


class _SettingsForm(FlaskForm):
    """A section of settings: its fields are read from and saved to the settings."""

    def setting_fields(self):
        return [f for f in self if _key(f.name) in settings.KEYS]

    def fill(self) -> None:
        for f in self.setting_fields():
            value = settings.get(_key(f.name))
            f.data = ", ".join(map(str, value)) if isinstance(value, list) else value

    def changes(self) -> dict:
        return {_key(f.name): f.data for f in self.setting_fields()
                if f.type not in ("FileField",)}

    def show(self, problems: dict[str, str]) -> None:
        for f in self.setting_fields():
            if _key(f.name) in problems:
                f.errors = [*f.errors, problems[_key(f.name)].split(": ", 1)[-1]]


def _countries():
    names = Locale("en").territories
    return sorted(((c, names[c]) for c in names if len(c) == 2 and c.isalpha()
                   and c not in ("ZZ", "XA", "XB", "EU", "EZ", "UN", "QO")),
                  key=lambda pair: pair[1])


class OfficeForm(_SettingsForm):
    office_name = StringField("Office name", [Length(max=200)])
    office_address = TextAreaField("Address", [Length(max=1000)],
                                   render_kw={"rows": 4})
    office_country = SelectField("Country")
    office_tax_number = StringField("Tax/VAT number", [Length(max=40)])
    office_registration_number = StringField("Registration number", [Length(max=60)])
    office_phone = StringField("Phone", [Length(max=40)])
    office_website = StringField("Website", [Length(max=200)])
    logo = FileField("Logo (PNG or JPEG)", render_kw={"accept": "image/png,image/jpeg"})
    remove_logo = BooleanField("Remove the logo")
    office_bank_name = StringField("Bank", [Length(max=100)])
    office_iban = StringField("IBAN", [Length(max=50)])
    office_bic = StringField("BIC", [Length(max=11)])
    office_payment_instructions = TextAreaField("Payment instructions", [Length(max=1000)],
                                                render_kw={"rows": 3})
    office_time_zone = SelectField("Time zone")
    password = PasswordField("Your password (to change bank details)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.office_country.choices = _countries()
        self.office_time_zone.choices = _time_zones()


class SendingForm(_SettingsForm):
    sending_sender_name = StringField("Sender name", [Length(max=100)])
    sending_sender_address = StringField("Sender address", [Length(max=254)])
    sending_reply_to = StringField("Reply-To", [Length(max=254)])
    sending_bcc_self = BooleanField("Send the office a copy of every invoice email")
    sending_signature = TextAreaField("Signature", [Length(max=1000)], render_kw={"rows": 3})
    password = PasswordField("Your password (to change the sender or Reply-To)")


class LocaleForm(_SettingsForm):
    locale_code = SelectField("Formats (dates, numbers, money)")
    locale_first_weekday = SelectField("First day of the week", choices=[
        ("", "As the formats say"), ("monday", "Monday"), ("saturday", "Saturday"),
        ("sunday", "Sunday")])
    invoices_currency = StringField("Default currency", [Length(max=3)],
                                    render_kw={"maxlength": 3, "autocapitalize": "characters"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale_code.choices = _locale_choices()


def _time_zones():
    return [(z, z.replace("_", " ")) for z in sorted(available_timezones())
            if ("/" in z and not z.startswith(("Etc/", "SystemV/", "US/"))) or z == "UTC"]


def _locale_choices():
    return [(code, _locale_label(code)) for code in _LOCALES]


def _locale_label(code: str) -> str:
    locale = Locale.parse(code)
    sample = format_date(date(2026, 12, 31), "medium", locale=locale)
    money = format_currency(1234.5, "EUR", locale=locale)
    return f"{locale.get_display_name('en')} — {sample}, {money}"


class SetupForm(_SettingsForm):
    """The first-run screen: what every invoice needs from day one."""

    office_name = StringField("Office name", [DataRequired(), Length(max=200)],
                              render_kw={"placeholder": "e.g. Smith & Partners"})
    office_address = TextAreaField("Address", [DataRequired(), Length(max=1000)],
                                   render_kw={"rows": 4})
    office_country = SelectField("Country")
    office_tax_number = StringField("Tax/VAT number (optional)", [Length(max=40)])
    sending_sender_name = StringField("Sender name", [Length(max=100)])
    sending_sender_address = StringField(
        "Sender address", [Length(max=254)],
        render_kw={"placeholder": "e.g. accounts@your-office.example"})
    office_time_zone = SelectField("Time zone")
    locale_code = SelectField("Formats (dates, numbers, money)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.office_country.choices = _countries()
        self.office_time_zone.choices = _time_zones()
        self.locale_code.choices = _locale_choices()

    def fill(self) -> None:
        """As Settings would, but a value the product ships as an example (the demo
        office's name, billing@clientele.localhost) starts empty: an office types its own
        rather than sending its first invoices as the demo."""
        super().fill()
        for f in (self.office_name, self.sending_sender_name, self.sending_sender_address):
            if settings.is_shipped_default(_key(f.name), f.data):
                f.data = ""

    def changes(self) -> dict:
        """The sender's name, left empty, is the office's name."""
        found = super().changes()
        if not (found.get("sending.sender_name") or "").strip():
            found["sending.sender_name"] = found.get("office.name") or ""
        return found
