"""Sixty realistic demo customers with contacts, tags, owners and notes (deterministic)."""
from __future__ import annotations

import random
from datetime import timedelta

import phonenumbers

from app import clock
from app.customers.changes import tags_named
from app.customers.consent import change_consent
from app.customers.identifiers import identifier_last4
from app.extensions import db
from app.models import (
    Customer, CustomerAddress, CustomerEmail, CustomerIdentifier, CustomerPhone, Note, User,
    utcnow,
)

COUNT = 60
SEED = 20240611

FIRST = ("Olivia", "Liam", "Amelia", "Noah", "Isla", "Oscar", "Sophie", "Jack", "Aoife",
         "Cian", "Lena", "Felix", "Camille", "Hugo", "Sanne", "Daan", "Priya", "Tomasz",
         "Fatima", "Jonas", "Chloé", "Ruairí", "Marta", "Yusuf", "Ingrid", "Mateo")
LAST = ("Walsh", "Murphy", "Clarke", "Bennett", "Okafor", "Schneider", "Dubois", "de Vries",
        "Kowalski", "Nowak", "Fischer", "Moreau", "Byrne", "Patel", "Hughes", "Jansen",
        "Lefèvre", "O'Brien", "Müller", "Kelly", "Evans", "Rossi", "Lindqvist", "Novak")
COMPANIES = ("Harbour Lane Bakery", "Northwind Joinery", "Kestrel Accountants",
             "Blue Fern Dental", "Atlas Print & Copy", "Greenway Landscaping",
             "Lindenhof Apotheke", "Boulangerie Martin", "Van Dijk Fietsen",
             "Copperleaf Architects", "Riverside Veterinary", "Brightside Tutoring",
             "Studio Okapi", "Marlow & Finch Solicitors", "Quayside Fish Co.",
             "Alpine Ski Hire", "Fennel & Thyme Catering", "Oakridge Builders",
             "Salt Road Surf School", "Kaffeehaus Meier")
PLACES = (  # region, city, postcode, street
    ("GB", "London", "N1 7GU", "14 Canonbury Lane"), ("GB", "Bristol", "BS1 4DJ", "3 King St"),
    ("GB", "Leeds", "LS1 5DL", "22 Park Row"), ("IE", "Dublin", "D02 X285", "9 Dame Lane"),
    ("IE", "Galway", "H91 E2K3", "41 Shop St"), ("DE", "Berlin", "10115", "Torstraße 112"),
    ("DE", "München", "80331", "Sendlinger Str. 7"), ("FR", "Lyon", "69002", "18 Rue Mercière"),
    ("NL", "Utrecht", "3511 LB", "Oudegracht 201"),
)
INDUSTRIES = ("Retail", "Hospitality", "Professional services", "Construction", "Health",
              "Education", "Manufacturing", "Creative")
SOURCES = ("Referral", "Website", "Trade fair", "Google", "Walk-in", "Existing client")
TAGS = ("vip", "wholesale", "newsletter", "late payer", "quarterly", "eu", "prospect",
        "partner")
NOTES = (
    ("call", "Called about the renewal; will decide by the end of the month."),
    ("email", "Sent the updated price list and the terms for annual billing."),
    ("meeting", "Met at their office. Interested in adding a second location next year."),
    ("call", "Asked to move invoices to the finance mailbox from now on."),
    ("other", "Prefers paper copies of invoices in addition to email."),
    ("meeting", "Quarterly review: happy with service, raised a question about VAT."),
    ("call", "Left a voicemail about the overdue invoice."),
    ("email", "Confirmed the new delivery address."),
)


def _phone(rng: random.Random, region: str, mobile: bool) -> tuple[str, str]:
    kind = phonenumbers.PhoneNumberType.MOBILE if mobile else \
        phonenumbers.PhoneNumberType.FIXED_LINE
    base = phonenumbers.example_number_for_type(region, kind)
    digits = str(base.national_number)
    for _ in range(20):
        candidate = digits[:-3] + f"{rng.randrange(1000):03d}"
        number = phonenumbers.parse(f"+{base.country_code}{candidate}")
        if phonenumbers.is_valid_number(number):
            break
    else:
        number = base
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower().replace(" ", ".") if ch.isalnum() or ch == ".")


def seed_customers() -> dict[str, int]:
    """Add the demo customers once (does nothing when customers exist)."""
    if db.session.scalar(db.select(db.func.count(Customer.id))):
        return {"customers": 0}
    rng = random.Random(SEED)
    users = {u.role: u for u in db.session.scalars(db.select(User).order_by(User.id))}
    owners = [u for role, u in users.items() if role in ("staff", "billing", "admin")]
    authors = owners or [None]
    tags = tags_named(TAGS)
    today = clock.today()
    notes = 0
    for i in range(COUNT):
        company = i % 3 == 0
        region, city, postcode, street = PLACES[i % len(PLACES)]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        c = Customer(kind="company" if company else "person",
                     first_name="" if company and i % 2 else first,
                     last_name="" if company and i % 2 else last,
                     company=COMPANIES[(i // 3) % len(COMPANIES)] if company
                     else (rng.choice(COMPANIES) if rng.random() < .3 else ""),
                     industry=rng.choice(INDUSTRIES), source=rng.choice(SOURCES),
                     language={"DE": "de", "FR": "fr", "NL": "nl"}.get(region, "en"),
                     # British customers are billed in pounds; the rest in the office's euros.
                     currency="GBP" if region == "GB" else "",
                     size=rng.choice(("1", "2-9", "10-49", "50-249")) if company else "",
                     status="active" if rng.random() < .85 else rng.choice(("inactive",
                                                                            "archived")))
        # Staff own a third of the customers, so the staff login has a real book.
        c.owner = users.get("staff") if i % 3 == 1 else (rng.choice(owners) if owners
                                                           else None)
        domain = _slug(c.company or f"{last}-mail").replace(".", "")[:18] + ".example"
        person = _slug(f"{first}.{last}")
        c.emails.append(CustomerEmail(address=f"{'info' if company else person}@{domain}",
                                      is_primary=True, state="ok"))
        if rng.random() < .4:
            c.emails.append(CustomerEmail(address=f"{person}@post{i}.example", label="private",
                                          state=rng.choice(("unverified", "ok", "invalid"))))
        e164, display = _phone(rng, region, mobile=not company)
        c.phones.append(CustomerPhone(e164=e164, display=display,
                                      label="office" if company else "mobile"))
        if rng.random() < .3:
            e164, display = _phone(rng, region, mobile=company)
            c.phones.append(CustomerPhone(e164=e164, display=display, label="other"))
        c.addresses.append(CustomerAddress(label="billing", line1=street, city=city,
                                           postal_code=postcode, country=region))
        if company and rng.random() < .7:
            vat = f"{region}{rng.randrange(10**8, 10**9)}"
            c.identifiers.append(CustomerIdentifier(kind="vat", value=vat,
                                                    last4=identifier_last4(vat)))
        c.tags = rng.sample(tags, rng.randrange(0, 3))
        if rng.random() < .5:
            # Keywords in this order: the seed draws the time before the source.
            change_consent(c, "marketing", True,
                           at=utcnow() - timedelta(days=rng.randrange(10, 700)),
                           source=rng.choice(("signup form", "signed order form",
                                              "phone call")))
        c.last_verified_on = today - timedelta(days=rng.randrange(0, 500)) \
            if rng.random() < .7 else None
        if rng.random() < .08:
            c.needs_review, c.needs_review_reason = True, "Post returned: address unknown"
        c.created_at = utcnow() - timedelta(days=rng.randrange(30, 900))
        db.session.add(c)
        db.session.flush()
        for _ in range(rng.randrange(0, 5)):
            kind, body = rng.choice(NOTES)
            author = rng.choice(authors)
            db.session.add(Note(customer_id=c.id, author_id=author.id if author else None,
                                kind=kind, body=body,
                                occurred_at=utcnow() - timedelta(days=rng.randrange(1, 400),
                                                                 minutes=rng.randrange(600))))
            notes += 1
    _enter_twice()
    db.session.flush()
    return {"customers": COUNT, "notes": notes}


def _enter_twice() -> None:
    """One person on file twice, as offices have them (Customers → Duplicates shows it):
    the last person takes the first person's name and gains their email address."""
    people = list(db.session.scalars(db.select(Customer).where(Customer.kind == "person")
                                      .order_by(Customer.id)))
    if len(people) < 2:
        return
    first, twin = people[0], people[-1]
    twin.first_name, twin.last_name = first.first_name, first.last_name
    twin.emails.append(CustomerEmail(address=first.emails[0].address, label="old",
                                     state="unverified"))

