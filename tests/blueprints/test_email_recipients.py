"""Each recipient of an invoice email has its own Sent Status, everywhere it shows; where one
line stands for a send, the status table's summary rule decides it (#16 B1)."""
from __future__ import annotations

import html
import re

import pytest

from app.extensions import db
from app.mail.history import messages_for_invoice
from app.mail.recorder import NewEvent, store_events
from app.models.base import utcnow
from tests.factories import add_events, at, make_customer, make_invoice, make_message

HX = {"HX-Request": "true"}
_EVENTS = {
    "queued": (),
    "sent": (("sent", 0),),
    "opened": (("sent", 0), ("opened", 30)),
    "rejected": (("sent", 0), ("rejected", 1)),
    "delayed": (("sent", 0), ("delayed", 1)),
    "spam": (("sent", 0), ("spam", 60)),
}


def send(invoice, day: str, *recipients: tuple[str, str, str]) -> list:
    """One "Send" of `invoice`: each recipient (role, address, status) its own email."""
    batch = f"send-{invoice.id}-{day}"
    messages = []
    for role, address, status in recipients:
        message = make_message(invoice, to=address, created=at(day),
                               state="queued" if status == "queued" else "sent")
        message.batch, message.recipient_role = batch, role
        db.session.commit()
        add_events(message, *((kind, at(day, f"10:{minute:02d}"))
                              for kind, minute in _EVENTS[status]))
        messages.append(message)
    return messages


@pytest.fixture
def invoices(app):
    customer = make_customer(emails=("ann@example.org",))
    three = make_invoice(customer)
    send(three, "2026-11-02", ("to", "ann@example.org", "opened"),
         ("cc", "bob@example.org", "sent"), ("bcc", "carl@example.org", "rejected"))
    two = make_invoice(customer, currency="GBP")
    send(two, "2026-11-03", ("to", "ann@example.org", "sent"),
         ("cc", "bob@example.org", "opened"))
    one = make_invoice(customer)
    send(one, "2026-11-04", ("to", "ann@example.org", "opened"))
    return {"three": three, "two": two, "one": one}


def _icon(page: str, invoice) -> tuple[str, str, str]:
    """The list icon of `invoice`: its css class, its title and the words it shows."""
    found = re.search(rf'id="email-icon-{invoice.id}" class="mail-icon ([^"]+)" '
                      r'title="([^"]*)">.*?<span class="mail-label">([^<]*)</span>', page, re.S)
    assert found, f"no email icon for invoice {invoice.id}"
    return tuple(html.unescape(g) for g in found.groups())


def test_list_icon_summarises_the_latest_send_by_the_rule(client, login_as, invoices):
    login_as("billing")
    page = client.get("/invoices/").text
    assert _icon(page, invoices["three"]) == ("status-rejected", "1 rejected, 1 opened, 1 sent",
                                              "Rejected · 1 of 3")
    assert _icon(page, invoices["two"]) == ("status-opened", "1 opened, 1 sent",
                                            "1 of 2 opened")
    assert _icon(page, invoices["one"]) == ("status-opened", "Opened", "Opened")


def test_list_icon_follows_only_the_newest_send(client, login_as, invoices):
    send(invoices["three"], "2026-11-20", ("to", "ann@example.org", "sent"),
         ("cc", "bob@example.org", "sent"))
    login_as("billing")
    page = client.get("/invoices/").text
    assert _icon(page, invoices["three"]) == ("status-sent", "2 sent", "Sent")


def _history_items(page: str) -> list[tuple[str, str]]:
    """The history in order: ("send", its summary) and ("recipient", "Status address Role")."""
    items = []
    for kind, body in re.findall(
            r'<li class="(send-head|recipient)"[^>]*>(.*?)(?=<li class="(?:send-head|recipient)"|'
            r'</ul>\s*<p class="caveat">)', page, re.S):
        if kind == "send-head":
            summary = re.search(r'data-testid="send-summary">([^<]*)<', body)
            items.append(("send", html.unescape(summary.group(1)) if summary else ""))
        else:
            line = re.search(r'<span class="recipient-line">(.*?)\n\s*</span>', body, re.S)
            words = re.sub(r"<[^>]+>", " ", line.group(1))
            items.append(("recipient", " ".join(html.unescape(words).split())))
    return items


@pytest.mark.parametrize("where", ["popup", "page", "invoice page"])
def test_history_shows_each_recipient_with_its_own_status_under_its_send(
        client, login_as, invoices, where):
    invoice = invoices["three"]
    send(invoice, "2026-11-20", ("to", "ann@example.org", "delayed"),
         ("cc", "bob@example.org", "sent"))
    login_as("billing")
    url = (f"/invoices/{invoice.id}" if where == "invoice page"
           else f"/invoices/{invoice.id}/emails/history")
    page = client.get(url, headers=HX if where == "popup" else {}).text
    # Newest send first; each send's recipients as the email names them: To, Cc, Bcc.
    assert _history_items(page) == [
        ("send", "Delayed · 1 of 2"),
        ("recipient", "Delayed ann@example.org"),
        ("recipient", "Sent bob@example.org Cc"),
        ("send", "Rejected · 1 of 3"),
        ("recipient", "Opened ann@example.org"),
        ("recipient", "Sent bob@example.org Cc"),
        ("recipient", "Rejected carl@example.org Bcc"),
    ]


def test_a_single_recipient_send_needs_no_summary(client, login_as, invoices):
    login_as("billing")
    page = client.get(f"/invoices/{invoices['one'].id}/emails/history", headers=HX).text
    assert _history_items(page) == [("send", ""), ("recipient", "Opened ann@example.org")]


def test_the_invoice_page_hears_of_a_recipients_open_and_resummarises(client, login_as):
    invoice = make_invoice(make_customer(), currency="GBP")
    send(invoice, utcnow().date().isoformat(), ("to", "ann@example.org", "sent"),
         ("cc", "bob@example.org", "opened"))
    login_as("billing")
    url = re.search(r'id="live-updates" hidden hx-get="([^"]+)"',
                    client.get(f"/invoices/{invoice.id}").text).group(1).replace("&amp;", "&")
    later = re.sub(r"since=\d+", f"since={int(utcnow().timestamp() * 1000)}", url)
    ann = next(m for m in messages_for_invoice(invoice.id) if m.to_address == "ann@example.org")
    store_events([NewEvent(message_id=ann.id, type="opened", occurred_at=utcnow(),
                           source="pixel", dedupe_key=f"o{ann.id}")])
    db.session.commit()
    news = client.get(later, headers=HX)
    assert news.status_code == 200
    assert _history_items(news.text)[:1] == [("send", "Opened")]  # both opened now: no count
    list_news = client.get(later.replace("view=page", "view=list"), headers=HX).text
    assert _icon(list_news, invoice) == ("status-opened", "2 opened", "Opened")


def test_report_shows_each_recipient_with_role_and_status_beside_it(client, login_as,
                                                                    invoices):
    login_as("billing")
    page = client.get("/reports/accounting?from=2026-11-01&to=2026-11-30").text
    headers = re.findall(r"<th[^>]*>\s*(?:<a [^>]*>)?([A-Z][a-z]+(?: [a-z]+| Status)?)",
                         page.split('data-testid="email-rows"')[1])
    assert headers[3:6] == ["Recipient", "Sent Status", "Subject"]
    rows = re.findall(r'<tr id="email-row-\d+".*?</tr>', page, re.S)
    assert len(rows) == 6  # one row per recipient
    cells = {}
    for row in rows:
        labels = re.findall(r'<td data-label="([^"]+)"', row)
        assert labels[3:5] == ["Recipient", "Sent Status"]
        recipient = re.search(r'data-label="Recipient"[^>]*>(.*?)</td>', row, re.S).group(1)
        status = re.search(r'data-testid="status-\d+">([^<]+)<', row).group(1)
        words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", recipient)).split())
        cells.setdefault(words, []).append(status)
    assert cells == {"ann@example.org": ["Opened", "Sent", "Opened"],
                     "bob@example.org Cc": ["Opened", "Sent"],
                     "carl@example.org Bcc": ["Rejected"]}


def test_report_cuts_long_text_but_keeps_it_whole_for_hover_focus_and_readers(
        client, login_as, app):
    long_name = "Internationale Vereinigung der Schornsteinfegermeister Nordrhein-Westfalen"
    invoice = make_invoice(make_customer(kind="company", company=long_name))
    subject = "Invoice " + invoice.number + " from " + "A very long office name " * 3
    message = make_message(invoice, to="ann@example.org", subject=subject,
                           created=at("2026-11-02"))
    login_as("billing")
    page = html.unescape(client.get("/reports/accounting?from=2026-11-01").text)
    row = re.search(rf'<tr id="email-row-{message.id}".*?</tr>', page, re.S).group(0)
    assert f'<span class="clip" tabindex="0" title="{subject}">{subject}</span>' in row
    assert f'title="{long_name} — only this customer\'s emails">{long_name}</a>' in row
    assert f'title="{invoice.number}">{invoice.number}</a>' in row


def test_statuses_page_explains_the_summary_rule(client, login_as):
    login_as("viewer")
    page = html.unescape(client.get("/help/statuses").text)
    assert "Rejected · 1 of 3" in page and "1 of 2 opened" in page


def test_a_send_heading_says_when_and_by_whom_and_names_a_reminder(client, login_as,
                                                                     invoices, make_user):
    invoice = invoices["one"]
    (reminder,) = send(invoice, "2026-11-25", ("to", "ann@example.org", "sent"))
    reminder.kind = "reminder"
    (first,) = [m for m in messages_for_invoice(invoice.id) if m.id != reminder.id]
    first.created_by = make_user("billing", name="Bea Books")
    db.session.commit()
    login_as("billing")
    page = client.get(f"/invoices/{invoice.id}/emails/history", headers=HX).text
    heads = [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in
             re.findall(r'<li class="send-head"[^>]*>(.*?)</li>', page, re.S)]
    # The office's format and clock (en_GB, UTC by default).
    assert heads == ["Reminder emailed 25 Nov 2026, 10:00",
                     "Emailed 4 Nov 2026, 10:00 by Bea Books"]
