"""Forms for customer files. Contact rows are sub-forms so every form works without JS."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField,
    SelectField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app import clock, settings
from app.customers.contacts import ContactError, normalise_email, normalise_phone
from app.customers.identifiers import IDENTIFIER_KINDS
from app.customers.languages import language_choices
from app.customers.plausibility import born_or_founded_problem
from app.invoices.terms import CURRENCIES, MAX_TERMS_DAYS
from app.models import CHANNELS, CUSTOMER_STATUSES, EMAIL_STATES, NOTE_KINDS
from app.web.validators import TextLimit

KIND_CHOICES = [("person", "Person"), ("company", "Company")]
SIZE_CHOICES = [("", "—"), ("1", "1 person"), ("2-9", "2–9"), ("10-49", "10–49"),
                ("50-249", "50–249"), ("250+", "250 or more")]
CHANNEL_LABELS = {"email": "Email", "phone": "Phone", "post": "Post", "in_person": "In person"}


def _clean(value):
    """Text fields arrive missing, padded or None; store trimmed strings."""
    return (value or "").strip() if isinstance(value, (str, type(None))) else value


def _region() -> str:
    return settings.get("office.country")


def _email(field) -> str:
    try:
        return normalise_email(field.data)
    except ContactError as exc:
        raise ValidationError(str(exc)) from None


def _phone(field) -> tuple[str, str]:
    try:
        return normalise_phone(field.data, _region())
    except ContactError as exc:
        raise ValidationError(str(exc)) from None


class _NamedForm(FlaskForm):
    """Who the customer is: a person needs a name, a company its company name."""

    kind = RadioField("Kind", choices=KIND_CHOICES, default="person")
    first_name = StringField("First name", filters=[_clean], validators=[Length(max=100)])
    last_name = StringField("Last name", filters=[_clean], validators=[Length(max=100)])
    company = StringField("Company", filters=[_clean], validators=[Length(max=200)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.kind.data == "company" and not self.company.data:
            self.company.errors.append("A company needs its name.")
            return False
        if self.kind.data == "person" and not (self.first_name.data or self.last_name.data):
            self.last_name.errors.append("Enter a first or last name.")
            return False
        return ok


class CustomerForm(_NamedForm):
    """Adding a customer: who they are and the first way to reach them."""

    email = StringField("Email", filters=[_clean], validators=[Optional(), Length(max=254)])
    phone = StringField("Phone", filters=[_clean], validators=[Optional(), Length(max=40)])
    owner_id = SelectField("Responsible", coerce=int, validate_choice=True)
    tags = StringField("Tags", filters=[_clean], validators=[Length(max=500)],
                       description="Separate tags with commas")
    confirm_duplicate = HiddenField(default="")

    def validate_email(self, field):
        if field.data:
            field.data = _email(field)

    def validate_phone(self, field):
        if field.data:
            field.e164, field.display = _phone(field)


class IdentityForm(_NamedForm):
    born_or_founded = DateField("Born / founded", validators=[Optional()])
    industry = StringField("Industry", filters=[_clean], validators=[Length(max=100)])
    size = SelectField("Size", choices=SIZE_CHOICES)
    source = StringField("How they found us", filters=[_clean], validators=[Length(max=100)])

    def validate_born_or_founded(self, field):
        if problem := born_or_founded_problem(field.data, clock.today()):
            raise ValidationError(problem)


class BillingForm(FlaskForm):
    """How the customer is billed and written to (`customers.edit_billing`)."""

    # First choice "": the office's default (its label names it, see file_routes).
    currency = SelectField("Currency", choices=[("", "Office default")] +
                           [(c, c) for c in CURRENCIES], default="")
    payment_terms_days = IntegerField(
        "Payment terms (days)", validators=[Optional(), NumberRange(
            0, MAX_TERMS_DAYS, f"Enter a number of days from 0 to {MAX_TERMS_DAYS}.")],
        description="Empty: the office's default terms.")
    # Choices per customer (`language_choices`): a value from before the list stays one.
    language = SelectField("Language", choices=language_choices(None), default="")
    reminders_off = BooleanField("No payment reminders to this customer")
    reminders_off_reason = StringField("Why not", filters=[_clean],
                                       validators=[Length(max=500)])

    def validate_reminders_off_reason(self, field):
        if self.reminders_off.data and not field.data:
            raise ValidationError("Say why, so colleagues know (e.g. pays by standing order).")


class IdentifierRow(Form):
    kind = SelectField("Kind", choices=IDENTIFIER_KINDS)
    value = StringField("Number", filters=[_clean], validators=[Length(max=64)])
    remove = BooleanField("Remove")


class IdentifiersForm(FlaskForm):
    rows = FieldList(FormField(IdentifierRow), min_entries=1, max_entries=20)


class EmailRow(Form):
    address = StringField("Email", filters=[_clean], validators=[Length(max=254)])
    label = StringField("Label", filters=[_clean], validators=[Length(max=40)])
    state = SelectField("State", choices=[(s, s.capitalize()) for s in EMAIL_STATES],
                        default="unverified")
    remove = BooleanField("Remove")

    def validate_address(self, field):
        if field.data and not self.remove.data:
            field.data = _email(field)


class PhoneRow(Form):
    number = StringField("Phone", filters=[_clean], validators=[Length(max=40)])
    label = StringField("Label", filters=[_clean], validators=[Length(max=40)])
    remove = BooleanField("Remove")

    def validate_number(self, field):
        field.e164 = field.display = ""
        if field.data and not self.remove.data:
            field.e164, field.display = _phone(field)


class AddressRow(Form):
    label = StringField("Label", filters=[_clean], validators=[Length(max=40)])
    line1 = StringField("Street", filters=[_clean], validators=[Length(max=200)])
    line2 = StringField("Street (2)", filters=[_clean], validators=[Length(max=200)])
    postal_code = StringField("Postcode", filters=[_clean], validators=[Length(max=20)])
    city = StringField("City", filters=[_clean], validators=[Length(max=100)])
    region = StringField("Region", filters=[_clean], validators=[Length(max=100)])
    country = StringField("Country (2 letters)", filters=[_clean], validators=[Length(max=2)])
    remove = BooleanField("Remove")

    def validate_country(self, field):
        if field.data and not (field.data.isalpha() and len(field.data) == 2):
            raise ValidationError("Use the two-letter country code, e.g. GB or DE.")
        field.data = (field.data or "").upper()

    @property
    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (
            self.line1, self.line2, self.postal_code, self.city, self.region))


class ContactForm(FlaskForm):
    emails = FieldList(FormField(EmailRow), min_entries=1, max_entries=20)
    primary_email = StringField("Primary email", filters=[_clean], default="0")
    phones = FieldList(FormField(PhoneRow), min_entries=1, max_entries=20)
    addresses = FieldList(FormField(AddressRow), min_entries=1, max_entries=10)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        seen: dict[str, int] = {}
        for i, row in enumerate(self.emails):
            address = (row.address.data or "").strip()
            if address and not row.remove.data:
                if address in seen:
                    row.address.errors.append(f"{address} is listed twice.")
                    ok = False
                seen[address] = i
        kept = [i for i, r in enumerate(self.emails)
                if (r.address.data or "").strip() and not r.remove.data]
        if kept and self.primary_index() not in kept:
            self.primary_email.errors.append("Choose which email is primary.")
            ok = False
        return ok

    def primary_index(self) -> int:
        try:
            return int(self.primary_email.data or 0)
        except ValueError:
            return -1


class ConsentForm(FlaskForm):
    preferred_channel = SelectField("Preferred channel",
                                    choices=[(c, CHANNEL_LABELS[c]) for c in CHANNELS])
    preference_notes = TextAreaField("Preferences", filters=[_clean],
                                     validators=[TextLimit(2000, "The preferences text")])
    marketing_consent = BooleanField("Agrees to marketing emails")
    sharing_consent = BooleanField("Agrees to sharing data with third parties")
    source = StringField("Where the decision was made", filters=[_clean], validators=[Length(max=200)],
                         description="e.g. signed form 2024-03-02, phone call")


class AssignmentForm(FlaskForm):
    owner_id = SelectField("Responsible", coerce=int)
    status = SelectField("Status", choices=[(s, s.capitalize()) for s in CUSTOMER_STATUSES])
    tags = StringField("Tags", filters=[_clean], validators=[Length(max=500)],
                       description="Separate tags with commas")
    last_verified_on = DateField("Contact last verified", validators=[Optional()])
    needs_review = BooleanField("Contact details need review")
    needs_review_reason = StringField("Why", filters=[_clean], validators=[Length(max=500)])


class NoteForm(FlaskForm):
    kind = SelectField("Kind", choices=[(k, k.capitalize()) for k in NOTE_KINDS],
                       default="call")
    body = TextAreaField("Note", filters=[_clean], validators=[DataRequired("Write something first."),
                                             TextLimit(10000, "The note")])
    invoice_id = SelectField("About invoice", coerce=int, default=0)


class SavedFilterForm(FlaskForm):
    name = StringField("Name", filters=[_clean], validators=[DataRequired("Give the filter a name."),
                                           Length(max=80)])
    query = HiddenField(validators=[Length(max=1000)])


class ImportUploadForm(FlaskForm):
    file = FileField("CSV file")
    encoding = SelectField("Encoding", choices=[
        ("utf-8", "UTF-8 (recommended)"), ("cp1252", "Windows (Excel, Western Europe)"),
        ("latin-1", "ISO-8859-1 (Latin-1)")], default="utf-8")


class EraseForm(FlaskForm):
    confirm = StringField("Type ERASE to confirm", filters=[_clean])

    def validate_confirm(self, field):
        if (field.data or "").strip() != "ERASE":
            raise ValidationError("Type ERASE in capitals to confirm.")
