"""Emailing an invoice through the pages: the dialog, the outbox, the popup, polling."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from app.extensions import db
from app.mail import outbox
from app.mail.recorder import NewEvent, store_events
from app.models import CustomerEmail, EmailMessage, Invoice
from app.models.base import utcnow
from app.queues import get_queue
from tests.conftest import csrf_from, csrf_token
from tests.factories import make_customer, make_invoice

HX = {"HX-Request": "true"}


@pytest.fixture
def invoice(app):
    customer = make_customer(emails=("ann@example.org",))
    customer.emails.append(CustomerEmail(address="gone@example.org", state="invalid",
                                         suppressed=True, suppressed_reason="hard bounce"))
    db.session.commit()
    return make_invoice(customer, status="draft")


def _dialog(client, invoice) -> str:
    response = client.get(f"/invoices/{invoice.id}/email", headers=HX)
    assert response.status_code == 200
    return response.text


def _form(dialog: str, **extra) -> dict:
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', dialog).group(1)
    emails = {e.address: e.id for e in db.session.scalars(db.select(CustomerEmail))}
    data = {"nonce": nonce, "csrf_token": csrf_from(dialog), "subject": "Invoice 1",
            "body": "Hello,\n\nsee https://office.example/terms\n", "attach_pdf": "y",
            "include_link": "y", f"role_{emails['ann@example.org']}": "to"}
    data.update({k.format(**{a.split('@')[0]: i for a, i in emails.items()}): v
                 for k, v in extra.items()})
    return data


def test_dialog_preselects_billing_address_and_warns_about_suppressed(client, login_as,
                                                                      invoice):
    login_as("billing")
    dialog = _dialog(client, invoice)
    assert "ann@example.org" in dialog and "gone@example.org" in dialog
    assert "Suppressed: hard bounce" in dialog and "send anyway" in dialog
    # Subject from the template; a draft's number is given as it is sent.
    assert "Invoice {invoice_number} from" in dialog


def test_send_writes_outbox_finalizes_and_enqueues(app, client, login_as, invoice):
    login_as("billing")
    response = client.post(f"/invoices/{invoice.id}/email",
                           data=_form(_dialog(client, invoice)), headers=HX)
    assert response.status_code == 200
    assert "notify" in response.headers["HX-Trigger"]
    assert 'id="email-dialog" hx-swap-oob' in response.text
    (message,) = db.session.scalars(db.select(EmailMessage)).all()
    assert (message.to_address, message.state, message.attach_pdf) == (
        "ann@example.org", "queued", True)
    assert db.session.get(Invoice, invoice.id).status == "finalized"
    assert get_queue("mail").count == 1 and message.enqueued_at is not None


def test_sending_a_draft_numbers_it_and_the_message(client, login_as, invoice):
    login_as("billing")
    form = _form(_dialog(client, invoice))
    form.update(subject="Invoice {invoice_number}", body="Please pay {invoice_number}.")
    assert client.post(f"/invoices/{invoice.id}/email", data=form).status_code == 303
    (message,) = db.session.scalars(db.select(EmailMessage)).all()
    number = db.session.get(Invoice, invoice.id).issued_number
    assert number == f"{invoice.issue_date.year}-0001"
    assert message.subject == f"Invoice {number}"
    assert message.body_text.startswith(f"Please pay {number}.")


def test_suppressed_address_needs_an_explicit_override(client, login_as, invoice):
    login_as("billing")
    dialog = _dialog(client, invoice)
    refused = client.post(f"/invoices/{invoice.id}/email", headers=HX,
                          data=_form(dialog, **{"role_{gone}": "cc"}))
    assert refused.status_code == 422 and "is suppressed" in refused.text
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id))) == 0
    allowed = client.post(f"/invoices/{invoice.id}/email", headers=HX,
                          data=_form(dialog, **{"role_{gone}": "cc", "override_{gone}": "1"}))
    assert allowed.status_code == 200
    gone = db.session.scalars(db.select(EmailMessage).filter_by(
        to_address="gone@example.org")).one()
    assert gone.override_suppression and gone.recipient_role == "cc"


def test_bad_input_gets_messages_not_errors(client, login_as, invoice):
    login_as("billing")
    dialog = _dialog(client, invoice)
    no_subject = client.post(f"/invoices/{invoice.id}/email", headers=HX,
                             data={**_form(dialog), "subject": ""})
    assert no_subject.status_code == 422 and "Write a subject" in no_subject.text
    bad_extra = client.post(f"/invoices/{invoice.id}/email", headers=HX,
                            data={**_form(dialog), "extra_to": "not an address"})
    assert bad_extra.status_code == 422 and "The other address isn" in bad_extra.text


def test_a_refused_dialog_keeps_the_choices_made(client, login_as, invoice):
    """The view, not the template, reads the posted choices back into the dialog."""
    login_as("billing")
    ids = {e.address: e.id for e in db.session.scalars(db.select(CustomerEmail))}
    dialog = _dialog(client, invoice)
    assert re.search(rf'name="role_{ids["ann@example.org"]}"[^>]*>\s*<option value="" >'
                     rf'[^<]*</option>\s*<option value="to" selected>', dialog)
    refused = client.post(f"/invoices/{invoice.id}/email", headers=HX, data={
        **_form(dialog, **{"role_{ann}": "bcc", "role_{gone}": "cc", "override_{gone}": "1"}),
        "subject": ""}).text
    assert '<option value="bcc" selected>' in refused
    assert '<option value="cc" selected>' in refused
    assert re.search(rf'name="override_{ids["gone@example.org"]}" value="1"\s*checked>',
                     refused)


def test_two_concurrent_sends_from_one_dialog_make_one_message(app, client, login_as,
                                                               invoice):
    login_as("billing")
    data = _form(_dialog(client, invoice), **{"role_{gone}": "bcc", "override_{gone}": "1"})
    cookie = client.get_cookie("session").value

    def send(_):
        with app.test_client() as other:
            other.set_cookie("session", cookie)
            return other.post(f"/invoices/{invoice.id}/email", data=data,
                              headers=HX).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(send, range(4)))
    assert statuses == [200] * 4
    db.session.expire_all()
    rows = db.session.scalars(db.select(EmailMessage)).all()
    assert sorted(m.to_address for m in rows) == ["ann@example.org", "gone@example.org"]


REFUSAL = re.compile(
    r"already sent to [^<]*ann@example\.org[^<]* at \d\d:\d\d — send again\?")  # office time


def _batches(address: str) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(db.select(EmailMessage.batch).filter_by(to_address=address)))


def test_two_dialogs_sent_at_once_send_once_and_refuse_the_other(app, client, login_as,
                                                                 invoice):
    login_as("billing")
    forms = [_form(_dialog(client, invoice), extra_to="bob@example.org") for _ in range(2)]
    cookie = client.get_cookie("session").value
    start = threading.Barrier(2)

    def send(data):
        with app.test_client() as other:  # its own request, app context and connection
            other.set_cookie("session", cookie)
            start.wait()
            return other.post(f"/invoices/{invoice.id}/email", data=data, headers=HX)

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(send, forms))
    assert sorted(r.status_code for r in responses) == [200, 422]
    refused = next(r for r in responses if r.status_code == 422)
    assert REFUSAL.search(refused.text) and 'name="send_again"' in refused.text
    assert len(_batches("ann@example.org")) == 1
    assert _batches("bob@example.org") == _batches("ann@example.org")
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id))) == 2


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain-form"])
def test_second_send_within_ten_minutes_needs_a_confirm(client, login_as, invoice, headers):
    login_as("billing")
    first, second = (_form(_dialog(client, invoice)) for _ in range(2))
    assert client.post(f"/invoices/{invoice.id}/email", data=first,
                       headers=headers).status_code in (200, 303)
    refused = client.post(f"/invoices/{invoice.id}/email", data=second, headers=headers)
    assert refused.status_code == 422 and REFUSAL.search(refused.text)
    assert ("<html" in refused.text) is (not headers)  # a whole page without htmx
    assert len(_batches("ann@example.org")) == 1
    confirmed = client.post(f"/invoices/{invoice.id}/email", headers=headers,
                            data={**second, "send_again": "y"})
    assert confirmed.status_code in (200, 303)
    assert len(_batches("ann@example.org")) == 2


def test_repeat_guard_is_per_recipient_and_lasts_ten_minutes(client, login_as, invoice):
    login_as("billing")
    dialog = _dialog(client, invoice)
    assert client.post(f"/invoices/{invoice.id}/email", data=_form(dialog),
                       headers=HX).status_code == 200
    other_only = _form(_dialog(client, invoice), extra_to="bob@example.org",
                       **{"role_{ann}": ""})
    assert client.post(f"/invoices/{invoice.id}/email", data=other_only,
                       headers=HX).status_code == 200  # bob never got it
    earlier = db.session.scalars(db.select(EmailMessage)).all()
    for message in earlier:
        message.created_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    again = client.post(f"/invoices/{invoice.id}/email", data=_form(_dialog(client, invoice)),
                        headers=HX)
    assert again.status_code == 200 and len(_batches("ann@example.org")) == 2


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain-form"])
def test_draft_that_cannot_be_finalized_gets_the_reason_in_the_dialog(client, login_as,
                                                                      amount, headers):
    draft = make_invoice(make_customer(emails=("ann@example.org",)), status="draft",
                         total=amount)
    login_as("billing")
    response = client.post(f"/invoices/{draft.id}/email", data=_form(_dialog(client, draft)),
                           headers=headers)
    assert response.status_code == 422
    assert "The total must be more than zero" in response.text
    assert 'data-testid="send-dialog"' in response.text
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id))) == 0
    db.session.expire_all()
    assert db.session.get(Invoice, draft.id).status == "draft"


def test_dialog_says_sending_finalizes_a_draft_and_only_a_draft(client, login_as, invoice):
    login_as("billing")
    assert "Sending finalizes this draft" in _dialog(client, invoice)
    finalized = make_invoice(invoice.customer, status="finalized")
    assert "Sending finalizes this draft" not in _dialog(client, finalized)


def test_redis_down_while_sending_then_mail_goes_out(app, client, login_as, invoice, smtp,
                                                     run_worker):
    login_as("billing")
    dialog = _dialog(client, invoice)
    real = app.config["REDIS_URL"]
    app.extensions.pop("redis", None)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        response = client.post(f"/invoices/{invoice.id}/email", data=_form(dialog))
    finally:
        app.extensions.pop("redis", None)
        app.config["REDIS_URL"] = real
    assert response.status_code == 303  # the person's request succeeded
    message = db.session.scalars(db.select(EmailMessage)).one()
    assert message.state == "queued" and message.enqueued_at is None
    outbox.sweep()
    run_worker()
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).state == "sent"
    (got,) = smtp.received
    assert b"application/pdf" in got.data  # the PDF went along


def _sent_message(invoice, **fields) -> EmailMessage:
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("ann@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice)
    for key, value in fields.items():
        setattr(message, key, value)
    db.session.commit()
    return message


def test_history_popup_lists_events_escaped_with_the_caveat(client, login_as, invoice):
    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    store_events([NewEvent(message_id=message.id, type="rejected", occurred_at=utcnow(),
                           source="dsn", dedupe_key="x1", code="5.1.1",
                           diagnostic="550 <b>no such user</b>",
                           user_agent="<script>alert(1)</script>")])
    db.session.commit()
    login_as("viewer")
    popup = client.get(f"/invoices/{invoice.id}/emails/history", headers=HX)
    assert popup.status_code == 200
    assert "status-rejected" in popup.text and "5.1.1" in popup.text
    assert "&lt;b&gt;no such user&lt;/b&gt;" in popup.text
    assert "<script>alert(1)" not in popup.text
    assert "its absence does not mean it was not" in popup.text
    page = client.get(f"/invoices/{invoice.id}/emails/history")
    assert page.status_code == 200 and "<html" in page.text  # a full page when opened


def test_history_queries_do_not_grow_with_the_messages(client, login_as, invoice):
    from sqlalchemy import event

    login_as("admin")

    def queries_for_history() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/invoices/{invoice.id}/emails/history",
                              headers=HX).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    def add_messages(n: int) -> None:
        for _ in range(n):
            message = _sent_message(invoice, state="sent", sent_at=utcnow())
            store_events([NewEvent(message_id=message.id, type="sent", occurred_at=utcnow(),
                                   source="smtp", dedupe_key=f"q{message.id}")])
        db.session.commit()

    add_messages(1)
    one = queries_for_history()
    add_messages(5)
    assert queries_for_history() == one


def _poll_url(page: str) -> str:
    found = re.search(r'id="live-updates" hidden hx-get="([^"]+)"', page)
    assert found, "the page has no live poller"
    return found.group(1).replace("&amp;", "&")


def test_the_list_keeps_asking_after_sent_and_hears_of_a_later_open(client, login_as,
                                                                    invoice):
    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    store_events([NewEvent(message_id=message.id, type="sent", occurred_at=utcnow(),
                           source="smtp", dedupe_key=f"s{message.id}")])
    db.session.commit()
    login_as("billing")
    url = _poll_url(client.get("/invoices/").text)
    assert f"ids={invoice.id}" in url and "view=list" in url
    # Nothing new since the page was drawn (its "since" is a few seconds back, so move on).
    later = re.sub(r"since=\d+", f"since={int(utcnow().timestamp() * 1000)}", url)
    assert client.get(later, headers=HX).status_code == 204
    store_events([NewEvent(message_id=message.id, type="opened", occurred_at=utcnow(),
                           source="pixel", dedupe_key=f"o{message.id}")])
    db.session.commit()
    news = client.get(later, headers=HX)
    assert news.status_code == 200
    assert f'id="email-cell-{invoice.id}" hx-swap-oob="true"' in news.text
    assert "status-opened" in news.text
    assert 'id="live-updates"' in news.text  # the next question, with a later "since"
    assert _poll_url(news.text) != later


def test_the_invoice_page_hears_of_a_bounce(client, login_as, invoice):
    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    db.session.commit()
    login_as("billing")
    url = _poll_url(client.get(f"/invoices/{invoice.id}").text)
    assert "view=page" in url
    later = re.sub(r"since=\d+", f"since={int(utcnow().timestamp() * 1000)}", url)
    store_events([NewEvent(message_id=message.id, type="rejected", occurred_at=utcnow(),
                           source="dsn", dedupe_key=f"r{message.id}", code="5.1.1")])
    db.session.commit()
    news = client.get(later, headers=HX)
    assert news.status_code == 200
    assert 'id="invoice-emails" hx-swap-oob="innerHTML"' in news.text
    assert "Rejected" in news.text


def test_changes_answer_only_for_invoices_the_user_may_see(client, login_as, invoice):
    """Staff asking about a colleague's customer's invoice hear nothing (204), not even
    that it exists or changed."""
    _sent_message(invoice, state="sent", sent_at=utcnow())
    db.session.commit()
    login_as("staff")
    answer = client.get(f"/invoices/changes?view=list&since=0&ids={invoice.id}", headers=HX)
    assert answer.status_code == 204 and answer.text == ""


def test_changes_since_the_start_of_time_answer_for_a_visible_invoice(client, login_as,
                                                                      invoice):
    _sent_message(invoice, state="sent", sent_at=utcnow())
    login_as("billing")
    seen = client.get(f"/invoices/changes?view=list&since=0&ids={invoice.id}", headers=HX)
    assert seen.status_code == 200 and f'id="email-cell-{invoice.id}"' in seen.text


@pytest.mark.parametrize("query", ["view=list&ids=1", "view=list&since=x&ids=1",
                                   "view=list&since=0&ids=a,b", "view=table&since=0&ids=1",
                                   "view=list&since=0&ids=" + ",".join(map(str, range(1, 300))),
                                   "view=list&since=99999999999999999999&ids=1"])
def test_changes_refuse_bad_questions_with_400(client, login_as, query):
    login_as("billing")
    answer = client.get(f"/invoices/changes?{query}", headers=HX)
    assert answer.status_code == 400 and "ids" in answer.text


def test_no_poller_for_invoices_emailed_over_30_days_ago(client, login_as, invoice):
    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    message.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    login_as("billing")
    assert 'id="live-updates"' not in client.get("/invoices/").text


def test_staff_cannot_email_or_see_history_of_other_customers(client, login_as, invoice):
    login_as("staff")
    assert client.get(f"/invoices/{invoice.id}/email").status_code == 404
    assert client.get(f"/invoices/{invoice.id}/emails/history", headers=HX).status_code == 404
    token = csrf_token(client)
    assert client.post(f"/invoices/{invoice.id}/email",
                       data={"csrf_token": token}).status_code == 404


def _count_queries(run) -> int:
    from sqlalchemy import event

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len([s for s in statements if "email_" in s or "invoices" in s])


def test_nothing_new_is_answered_without_asking_the_database(client, login_as, invoice):
    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    store_events([NewEvent(message_id=message.id, type="sent", occurred_at=utcnow(),
                           source="smtp", dedupe_key=f"s{message.id}")])
    db.session.commit()
    login_as("billing")
    now = int(utcnow().timestamp() * 1000) + 1
    url = f"/invoices/changes?view=list&since={now}&ids={invoice.id}"
    answers = []
    assert _count_queries(lambda: answers.append(client.get(url, headers=HX))) == 0
    assert answers[0].status_code == 204


def test_without_redis_the_database_still_answers(client, login_as, invoice, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    from app.mail import live

    class Unreachable:
        def mget(self, keys):
            raise RedisDown("down")

        def pipeline(self, transaction=False):
            raise RedisDown("down")

    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    db.session.commit()
    login_as("billing")
    since = int(utcnow().timestamp() * 1000) - 1
    monkeypatch.setattr(live, "get_redis", Unreachable)
    store_events([NewEvent(message_id=message.id, type="opened", occurred_at=utcnow(),
                           source="pixel", dedupe_key=f"o{message.id}")])
    db.session.commit()  # stored, though its stamp could not be written
    news = client.get(f"/invoices/changes?view=list&since={since}&ids={invoice.id}",
                      headers=HX)
    assert news.status_code == 200 and "status-opened" in news.text


def test_a_lost_stamp_is_found_by_the_heartbeat(client, login_as, invoice):
    from app.queues import get_redis

    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    db.session.commit()
    login_as("billing")
    since = utcnow() - timedelta(seconds=70)
    message.created_at = since - timedelta(days=1)
    store_events([NewEvent(message_id=message.id, type="opened", occurred_at=utcnow(),
                           source="pixel", dedupe_key=f"o{message.id}")])
    db.session.commit()
    get_redis().flushdb()  # Redis restarted: every stamp is gone
    url = f"/invoices/changes?view=list&since={int(since.timestamp() * 1000)}&ids={invoice.id}"
    news = client.get(url, headers=HX)
    assert news.status_code == 200 and "status-opened" in news.text


def test_the_heartbeat_moves_a_quiet_page_on(client, login_as, invoice):
    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    message.created_at = message.status_at = utcnow() - timedelta(days=2)
    db.session.commit()
    login_as("billing")
    since = int((utcnow() - timedelta(seconds=70)).timestamp() * 1000)
    quiet = client.get(f"/invoices/changes?view=list&since={since}&ids={invoice.id}",
                       headers=HX)
    assert quiet.status_code == 200 and "email-cell" not in quiet.text
    assert int(re.search(r"since=(\d+)", _poll_url(quiet.text)).group(1)) > since


def test_the_customer_file_hears_of_a_new_email_event(client, login_as, invoice):
    message = _sent_message(invoice, state="sent", sent_at=utcnow())
    db.session.commit()
    login_as("billing")
    url = _poll_url(client.get(f"/customers/{invoice.customer_id}").text)
    later = re.sub(r"since=\d+", f"since={int(utcnow().timestamp() * 1000)}", url)
    assert client.get(later, headers=HX).status_code == 204
    store_events([NewEvent(message_id=message.id, type="rejected", occurred_at=utcnow(),
                           source="dsn", dedupe_key=f"r{message.id}", code="5.1.1")])
    db.session.commit()
    news = client.get(later, headers=HX)
    assert news.status_code == 200 and "timeline-changed" in news.headers["HX-Trigger"]
    assert 'id="live-updates"' in news.text


def test_staff_cannot_ask_about_another_customers_file(client, login_as, invoice):
    login_as("staff")
    assert client.get(f"/customers/{invoice.customer_id}/changes?since=0",
                      headers=HX).status_code == 404


def test_other_addresses_pasted_from_outlook_each_get_the_invoice(client, login_as, invoice):
    login_as("billing")
    pasted = 'bob@example.org; Carol Smith <Carol@Example.org>;\n"Doe, Jane" <jane@example.net>,'
    response = client.post(f"/invoices/{invoice.id}/email", headers=HX,
                           data=_form(_dialog(client, invoice), extra_to=pasted))
    assert response.status_code == 200
    sent = {m.to_address: (m.recipient_role, m.to_name)
            for m in db.session.scalars(db.select(EmailMessage))}
    assert sent == {"ann@example.org": ("to", sent["ann@example.org"][1]),
                    "bob@example.org": ("to", ""), "carol@example.org": ("to", "Carol Smith"),
                    "jane@example.net": ("to", "Doe, Jane")}


def test_each_bad_other_address_is_named_and_nothing_is_sent(client, login_as, invoice):
    login_as("billing")
    response = client.post(f"/invoices/{invoice.id}/email", headers=HX,
                           data=_form(_dialog(client, invoice),
                                      extra_to="bob@example.org; Bob at home; x@@y.org"))
    assert response.status_code == 422
    assert "“Bob at home”" in response.text and "“x@@y.org”" in response.text
    assert "“bob@example.org”" not in response.text
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id))) == 0
    # What was pasted stays in the field, whole, to be corrected.
    assert "bob@example.org; Bob at home; x@@y.org" in response.text
