from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, FieldList, Form, FormField, SelectField, StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app import clock
from app.invoices.money import LineInput, MoneyError, plain_number, to_decimal
from app.invoices.plausibility import payment_date_question
from app.invoices.terms import CURRENCIES, office_defaults
from app.models import PAYMENT_METHODS
from app.models.base import parse_id
from app.web.validators import TextLimit

MAX_LINES = 200
METHOD_LABELS = {"bank_transfer": "Bank transfer", "card": "Card", "cash": "Cash",
                 "cheque": "Cheque", "other": "Other"}


def _no_nul(value):
    # PostgreSQL refuses NUL in text; a stray one must not turn into a 500.
    return value.replace("\x00", "") if isinstance(value, str) else value


class DecimalText(StringField):
    """A number typed as text (a dot for decimals), parsed with Decimal, never float.

    Out-of-range or over-precise values fail validation with a message for the person.
    """

    def __init__(self, label=None, validators=None, *, places: int, low=None, high=None,
                 low_inclusive: bool = True, blank=None, trim: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places, self.low, self.high = places, low, high
        self.low_inclusive, self.blank, self.trim = low_inclusive, blank, trim

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            self.data = self.blank
            return
        self.data = None
        try:
            self.data = to_decimal(text)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return plain_number(self.data) if self.trim else f"{self.data:f}"

    def pre_validate(self, form):
        value = self.data
        if value is None:
            if not self.process_errors:
                raise ValidationError("Enter a number.")
            return
        if abs(value) >= 10**15:
            raise ValidationError("That number is too large.")
        if value != value.quantize(Decimal(1).scaleb(-self.places)):
            raise ValidationError(f"Use at most {self.places} decimals.")
        if self.low is not None and (value < self.low or
                                     (value == self.low and not self.low_inclusive)):
            raise ValidationError(f"Must be at least {self.low}." if self.low_inclusive
                                  else f"Must be more than {self.low}.")
        if self.high is not None and value > self.high:
            raise ValidationError(f"Must be at most {self.high}.")


class LineForm(Form):
    description = StringField("Description", filters=[_no_nul], validators=[
        DataRequired("Describe this line."), Length(max=500)])
    quantity = DecimalText("Quantity", places=3, low=Decimal(0), low_inclusive=False,
                           high=Decimal("999999999"), trim=True)
    unit_price = DecimalText("Unit price", places=2, low=Decimal("-99999999999"),
                             high=Decimal("99999999999"))
    tax_rate = DecimalText("Tax %", places=2, low=Decimal(0), high=Decimal(100),
                           blank=Decimal(0), trim=True)

    def is_blank(self) -> bool:
        if any(f.raw_data for f in self):  # submitted: look at what was typed
            return not any(f.raw_data and f.raw_data[0].strip() for f in self)
        return not (self.description.data or self.quantity.data is not None
                    or self.unit_price.data is not None)

    def numbers_valid(self) -> bool:
        """Can quantity, price and tax be used for arithmetic? Leaves `errors` untouched."""
        for field in (self.quantity, self.unit_price, self.tax_rate):
            if field.process_errors:
                return False
            try:
                field.pre_validate(self)
            except ValidationError:
                return False
        return True

    def to_input(self) -> LineInput:
        return LineInput(self.description.data or "", self.quantity.data,
                         self.unit_price.data, self.tax_rate.data)


def _customer_id(value):
    return value if isinstance(value, int) else parse_id(value)


class InvoiceForm(FlaskForm):
    customer_id = SelectField("Customer", coerce=_customer_id, validate_choice=False)
    issue_date = DateField("Issue date", validators=[InputRequired("Enter the issue date.")],
                           default=clock.today)
    due_date = DateField("Due date", validators=[InputRequired("Enter the due date.")],
                         default=lambda: office_defaults().due_date(clock.today()))
    currency = SelectField("Currency", choices=[(c, c) for c in CURRENCIES],
                           default=lambda: office_defaults().currency)
    notes = TextAreaField("Notes (printed on the invoice)", filters=[_no_nul],
                          validators=[Optional(), TextLimit(5000, "The notes text")])
    lines = FieldList(FormField(LineForm), min_entries=0, max_entries=MAX_LINES)
    # Shown only with the question a negative total raises: ticking it is the answer.
    confirm_negative = BooleanField("A negative total is intended (a credit)")

    def set_customers(self, customers) -> None:
        self.customer_id.choices = [("", "Choose a customer…")] + [
            (c.id, c.display_name) for c in customers]
        self._customer_ids = {c.id for c in customers}

    def customer_ids(self) -> set[int]:
        """The ids of the customers this user may choose (after `set_customers`)."""
        return getattr(self, "_customer_ids", set())

    def validate_customer_id(self, field):
        if field.data is None:
            raise ValidationError("Choose a customer.")
        if field.data not in self._customer_ids:
            raise ValidationError("Choose one of your customers.")

    def validate_due_date(self, field):
        if self.issue_date.data and field.data and field.data < self.issue_date.data:
            raise ValidationError("The due date can't be before the issue date.")

    def drop_blank_lines(self) -> None:
        """Lines left completely empty are not an error: they are just not saved."""
        self.lines.entries = [e for e in self.lines.entries if not e.form.is_blank()]

    def remove_line(self, name: str) -> None:
        self.lines.entries = [e for e in self.lines.entries if e.name != name]

    def line_inputs(self) -> list[LineInput]:
        return [e.form.to_input() for e in self.lines.entries]


class PaymentForm(FlaskForm):
    paid_on = DateField("Date", validators=[InputRequired("Enter the payment date.")],
                        default=clock.today)
    amount = DecimalText("Amount", places=2, low=Decimal(0), low_inclusive=False,
                         high=Decimal("99999999999"))
    method = SelectField("Method", choices=[(m, METHOD_LABELS[m]) for m in PAYMENT_METHODS])
    reference = StringField("Reference", filters=[_no_nul],
                            validators=[Optional(), Length(max=200)])
    allow_overpayment = BooleanField("Allow more than the balance (records a credit)")
    # Shown only with the question a date far ahead raises: ticking it is the answer.
    confirm_date = BooleanField("The date is right")
    date_question: str | None = None

    def validate_paid_on(self, field):
        self.date_question = payment_date_question(field.data, clock.today())
        if self.date_question and not self.confirm_date.data:
            raise ValidationError(self.date_question)
