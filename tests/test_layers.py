"""The layers of `app/` hold: blueprints → web → domains → models / events, request
globals only in the web layer, and no import cycle but a blueprint's own."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.layers import plant, violations

APP = Path(__file__).resolve().parents[1] / "app"


def test_the_app_keeps_its_layers():
    assert [str(v) for v in violations(APP)] == []


@pytest.mark.parametrize("files, expected", [
    ({"customers/search.py": "from flask import request\n"}, "reads request globals"),
    ({"invoices/rules.py": "from flask_login import current_user\n"}, "reads request globals"),
    ({"customers/search.py": "from fake.web.render import render\n", "web/render.py": ""},
     "domain imports web"),
    ({"mail/outbox.py": "from fake.jobs.mail import send\n", "jobs/mail.py": ""},
     "domain imports entry"),
    ({"events/status.py": "from fake.models import Thing\n", "models/__init__.py": ""},
     "events imports models"),
    ({"models/users.py": "from fake.customers import access\n", "customers/access.py": ""},
     "models imports domain"),
    ({"web/render.py": "import fake.blueprints.main\n", "blueprints/main/__init__.py": ""},
     "web imports blueprints"),
    ({"customers/a.py": "from fake.customers import b\n",
      "customers/b.py": "from fake.customers import a\n"}, "import cycle"),
])
def test_the_guard_fails_on_a_planted_violation(tmp_path, files, expected):
    found = [str(v) for v in violations(plant(tmp_path, files), "fake")]
    assert any(expected in v for v in found), found


def test_a_blueprint_and_its_own_route_modules_may_import_each_other(tmp_path):
    root = plant(tmp_path, {
        "blueprints/notes/__init__.py": "from fake.blueprints.notes import routes\n",
        "blueprints/notes/routes.py": "from fake.blueprints.notes import bp\n",
        "web/render.py": "", "customers/search.py": "from fake.models import x\n",
        "models/__init__.py": ""})
    assert violations(root, "fake") == []
