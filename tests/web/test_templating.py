"""Templates display, views decide: no retyped state list, no read of the request but its
endpoint, no Jinja global that reaches the database, one macro per shared piece."""
from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.events.status import Status
from app.extensions import db
from app.invoices.rules import STATUS_LABELS
from app.models import CUSTOMER_STATUSES, INVOICE_STATES
from tests.support.templates_rule import database_globals, request_reads, retyped_lists

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
# Every state the code names: invoices (with the displayed overdue / open), Sent Status,
# customers.
STATES = {*INVOICE_STATES, *STATUS_LABELS, *(s.value for s in Status), *CUSTOMER_STATUSES}


@pytest.fixture
def env(app_config):
    return create_app(app_config).jinja_env


def _all_templates():
    return [(p.relative_to(TEMPLATES).as_posix(), p.read_text(encoding="utf-8"))
            for p in sorted(TEMPLATES.rglob("*.html"))]


def test_templates_read_state_lists_from_the_code(env):
    assert retyped_lists(env, _all_templates(), STATES) == []


@pytest.mark.parametrize("source", [
    "{% if invoice.status in ('finalized', 'partially_paid') %}pay{% endif %}",
    "{% if st.key not in ['queued', 'delayed'] %}{% endif %}",
    "{% set open = ('finalized', 'partially_paid') %}{{ invoice.status in open }}",
    "{{ item.at if item.kind not in ('invoice', 'payment') else item.day }}",
])
def test_the_state_list_guard_fails_on_a_planted_copy(env, source):
    assert retyped_lists(env, [("planted.html", source)], STATES) != []


def test_display_lists_and_single_comparisons_pass_the_state_list_guard(env):
    source = ("{% for key, label in (('date', 'Date'), ('status', 'Status')) %}{% endfor %}"
              "{% if invoice.status == 'draft' %}{% endif %}"
              "{% if invoice.status in OPEN_STATES %}{% endif %}")
    assert retyped_lists(env, [("fine.html", source)], STATES) == []


def test_templates_read_only_the_endpoint_of_the_request(env):
    assert request_reads(env, _all_templates()) == []


@pytest.mark.parametrize("source", [
    "{{ request.form.get('role_1') }}",
    "{% if request.method == 'POST' %}{% endif %}",
    "{% if request.headers.get('HX-Request') %}{% endif %}",
    "{% set r = request %}{{ r.args }}",
])
def test_the_request_guard_fails_on_a_planted_read(env, source):
    assert request_reads(env, [("planted.html", source)]) != []


def test_no_jinja_global_reaches_the_database(env):
    assert database_globals(env, db) == []


def test_the_database_guard_fails_on_a_planted_global(env):
    from app.mail import history

    env.globals["email_messages_for"] = history.messages_for_invoice
    env.filters["emails"] = lambda invoice: history.messages_for_invoice(invoice.id)
    found = database_globals(env, db)
    assert any("'email_messages_for'" in f for f in found), found
    assert any("'emails'" in f for f in found), found


def test_the_invoice_email_icon_is_one_macro():
    """The list's cell and its live update draw the icon through invoices/_macros.html."""
    drawn = [name for name, source in _all_templates() if "mail-icon" in source]
    assert drawn == ["invoices/_macros.html"]
    for name in ("invoices/index.html", "invoices/changes.html"):
        assert "email_cell" in (TEMPLATES / name).read_text(), name


def test_the_report_pages_share_one_layout():
    """One header and tabs for every tabbed report page: reports/_layout.html."""
    pages = [name for name, source in _all_templates()
             if name.startswith("reports/") and "reports/_tabs.html" in source]
    assert pages == ["reports/_layout.html"]
    tabbed = sorted(name for name, source in _all_templates()
                    if '{% extends "reports/_layout.html" %}' in source)
    assert tabbed == ["reports/activity.html", "reports/customers.html",
                      "reports/emails.html", "reports/receivables.html",
                      "reports/revenue.html"]
    assert [name for name, source in _all_templates()
            if 'id="report-region"' in source] == ["reports/_layout.html"]
