"""The admin filters (users, audit log) take `%` and `_` as typed, never as wildcards."""
from __future__ import annotations

import re
from pathlib import Path

from app import audit
from app.extensions import db

APP = Path(__file__).resolve().parents[2] / "app"


def _emails(text: str) -> set[str]:
    return set(re.findall(r"[\w.%+-]+@example\.(?:com|org)", text))


def test_users_filter_takes_percent_and_underscore_literally(client, login_as, make_user):
    login_as("admin")
    make_user("staff", email="a_b@example.org", name="Ann Under")
    make_user("staff", email="axb@example.org", name="Ax Bee")
    make_user("staff", email="pct@example.org", name="100% sure")
    make_user("staff", email="plain@example.org", name="100 sure")
    assert _emails(client.get("/admin/users?q=a_b").text) & {"a_b@example.org",
                                                             "axb@example.org"} == {"a_b@example.org"}
    found = _emails(client.get("/admin/users?q=100%25").text)
    assert "pct@example.org" in found and "plain@example.org" not in found
    assert "plain@example.org" in _emails(client.get("/admin/users?q=100").text)
    nothing = client.get("/admin/users?q=%25").text  # "%" alone matches no one
    assert not _emails(nothing) & {"a_b@example.org", "axb@example.org", "plain@example.org"}


def test_audit_filter_is_a_literal_prefix(client, login_as):
    admin = login_as("admin")
    for action in ("invoice_x.sent", "invoiceYx.sent", "invoice.emailed"):
        audit.record(action, user=admin, summary=f"did {action}")
    db.session.commit()
    page = client.get("/admin/audit?action=invoice_").text
    assert "did invoice_x.sent" in page
    assert "did invoiceYx.sent" not in page and "did invoice.emailed" not in page
    assert "did invoice" not in client.get("/admin/audit?action=%25").text


def test_every_like_filter_goes_through_the_one_helper():
    """`contains_text` / `starts_with_text` in app/models/base.py escape the wildcards; a
    hand-written LIKE elsewhere would not."""
    raw_like = re.compile(r"\.(i?like|contains|startswith|endswith)\([^)]*autoescape|"
                          r"\.(not_)?i?like\(")
    offenders = [str(p.relative_to(APP)) for p in APP.rglob("*.py")
                 if p.name != "base.py" and raw_like.search(p.read_text())]
    assert offenders == []
