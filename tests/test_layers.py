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


# The domain words, and the trees that must each use them for the same thing. `mail` has
# no blueprint of its own: its HTTP side is the tracking links and the providers' webhooks.
DOMAINS = ("customers", "invoices", "mail", "reports", "admin", "attention", "followups",
           "reminders", "settings")
HTTP_SIDE = {"mail": ("tracking", "webhooks")}
WITHOUT_TABLES = {"reports", "admin"}  # admin's tables are the users' (app/models/users.py)
MAX_TOP_LEVEL_MODULES = 12


def layout_problems(root: Path) -> list[str]:
    """What is missing from one name per domain, the same in every tree."""
    app, tests = root / "app", root / "tests"
    problems = []
    for word in DOMAINS:
        places = [app / word / "__init__.py", app / "templates" / word,
                  tests / word / "__init__.py"]
        places += [app / "blueprints" / side / "__init__.py"
                   for side in HTTP_SIDE.get(word, (word,))]
        if word not in WITHOUT_TABLES:
            places.append(app / "models" / f"{word}.py")
        problems += [f"{word}: no {p.relative_to(root)}" for p in places if not p.exists()]
    modules = sorted(p.name for p in app.glob("*.py") if p.name != "__init__.py")
    if len(modules) > MAX_TOP_LEVEL_MODULES:
        problems.append(f"{len(modules)} top-level modules in app/: {modules}")
    return problems


def test_each_domain_has_one_name_in_every_tree():
    assert layout_problems(APP.parent) == []


def test_the_layout_guard_finds_a_domain_missing_from_a_tree(tmp_path):
    for word in DOMAINS:
        for folder in (f"app/{word}", f"tests/{word}", f"app/blueprints/{word}"):
            (tmp_path / folder).mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / "__init__.py").touch()
        (tmp_path / "app/templates" / word).mkdir(parents=True)
        (tmp_path / "app/models").mkdir(exist_ok=True)
        (tmp_path / "app/models" / f"{word}.py").touch()
    for side in HTTP_SIDE["mail"]:
        (tmp_path / "app/blueprints" / side).mkdir(exist_ok=True)
        (tmp_path / "app/blueprints" / side / "__init__.py").touch()
    assert layout_problems(tmp_path) == []
    (tmp_path / "tests/invoices/__init__.py").unlink()
    for n in range(13):
        (tmp_path / "app" / f"module{n}.py").touch()
    problems = layout_problems(tmp_path)
    assert problems[0] == "invoices: no tests/invoices/__init__.py"
    assert problems[1].startswith("13 top-level modules")
