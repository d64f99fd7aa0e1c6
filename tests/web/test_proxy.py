"""PROXY_COUNT: the client address comes from the reverse proxy, and only then."""
from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db
from app.models import AuditLog
from tests.conftest import _Client, login


@pytest.mark.parametrize("count, expected", [(1, "203.0.113.9"), (0, "127.0.0.1")])
def test_login_audit_sees_the_forwarded_address_only_behind_a_proxy(
        app, make_user, count, expected):
    behind = create_app({**app.config, "PROXY_COUNT": count,
                         "INSTANCE_PATH": app.instance_path})
    behind.test_client_class = _Client
    user = make_user("staff")
    client = behind.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    with behind.app_context():
        assert login(client, user.email).status_code == 302
    entry = db.session.scalars(db.select(AuditLog).filter_by(action="login.success")).one()
    assert entry.ip == expected
