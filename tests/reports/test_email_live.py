"""The Invoice Email report stays current: changed rows are swapped in place, and a row
that no longer matches the page's filter says so instead of vanishing."""
from __future__ import annotations

import re

from app import clock
from app.extensions import db
from tests.conftest import login
from tests.factories import add_events, make_customer, make_invoice, make_message

HX = {"HX-Request": "true"}


def _poll_url(page: str) -> str:
    found = re.search(r'id="live-updates" hidden hx-get="([^"]+)"', page)
    assert found, "the report has no live poller"
    return found.group(1).replace("&amp;", "&")


def _now_ms() -> int:
    return int(clock.now().timestamp() * 1000)


def test_a_row_that_changes_is_swapped_and_marked_when_it_leaves_the_filter(client, make_user):
    user = make_user("billing")
    invoice = make_invoice(make_customer())
    message = make_message(invoice, to="ann@example.org")
    add_events(message, ("sent", clock.now()))
    db.session.commit()
    login(client, user.email)
    page = client.get("/reports/accounting?status=sent").text
    url = re.sub(r"since=\d+", f"since={_now_ms()}", _poll_url(page))
    assert "status=sent" in url and f"ids={message.id}" in url
    assert client.get(url, headers=HX).status_code == 204

    add_events(message, ("opened", clock.now(), {"key": "open-1"}))
    db.session.commit()
    news = client.get(url, headers=HX)
    assert news.status_code == 200
    row = re.search(rf'<tr id="email-row-{message.id}"[^>]*>', news.text).group(0)
    assert 'hx-swap-oob="true"' in row and 'class="stale"' in row
    assert "Changed — no longer matches the filter" in news.text
    assert f'data-testid="status-{message.id}">Opened<' in news.text
    # Its links are the report page's, with the page's filters, not the question's URL.
    assert "/reports/accounting?" in news.text and "changes?" not in news.text.split(
        'id="live-updates"')[0]


def test_a_row_still_matching_is_swapped_unmarked(client, make_user):
    user = make_user("billing")
    message = make_message(make_invoice(make_customer()), to="bob@example.org")
    add_events(message, ("sent", clock.now()))
    db.session.commit()
    login(client, user.email)
    url = re.sub(r"since=\d+", f"since={_now_ms()}",
                 _poll_url(client.get("/reports/accounting").text))
    add_events(message, ("opened", clock.now(), {"key": "open-2"}))
    db.session.commit()
    news = client.get(url, headers=HX)
    assert news.status_code == 200 and 'class="stale"' not in news.text
    assert f'data-testid="status-{message.id}">Opened<' in news.text


def test_a_role_without_the_report_gets_403_not_the_rows(client, make_user):
    message = make_message(make_invoice(make_customer()), to="carl@example.org")
    add_events(message, ("sent", clock.now()))
    db.session.commit()
    login(client, make_user("staff").email)  # staff have no accounting reports
    answer = client.get(f"/reports/accounting/emails/changes?since=0&ids={message.id}",
                        headers=HX)
    assert answer.status_code == 403 and f"email-row-{message.id}" not in answer.text


def test_bad_questions_get_400(client, make_user):
    login(client, make_user("billing").email)
    for query in ("ids=1", "since=x&ids=1", "since=0&ids=a",
                  "since=0&ids=" + ",".join(map(str, range(1, 300)))):
        answer = client.get(f"/reports/accounting/emails/changes?{query}", headers=HX)
        assert answer.status_code == 400, query
