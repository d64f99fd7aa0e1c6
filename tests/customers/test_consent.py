"""Consent changes in one place: value, time and source, whichever door they come through."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.customers import csv_import
from app.customers.consent import change_consent, erase_consents
from app.customers.privacy import erase_customer
from app.demo.customers import seed_customers
from app.mail import outbox
from app.mail.consequences import after_complaint
from app.models import AuditLog, Customer, CustomerEmail, utcnow
from tests.conftest import csrf_token
from tests.factories import make_customer, make_invoice
from tests.support.layers import plant
from tests.support.writes import consent_writes

APP = Path(__file__).resolve().parents[2] / "app"
HX = {"HX-Request": "true"}


def _consent(customer: Customer, kind: str = "marketing"):
    return tuple(getattr(customer, f"{kind}_consent{s}") for s in ("", "_at", "_source"))


def _fresh(db, customer: Customer) -> Customer:
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


# -- the one function ------------------------------------------------------------------

def test_a_change_records_value_time_and_source(db):
    c = make_customer()
    when = utcnow() - timedelta(days=3)
    assert change_consent(c, "sharing", True, source="signed form", at=when)
    assert _consent(c, "sharing") == (True, when, "signed form")
    assert _consent(c) == (False, None, "")  # the other consent is untouched


def test_the_same_answer_again_changes_nothing(db):
    c = make_customer()
    first = utcnow() - timedelta(days=30)
    change_consent(c, "marketing", True, source="signup form", at=first)
    assert not change_consent(c, "marketing", True, source="phone call")
    assert _consent(c) == (True, first, "signup form")


def test_the_source_is_cut_to_the_column(db):
    c = make_customer()
    change_consent(c, "marketing", True, source="x" * 500)
    db.session.commit()
    assert _fresh(db, c).marketing_consent_source == "x" * 200


def test_an_unknown_consent_is_refused(db):
    with pytest.raises(ValueError):
        change_consent(make_customer(), "telepathy", True, source="")


def test_a_new_customer_has_no_answer_yet_so_no_is_recorded(db):
    c = Customer(first_name="Ada")
    assert change_consent(c, "marketing", False, source="CSV import old.csv")
    assert _consent(c)[0] is False and _consent(c)[2] == "CSV import old.csv"


def test_erasure_withdraws_and_forgets_even_a_withdrawn_consent(db):
    c = make_customer()
    change_consent(c, "marketing", True, source="signup form", at=utcnow() - timedelta(1))
    change_consent(c, "marketing", False, source="grace@navy.example asked",
                   at=utcnow() - timedelta(hours=1))
    change_consent(c, "sharing", True, source="order form", at=utcnow() - timedelta(2))
    when = utcnow()
    erase_consents(c, at=when)
    assert _consent(c) == (False, when, "") and _consent(c, "sharing") == (False, when, "")


# -- every door goes through it --------------------------------------------------------

def test_the_file_page_records_who_changed_it(client, login_as, db):
    admin = login_as("admin")
    c = make_customer()
    token = csrf_token(client, f"/customers/{c.id}")
    form = {"csrf_token": token, "preferred_channel": "email", "marketing_consent": "y",
            "source": ""}
    assert client.post(f"/customers/{c.id}/consent/edit", headers=HX, data=form).status_code \
        == 200
    given = _consent(_fresh(db, c))
    assert given[0] and given[1] and given[2] == f"customer file, by {admin.email}"
    client.post(f"/customers/{c.id}/consent/edit", headers=HX, data=form | {"source": "again"})
    assert _consent(_fresh(db, c)) == given  # saved again unchanged: same time and source
    client.post(f"/customers/{c.id}/consent/marketing/withdraw", headers=HX,
                data={"csrf_token": token})
    withdrawn = _consent(_fresh(db, c))
    assert withdrawn[0] is False and withdrawn[1] >= given[1]
    assert withdrawn[2] == f"withdrawn in the customer file, by {admin.email}"
    client.post(f"/customers/{c.id}/consent/marketing/withdraw", headers=HX,
                data={"csrf_token": token})
    assert _consent(_fresh(db, c)) == withdrawn
    assert len(db.session.scalars(db.select(AuditLog).filter_by(
        action="customer.consent_withdrawn")).all()) == 1


def _import(db, user, text: str, mode: str = "skip") -> None:
    data = csv_import.read_csv(text.encode())
    review = csv_import.validate(data, csv_import.suggest_mapping(data), mode, "GB")
    assert review.ok, [r.errors for r in review.errors]
    csv_import.apply(review, user=user, filename="spring.csv")
    db.session.commit()


def test_an_import_records_the_file(db, make_user):
    user = make_user("admin")
    kept = make_customer(first_name="Alan", last_name="Turing", emails=("alan@example.com",))
    _import(db, user, "Name,Email,Marketing\n"
                      "Grace Hopper,grace@example.com,yes\n"
                      "Ada Lovelace,ada@example.com,no\n"
                      "Alan Turing,alan@example.com,no\n", mode="update")
    by_name = {c.last_name: c for c in db.session.scalars(db.select(Customer))}
    grace, ada = _consent(by_name["Hopper"]), _consent(by_name["Lovelace"])
    assert grace[0] is True and grace[1] and grace[2] == "CSV import spring.csv"
    # A new customer's "no" is an answer: when and where from are kept.
    assert ada[0] is False and ada[1] and ada[2] == "CSV import spring.csv"
    # An existing customer already without consent: nothing to record.
    assert _consent(_fresh(db, kept)) == (False, None, "")


def test_a_spam_complaint_withdraws_marketing_consent(db):
    customer = make_customer(emails=("annoyed@example.org",))
    change_consent(customer, "marketing", True, source="signup form")
    change_consent(customer, "sharing", True, source="signup form")
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("annoyed@example.org")],
                                     subject="Invoice", body="Hi",
                                     invoice=make_invoice(customer), attach_pdf=False)
    db.session.commit()
    after_complaint(message)
    db.session.commit()
    customer = _fresh(db, customer)
    email = db.session.scalars(db.select(CustomerEmail)).one()
    assert _consent(customer) == (False, email.suppressed_at, "withdrawn by spam complaint")
    assert _consent(customer, "sharing")[:1] == (True,)


def test_erasure_withdraws_both_consents(db):
    c = make_customer()
    change_consent(c, "marketing", True, source="grace.csv")
    db.session.commit()
    erase_customer(c)
    db.session.commit()
    c = _fresh(db, c)
    assert _consent(c)[0] is False and _consent(c)[1] == c.marketing_consent_at
    assert _consent(c)[2] == "" and _consent(c, "sharing")[::2] == (False, "")
    assert c.sharing_consent_at is not None


def test_demo_consents_have_a_past_time_and_a_source(db, make_user):
    make_user("admin")
    make_user("staff")
    seed_customers()
    db.session.commit()
    given = [c for c in db.session.scalars(db.select(Customer)) if c.marketing_consent]
    assert given
    for c in given:
        assert c.marketing_consent_at < utcnow() - timedelta(days=9)
        assert c.marketing_consent_source in ("signup form", "signed order form", "phone call")


# -- the guard ---------------------------------------------------------------------------

def test_only_the_consent_module_writes_consent_columns():
    assert [str(w) for w in consent_writes(APP)] == []


@pytest.mark.parametrize("source", [
    "def f(c):\n    c.marketing_consent = True\n",
    "def f(c):\n    c.marketing_consent, c.sharing_consent_at = False, None\n",
    "def f(c, kind):\n    setattr(c, f'{kind}_consent_source', 'x')\n",
    "def f(c):\n    for field in ('company', 'sharing_consent_source'):\n"
    "        setattr(c, field, '')\n",
    "def f():\n    return Customer(first_name='A', marketing_consent=True)\n",
    "def f():\n    return update(Customer).values(sharing_consent=False)\n",
    "def f(s):\n    s.execute(update(Customer), [{'id': 1, 'marketing_consent_at': None}])\n",
])
def test_the_consent_guard_fails_on_a_planted_write(tmp_path, source):
    root = plant(tmp_path, {"mail/complaints.py": source})
    assert len(consent_writes(root, "fake")) >= 1


def test_the_consent_guard_allows_the_writer_and_nothing_else_in_its_module(tmp_path):
    writer = "def _write(c, kind):\n    setattr(c, f'{kind}_consent', True)\n"
    root = plant(tmp_path, {"customers/consent.py": writer})
    assert consent_writes(root, "fake") == []
    root = plant(tmp_path, {"customers/consent.py": writer +
                             "def change(c):\n    c.marketing_consent = True\n"})
    assert [w.what for w in consent_writes(root, "fake")] == ["assigns marketing_consent"]
