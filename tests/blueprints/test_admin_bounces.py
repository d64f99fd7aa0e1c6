from __future__ import annotations

from app.extensions import db
from app.mail import inbound
from app.models import InboundMessage
from tests.conftest import csrf_token


def test_review_list_shows_unparsed_mail_escaped_and_can_dismiss(app, client, login_as):
    inbound_id = inbound.store(b"Subject: <script>x</script>\r\n\r\nhello <b>", via="pipe")
    inbound.process(inbound_id)
    login_as("admin")
    listing = client.get("/admin/bounces")
    assert listing.status_code == 200 and "unparsed" in listing.text
    page = client.get(f"/admin/bounces/{inbound_id}")
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text and "<script>x" not in page.text
    done = client.post(f"/admin/bounces/{inbound_id}/resolve",
                       data={"action": "ignore", "csrf_token": csrf_token(client)})
    assert done.status_code == 303
    assert db.session.get(InboundMessage, inbound_id).state == "ignored"
    bad = client.post(f"/admin/bounces/{inbound_id}/resolve",
                      data={"action": "explode", "csrf_token": csrf_token(client)})
    assert bad.status_code == 400
    # From a stale page: a handled message is not processed again.
    again = client.post(f"/admin/bounces/{inbound_id}/resolve",
                        data={"action": "reprocess", "csrf_token": csrf_token(client)})
    assert again.status_code == 303
    assert db.session.get(InboundMessage, inbound_id).state == "ignored"


def test_only_admins_review_bounces(client, login_as):
    login_as("billing")
    assert client.get("/admin/bounces").status_code == 403
