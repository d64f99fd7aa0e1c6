"""Every customer route and fragment, for every role, on assigned and unassigned customers."""
from __future__ import annotations

import re

import pytest

from app.customers.merge import merge_customers
from app.extensions import db
from app.models import ROLES, CustomerImport, SavedFilter
from app.permissions import ROLE_PERMISSIONS
from app.web.auth import declared_permission
from tests.conftest import csrf_token
from tests.factories import make_customer

HX = {"HX-Request": "true"}


def _customer_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("customers."):
            permission = declared_permission(app.view_functions[rule.endpoint])
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method, permission


FINISHED_IMPORT = {"customers.import_skipped"}


def _url(rule, customer_id, filter_id, import_id, **extra) -> str:
    values = {"customer_id": customer_id, "name": "contact", "kind": "marketing",
              "filter_id": filter_id, "import_id": import_id, **extra}
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _fresh(rule, user, make_user) -> dict:
    """A merge needs a second file, an undo a merge: new ones each time (a merge and an
    undo each happen once)."""
    extra = {}
    if "other_id" in rule.arguments:
        extra["other_id"] = make_customer(owner=user).id
    if "merge_id" in rule.arguments:
        record = merge_customers(make_customer(owner=user), make_customer(owner=user), {},
                                 user=make_user("admin"))
        db.session.commit()
        extra["merge_id"] = record.id
    return extra


@pytest.mark.parametrize("role", ROLES)
def test_every_customer_route_for_every_role(app, client, db, login_as, make_user, role):
    user = login_as(role)
    colleague = make_user("staff")
    mine = make_customer(first_name="Mine", last_name="Assigned", owner=user,
                         emails=("mine@example.com",))
    theirs = make_customer(first_name="Theirs", last_name="Unassigned", owner=colleague,
                           emails=("theirs@example.com",))
    saved = SavedFilter(user_id=user.id, name="x", query="q=a")
    upload = CustomerImport(user_id=user.id, filename="a.csv",
                            data={"header": ["Name"], "rows": [["Ada"]]}, mapping=["full_name"])
    # A finished import with a row set aside: the routes about a finished import use it.
    finished = CustomerImport(user_id=user.id, filename="b.csv", state="done", mapping=[],
                              skipped={"header": ["Name"], "rows": [[3, "No name", ""]]})
    db.session.add_all([saved, upload, finished])
    db.session.commit()
    token = csrf_token(client, "/customers/")
    sees_all = "customers.view_all" in ROLE_PERMISSIONS[role]
    checked = 0
    for rule, method, permission in _customer_routes(app):
        allowed = permission in ROLE_PERMISSIONS[role]
        for target in (mine, theirs):
            if "customer_id" not in rule.arguments and target is theirs:
                continue
            for headers in ({}, HX):
                import_id = finished.id if rule.endpoint in FINISHED_IMPORT else upload.id
                url = _url(rule, target.id, saved.id, import_id,
                           **_fresh(rule, user, make_user))
                headers = {**headers, "X-CSRFToken": token} if method == "POST" else headers
                response = client.open(url, method=method, headers=headers)
                checked += 1
                where = f"{role} {method} {url} {headers.get('HX-Request', '')}"
                assert response.status_code != 500, where
                if not allowed:
                    assert response.status_code == 403, where
                elif target is theirs and not sees_all:
                    assert response.status_code == 404, where
                    assert "Theirs" not in response.text, where
                else:
                    assert response.status_code not in (403, 404), where
                # Some POSTs change things; put the fixtures back for the next route.
                db.session.rollback()
                if db.session.get(SavedFilter, saved.id) is None:
                    saved = SavedFilter(user_id=user.id, name="x", query="q=a")
                    db.session.add(saved)
                    db.session.commit()
    assert checked > 50


@pytest.mark.parametrize("role", ["admin", "billing", "viewer"])
def test_list_shows_everyone_to_roles_that_see_all(client, login_as, make_user, role):
    login_as(role)
    make_customer(first_name="Theirs", last_name="Unassigned", owner=make_user("staff"))
    assert "Theirs Unassigned" in client.get("/customers/").text


def test_staff_list_and_search_show_only_their_customers(client, login_as, make_user):
    staff = login_as("staff")
    make_customer(first_name="Mine", last_name="Assigned", owner=staff)
    make_customer(first_name="Theirs", last_name="Unassigned", owner=make_user("staff"))
    page = client.get("/customers/")
    assert "Mine Assigned" in page.text and "Theirs" not in page.text
    assert "Theirs" not in client.get("/customers/?q=theirs&owner=none", headers=HX).text


def test_staff_cannot_open_unassigned_customer(client, login_as, make_user):
    login_as("staff")
    theirs = make_customer(first_name="Theirs", last_name="Unassigned", owner=make_user("staff"))
    for path in ("", "/timeline", "/section/contact", "/contact/edit", "/identity/edit"):
        for headers in ({}, HX):
            response = client.get(f"/customers/{theirs.id}{path}", headers=headers)
            assert response.status_code in (403, 404), path
            assert "Theirs" not in response.text


def test_viewer_sees_no_edit_controls(client, login_as):
    login_as("viewer")
    c = make_customer(id_number="GB123456789", marketing_consent=True)
    page = client.get(f"/customers/{c.id}").text
    assert "data-testid=\"edit-" not in page and "Add a note" not in page
    assert "Withdraw" not in page and "GB123456789" not in page


def test_staff_sees_contact_edit_but_not_identity_edit(client, login_as):
    staff = login_as("staff")
    c = make_customer(owner=staff)
    page = client.get(f"/customers/{c.id}").text
    assert 'data-testid="edit-contact"' in page and 'data-testid="edit-identity"' not in page
    assert "Add a note" in page
