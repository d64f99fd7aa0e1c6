"""Tracking image and links: always answer, never redirect openly, lose nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.mail import hits, outbox
from app.mail.tracking import link_url, make_token, open_url
from app.models import EmailEvent, EmailLink, EmailMessage
from app.models.base import utcnow
from tests.factories import make_customer, make_invoice


@pytest.fixture
def sent_message(app):
    invoice = make_invoice(make_customer())
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("c@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice,
                                     attach_pdf=False)
    message.state = message.status = "sent"
    message.sent_at = utcnow() - timedelta(hours=1)
    link = EmailLink(message=message, url="https://office.example/terms?a=1&b=2")
    db.session.add(link)
    db.session.commit()
    return message


def _path(url: str) -> str:
    return url.split("localhost", 1)[1]


def test_pixel_is_a_43_byte_gif_whatever_the_token(client, sent_message):
    for path in (_path(open_url(sent_message)), "/t/o/garbage.gif",
                 "/t/o/" + "A" * 300 + ".gif", _path(open_url(sent_message))[:-8] + "x.gif"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.mimetype == "image/gif" and len(response.data) == 43
        assert "no-store" in response.headers["Cache-Control"]


def test_open_is_queued_then_drained_into_an_event(app, client, sent_message):
    client.get(_path(open_url(sent_message)),
               headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Thunderbird/128.0"})
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 0
    assert hits.drain() == 1
    db.session.expire_all()
    message = db.session.get(EmailMessage, sent_message.id)
    assert message.status == "opened" and message.human_opens == 1
    (event,) = message.events
    assert (event.type, event.source, event.automated) == ("opened", "pixel", False)


def test_head_requests_never_count(client, sent_message):
    response = client.head(_path(open_url(sent_message)))
    assert response.status_code == 200
    assert hits.drain() == 0


def test_apple_proxy_open_is_automated_and_gmail_proxy_is_human(app, client, sent_message):
    client.get(_path(open_url(sent_message)), headers={"User-Agent": "Mozilla/5.0"},
               environ_base={"REMOTE_ADDR": "17.58.100.7"})
    client.get(_path(open_url(sent_message)),
               headers={"User-Agent": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
                                      "(via ggpht.com GoogleImageProxy)"},
               environ_base={"REMOTE_ADDR": "66.249.84.1"})
    hits.drain()
    db.session.expire_all()
    message = db.session.get(EmailMessage, sent_message.id)
    assert (message.automated_opens, message.human_opens) == (1, 1)


def test_automated_open_alone_does_not_show_opened(app, client, sent_message):
    client.get(_path(open_url(sent_message)), headers={"User-Agent": "Mozilla/5.0"},
               environ_base={"REMOTE_ADDR": "17.58.100.7"})
    hits.drain()
    db.session.expire_all()
    assert db.session.get(EmailMessage, sent_message.id).status == "sent"


def test_click_redirects_only_to_the_recorded_url(client, sent_message):
    link = sent_message.links[0]
    response = client.get(_path(link_url(link)))
    assert response.status_code == 302
    assert response.headers["Location"] == "https://office.example/terms?a=1&b=2"
    hits.drain()
    db.session.expire_all()
    assert db.session.get(EmailMessage, sent_message.id).status == "opened"


def test_tampered_or_foreign_click_tokens_are_404(client, sent_message):
    link = sent_message.links[0]
    good = _path(link_url(link))
    assert client.get(good[:-2] + ("AA" if not good.endswith("AA") else "BB")).status_code == 404
    assert client.get("/t/c/nonsense").status_code == 404
    # A validly signed token of another kind (an open token) is not a link token.
    assert client.get("/t/c/" + make_token("o", link.id, link.token)).status_code == 404
    # A valid signature over another link's id with the wrong nonce is refused.
    assert client.get("/t/c/" + make_token("c", link.id, "wrong-nonce")).status_code == 404
    assert hits.drain() == 0


def test_redis_down_writes_the_open_straight_to_the_database(app, client, sent_message):
    real = app.config["REDIS_URL"]
    app.extensions.pop("redis", None)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        response = client.get(_path(open_url(sent_message)), headers={"User-Agent": "Outlook"})
    finally:
        app.extensions.pop("redis", None)
        app.config["REDIS_URL"] = real
    assert response.status_code == 200 and len(response.data) == 43
    db.session.expire_all()
    assert [e.type for e in db.session.get(EmailMessage, sent_message.id).events] == ["opened"]


def test_a_batch_drained_twice_is_stored_once(app, client, sent_message):
    for _ in range(3):
        client.get(_path(open_url(sent_message)), headers={"User-Agent": "Outlook"})
    from app.queues import get_redis

    raw = get_redis().lrange(hits.EVENTS_KEY, 0, -1)
    hits.drain()
    get_redis().rpush(hits.EVENTS_KEY, *raw)  # as if a crash hit before the trim
    hits.drain()
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 3


def test_markup_in_user_agent_is_stored_verbatim(app, client, sent_message):
    client.get(_path(open_url(sent_message)),
               headers={"User-Agent": "<script>alert(1)</script>"})
    hits.drain()
    event = db.session.scalars(db.select(EmailEvent)).one()
    assert event.user_agent == "<script>alert(1)</script>"
