"""Templates display, views decide: no retyped state list, no read of the request but its
endpoint, no Jinja global that reaches the database, one macro per shared piece."""
from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.events.status import Status
from app.invoices.rules import STATUS_LABELS
from app.models import CUSTOMER_STATUSES, INVOICE_STATES
from tests.support.templates_rule import retyped_lists

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
