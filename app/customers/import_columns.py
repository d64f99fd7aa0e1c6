"""Which field each column of an uploaded file holds: names from common exports, and
columns whose values are email addresses whatever they are called.

Exports name the same thing many ways: Outlook "E-mail 2 Address" and "Business Phone",
Google Contacts "E-mail 1 - Value" and "Organization Name", Apple Contacts "Email (work)",
Invoice Ninja "Client Name" and "Contact Email", CRMs "Account Name" and "Mailing City".
A header is compared without case, spaces or punctuation, first as written, then with
its numbers left out ("Home Phone 2" is a phone, "Address 2" is the second street line).
"""
from __future__ import annotations

import re

from app.customers.contacts import EMAIL_SHAPE

_ALIASES = {
    "first_name": ("firstname", "givenname", "forename", "first", "fname",
                   "contactfirstname"),
    "last_name": ("lastname", "surname", "familyname", "last", "lname", "contactlastname"),
    "full_name": ("name", "fullname", "customer", "customername", "contact", "contactname",
                  "displayname"),
    "company": ("company", "companyname", "organisation", "organization", "organisationname",
                "organizationname", "business", "businessname", "account", "accountname",
                "firm", "clientname", "employer"),
    "kind": ("kind", "type", "customertype"),
    "email": ("email", "emailaddress", "mail", "emailvalue", "contactemail", "clientemail",
              "primaryemail", "workemail", "homeemail", "otheremail", "personalemail",
              "businessemail", "emailwork", "emailhome", "emailother", "emailaddresses"),
    "phone": ("phone", "telephone", "tel", "mobile", "cell", "phonenumber", "mobilephone",
              "businessphone", "homephone", "otherphone", "primaryphone", "companymainphone",
              "carphone", "phonevalue", "contactphone", "clientphone", "workphone",
              "mobilenumber", "cellphone", "phonemobile", "phonework", "phonehome",
              "phonemain", "phoneiphone", "mainphone"),
    "tags": ("tags", "tag", "labels", "label", "groups", "groupmembership", "categories"),
    "status": ("status",),
    "owner_email": ("owner", "owneremail", "responsible", "accountmanager", "assignedto",
                    "contactowner", "accountowner", "leadowner"),
    "industry": ("industry", "sector"),
    "source": ("source", "leadsource", "howfound", "referral", "origin"),
    "language": ("language", "lang", "locale", "preferredlanguage"),
    "line1": ("address", "street", "address1", "addressline1", "line1", "streetaddress",
              "businessstreet", "homestreet", "mailingstreet", "billingstreet",
              "addressstreet", "shippingstreet"),
    "line2": ("address2", "addressline2", "line2", "businessstreet2", "homestreet2",
              "addressextendedaddress"),
    "postal_code": ("postcode", "zip", "zipcode", "postalcode", "plz", "zippostalcode",
                    "businesspostalcode", "homepostalcode", "mailingzip",
                    "mailingpostalcode", "mailingzippostalcode", "billingpostalcode",
                    "billingzip", "addresspostalcode"),
    "city": ("city", "town", "businesscity", "homecity", "mailingcity", "billingcity",
             "addresscity"),
    "region": ("region", "county", "province", "state", "stateregion", "stateprovince",
               "businessstate", "homestate", "mailingstate", "billingstate",
               "addressregion"),
    "country": ("country", "countrycode", "countryregion", "businesscountryregion",
                "homecountryregion", "mailingcountry", "billingcountry", "addresscountry"),
    "marketing_consent": ("marketing", "marketingconsent", "newsletter", "optin",
                          "emailoptin", "subscribed"),
    "tax_id": ("taxid", "vat", "vatnumber", "vatid", "taxnumber", "tin"),
    "note": ("note", "notes", "comment", "comments", "remarks", "publicnotes",
             "privatenotes", "description"),
}
_BY_ALIAS = {alias: target for target, aliases in _ALIASES.items() for alias in aliases}
SAMPLE = 50  # values looked at per column
# Fields whose values are rightly email addresses without being the customer's.
_EMAIL_ELSEWHERE = {"email", "owner_email", "note"}


def header_key(name: str) -> str:
    """`"E-mail 2 Address"` → `"email2address"`: lower case, letters and numbers only."""
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("e-mail", "email"))


def guess_target(name: str) -> str:
    """The field a column name stands for, or "" (ignore)."""
    key = header_key(name)
    return _BY_ALIAS.get(key) or _BY_ALIAS.get(re.sub(r"\d+", "", key), "")


def looks_like_emails(values: list[str]) -> bool:
    """Whether most of a column's filled-in cells (a sample) are email addresses."""
    filled = [v.strip() for v in values[:SAMPLE * 4] if v.strip()][:SAMPLE]
    if not filled:
        return False
    hits = sum(1 for v in filled
               if all(EMAIL_SHAPE.fullmatch(p) for p in re.split(r"[;,\s]+", v) if p))
    return hits * 4 >= len(filled) * 3


def email_columns(data: dict) -> list[int]:
    """Columns whose values look like email addresses, by position."""
    rows = data["rows"][:SAMPLE * 4]
    return [i for i in range(len(data["header"]))
            if looks_like_emails([r[i] for r in rows])]


def suggest_mapping(data: dict, repeatable: set[str],
                    named: dict[str, str] | None = None) -> list[str]:
    """A target per column, from its name, or Email when its values are addresses.

    `named` maps more column names to targets (the office's own fields, by their
    names), ahead of the usual ones. A single target goes to the first column that
    names it; the later ones are ignored.
    """
    emails = set(email_columns(data))
    extra = {header_key(k): v for k, v in (named or {}).items()}
    used: set[str] = set()
    mapping = []
    for i, name in enumerate(data["header"]):
        guess = extra.get(header_key(name)) or guess_target(name)
        if guess in used and guess not in repeatable:
            guess = ""
        if not guess and i in emails:
            guess = "email"
        used.add(guess)
        mapping.append(guess)
    return mapping


def ignored_email_warnings(data: dict, mapping: list[str]) -> list[str]:
    """A sentence per column of email addresses that the mapping leaves out."""
    return [f"The column “{data['header'][i]}” looks like email addresses but is "
            f"{'ignored' if not mapping[i] else 'not imported as Email'}. Choose Email for "
            "it, or leave it as it is if these are not the customers' addresses."
            for i in email_columns(data)
            if i < len(mapping) and mapping[i] not in _EMAIL_ELSEWHERE]
