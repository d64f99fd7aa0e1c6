"""Invoice rules: money, drafts, states and payments (numbers: test_numbering.py)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.invoices import money, rules
from app.invoices.money import LineInput, MoneyError
from app.invoices.rules import InvoiceError
from tests.factories import CONSULTING_240, make_customer, make_invoice

D = Decimal


def line(qty="1", price="0", rate="0", text="Item"):
    return LineInput(text, D(qty), D(price), D(rate))


# -- money -------------------------------------------------------------------------------

def test_line_net_rounds_half_up_to_cents():
    assert money.line_amounts(line("3", "0.335")).net == D("1.01")  # 1.005
    assert money.line_amounts(line("1", "2.675")).net == D("2.68")  # float would say 2.67


def test_tax_is_computed_and_rounded_per_line():
    # Each line's tax is 0.005 -> 0.01; tax on the sum would be 0.01 in total.
    totals = money.compute_totals([line("1", "0.05", "10"), line("1", "0.05", "10")])
    assert totals == money.Totals(D("0.10"), D("0.02"), D("0.12"))


def test_totals_of_a_typical_invoice():
    totals = money.compute_totals([
        line("2", "100.00", "20"), line("1.5", "33.33", "7"), line("3", "9.99", "0")])
    # 200.00 + 50.00 (49.995) + 29.97 ; tax 40.00 + 3.50
    assert totals.subtotal == D("279.97")
    assert totals.tax_total == D("43.50")
    assert totals.total == D("323.47")


def test_no_lines_total_zero():
    assert money.compute_totals([]).total == D("0.00")


@pytest.mark.parametrize("bad", [0.1, "abc", "", None, "NaN", "Infinity"])
def test_to_decimal_rejects_floats_and_garbage(bad):
    with pytest.raises(MoneyError):
        money.to_decimal(bad)


def test_to_decimal_refuses_commas_rather_than_guess():
    assert money.to_decimal(" 1234.50 ") == D("1234.50")
    with pytest.raises(MoneyError, match="dot for decimals"):
        money.to_decimal("1,250")


# -- drafts ------------------------------------------------------------------------------

def _draft(db, customer, **kw):
    return rules.create_invoice(db.session, customer, issue_date=date(2024, 5, 1),
                                    due_date=date(2024, 5, 31), lines=[line("1", "10")], **kw)


def test_a_new_invoice_is_part_of_the_callers_transaction(db):
    """Nothing is committed behind the caller's back: a rollback leaves no invoice."""
    from app.models import Invoice

    customer_id = make_customer().id
    db.session.expire_all()  # start the next transaction with reads only, like a request
    customer = db.session.get(rules.Customer, customer_id)
    _draft(db, customer)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Invoice.id))) == 0


def test_moving_a_draft_gives_it_to_the_other_customer(db):
    a, b = make_customer(), make_customer()
    invoice = _draft(db, a)
    rules.move_draft(invoice, b)
    db.session.commit()
    assert invoice.customer_id == b.id and invoice.issued_number is None


# -- states ------------------------------------------------------------------------------

def test_draft_can_be_edited_and_finalized(db):
    invoice = make_invoice(via_rules=True, status="draft")
    rules.update_draft(invoice, issue_date=invoice.issue_date, due_date=invoice.due_date,
                           currency="USD", notes="n", lines=[line("1", "50", "10")])
    assert invoice.total == D("55.00")
    rules.finalize(invoice)
    assert invoice.status == "finalized" and invoice.finalized_at is not None


def test_finalized_invoice_refuses_edits(db):
    invoice = make_invoice(via_rules=True, status="finalized")
    with pytest.raises(InvoiceError, match="only drafts"):
        rules.set_lines(invoice, [line("1", "1")])
    with pytest.raises(InvoiceError):
        rules.finalize(invoice)


def test_finalize_needs_lines_and_a_positive_total(db):
    with pytest.raises(InvoiceError, match="at least one line"):
        rules.finalize(make_invoice(via_rules=True, status="draft", lines=[]))
    with pytest.raises(InvoiceError, match="more than zero"):
        rules.finalize(make_invoice(via_rules=True, status="draft", lines=[line("1", "0")]))


def test_due_date_before_issue_date_is_refused(db):
    with pytest.raises(InvoiceError, match="due date"):
        rules.create_invoice(db.session, make_customer(), issue_date=date(2024, 5, 2),
                                 due_date=date(2024, 5, 1))


@pytest.mark.parametrize("status", ["draft", "finalized"])
def test_void_from_draft_or_finalized(db, status):
    invoice = make_invoice(via_rules=True, status=status)
    rules.void(invoice)
    assert invoice.status == "void" and invoice.voided_at is not None


@pytest.mark.parametrize("status", ["partially_paid", "paid", "void"])
def test_void_refused_once_paid_or_void(db, status):
    with pytest.raises(InvoiceError, match="can't be voided"):
        rules.void(make_invoice(via_rules=True, status=status))


# -- payments ----------------------------------------------------------------------------

def test_payments_move_to_partially_paid_then_paid(db):
    invoice = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    rules.record_payment(invoice, amount="100.00", paid_on=date.today())
    assert (invoice.status, invoice.amount_paid, invoice.balance) == (
        "partially_paid", D("100.00"), D("140.00"))
    rules.record_payment(invoice, amount="140", paid_on=date.today(), reference=" r1 ")
    db.session.commit()
    assert (invoice.status, invoice.balance) == ("paid", D("0.00"))
    assert [p.reference for p in invoice.payments] == ["", "r1"]


@pytest.mark.parametrize("amount, message", [
    ("0", "more than zero"), ("-5", "more than zero"), ("1.001", "two decimals"),
    ("abc", "not a number"), ("", "Enter a number"), ("240.01", "more than the balance")])
def test_bad_payments_are_refused(db, amount, message):
    invoice = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    with pytest.raises(InvoiceError, match=message):
        rules.record_payment(invoice, amount=amount, paid_on=date.today())
    assert invoice.payments == [] and invoice.status == "finalized"


def test_overpayment_only_when_explicitly_allowed(db):
    invoice = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    rules.record_payment(invoice, amount="250", paid_on=date.today(),
                             allow_overpayment=True)
    assert invoice.status == "paid" and invoice.balance == D("-10.00")


@pytest.mark.parametrize("status", ["draft", "paid", "void"])
def test_payments_only_on_open_invoices(db, status):
    with pytest.raises(InvoiceError, match="takes no payments"):
        rules.record_payment(make_invoice(via_rules=True, status=status), amount="1",
                                 paid_on=date.today())


# -- overdue -----------------------------------------------------------------------------

def test_overdue_is_derived_from_the_due_date(db):
    from app.models import Invoice

    issue = date.today() - timedelta(days=40)
    late = make_invoice(via_rules=True, status="finalized", issue_date=issue)
    part = make_invoice(via_rules=True, status="partially_paid", issue_date=issue)
    paid = make_invoice(via_rules=True, status="paid", issue_date=issue)
    draft = make_invoice(via_rules=True, status="draft", issue_date=issue)
    current = make_invoice(via_rules=True, status="finalized")
    today = date.today()
    assert [rules.display_status(i, today) for i in (late, part, paid, draft, current)] \
        == ["overdue", "overdue", "paid", "draft", "finalized"]
    ids = set(db.session.scalars(db.select(Invoice.id).where(rules.overdue_clause(today))))
    assert ids == {late.id, part.id}
    assert not rules.is_overdue(late, late.due_date)  # due today is not late
