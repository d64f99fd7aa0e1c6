"""The home page is what needs attention; dismissing; the notifications list and badge;
the daily digest choice."""
from __future__ import annotations

from app.attention import items
from app.attention.mail_problems import mail_problem
from app.extensions import db
from app.models import AttentionItem, AuditLog
from tests.conftest import csrf_token
from tests.factories import make_customer, make_invoice, make_message


def _review(customer) -> AttentionItem:
    item, _ = items.raise_item("contact_review", f"contact_review:{customer.id}",
                               customer=customer, detail=f"review {customer.display_name}")
    db.session.commit()
    return item


def test_the_home_page_says_all_is_well_when_nothing_needs_attention(client, login_as):
    login_as("staff")
    page = client.get("/")
    assert page.status_code == 200
    assert "All is well: nothing needs your attention." in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_staff_see_their_own_customers_items_with_a_link_to_fix_them(client, login_as,
                                                                    make_user):
    staff = login_as("staff")
    mine = make_customer(first_name="Mina", last_name="Mine", owner=staff)
    other = make_customer(first_name="Otto", last_name="Other", owner=make_user("staff"))
    _review(mine), _review(other)
    invoice = make_invoice(mine)
    rejected = make_message(invoice, to="gone@example.org")
    mail_problem(rejected, "address")
    overdue = make_invoice(mine)
    items.raise_item("invoice_unopened", f"invoice_unopened:{overdue.id}", invoice=overdue)
    db.session.commit()
    page = client.get("/").text
    assert "Mina Mine" in page and "Otto Other" not in page
    assert f'href="/customers/{mine.id}"' in page  # the review is fixed on the file
    assert f'href="/emails/{rejected.id}/fix"' in page  # a rejection where it is resent
    assert f'href="/invoices/{overdue.id}"' in page  # an unopened invoice on the invoice
    assert "Email rejected" in page and "gone@example.org" in page
    assert page.count('data-testid="dismiss"') == 3


def test_viewers_see_counts_without_actions(client, login_as, make_user):
    login_as("viewer")
    for _ in range(2):
        _review(make_customer(first_name="Vera", last_name="Private"))
    page = client.get("/").text
    assert "<strong>2</strong> contact details need review" in page
    assert "Vera Private" not in page and 'data-testid="dismiss"' not in page


def test_admins_also_see_office_class_refusals(client, login_as, make_user):
    message = make_message(make_invoice(make_customer()))
    mail_problem(message, "office", reason="blocked")
    db.session.commit()
    login_as("billing")
    assert "Mail from the office refused" not in client.get("/").text
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as("admin")
    assert "Mail from the office refused" in client.get("/").text


def test_dismissing_without_javascript_goes_back_home_and_is_dismissed_everywhere(
        client, login_as, make_user):
    staff = login_as("staff")
    customer = make_customer(first_name="Dana", last_name="Done", owner=staff)
    item = _review(customer)
    response = client.post(f"/attention/{item.id}/dismiss",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    db.session.refresh(item)
    assert (item.dismissed_by_id, item.is_open) == (staff.id, False)
    assert "Dana Done" not in client.get("/").text
    assert items.open_items(make_user("admin")) == []
    entry = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "attention.dismissed"))
    assert (entry.user_id, entry.subject_id) == (staff.id, item.id)


def test_dismissing_with_htmx_answers_the_section_and_its_empty_state(client, login_as):
    staff = login_as("staff")
    item = _review(make_customer(owner=staff))
    response = client.post(f"/attention/{item.id}/dismiss",
                           headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="attention"')
    assert "<html" not in response.text and "All is well" in response.text


def test_dismissing_needs_the_csrf_token(client, login_as):
    staff = login_as("staff")
    item = _review(make_customer(owner=staff))
    assert client.post(f"/attention/{item.id}/dismiss").status_code == 400
    db.session.refresh(item)
    assert item.is_open


def test_staff_cannot_dismiss_a_colleagues_item(client, login_as, make_user):
    login_as("staff")
    item = _review(make_customer(owner=make_user("staff")))
    response = client.post(f"/attention/{item.id}/dismiss",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404
    db.session.refresh(item)
    assert item.is_open


def test_viewers_cannot_dismiss(client, login_as):
    login_as("viewer")
    item = _review(make_customer())
    response = client.post(f"/attention/{item.id}/dismiss",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 403


def test_the_badge_counts_unread_notifications_and_the_list_marks_them_read(
        client, login_as):
    staff = login_as("staff")
    invoice = make_invoice(make_customer(first_name="Rita", last_name="Reject", owner=staff))
    mail_problem(make_message(invoice, to="rita@example.org"), "address")
    mail_problem(make_message(invoice, to="rita2@example.org"), complaint=True)
    db.session.commit()
    assert 'hx-get="/notifications/badge"' in client.get("/").text
    badge = client.get("/notifications/badge", headers={"HX-Request": "true"})
    assert 'class="badge badge-unread">2<' in badge.text and "<html" not in badge.text
    listing = client.get("/notifications").text
    assert "rita@example.org" in listing and "Rita Reject" in listing
    assert f'href="/invoices/{invoice.id}"' in listing
    upto = listing.split('name="upto" value="')[1].split('"')[0]
    client.post("/notifications/read", data={"csrf_token": csrf_token(client), "upto": upto})
    assert "badge-unread" not in client.get("/notifications/badge").text


def test_notifications_are_each_persons_own(client, login_as, make_user):
    owner = make_user("staff")
    mail_problem(make_message(make_invoice(make_customer(owner=owner)),
                              to="secret@example.org"), "address")
    db.session.commit()
    login_as("staff")
    assert "secret@example.org" not in client.get("/notifications").text


def test_the_daily_digest_is_chosen_in_the_profile(client, login_as):
    user = login_as("billing")
    page = client.get("/notifications/settings")
    assert page.status_code == 200 and 'value="daily"' in page.text
    response = client.post("/notifications/settings",
                           data={"csrf_token": csrf_token(client), "digest": "daily"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.notify_digest is True
    client.post("/notifications/settings",
                data={"csrf_token": csrf_token(client), "digest": "none"})
    db.session.refresh(user)
    assert user.notify_digest is False


def test_a_kind_with_many_items_shows_its_newest_few_and_the_rest_on_its_own_page(
        client, login_as):
    import re
    from datetime import timedelta

    from app.models.base import utcnow
    from app.web.attention import PER_KIND

    login_as("admin")
    reviews = []
    for n in range(PER_KIND + 3):
        customer = make_customer(first_name="Rev", last_name=f"Number{n}")
        item = _review(customer)
        item.created_at = utcnow() - timedelta(minutes=100 - n)  # the last one newest
        reviews.append(item)
    invoice = make_invoice(make_customer(first_name="Gone", last_name="Address"))
    mail_problem(make_message(invoice, to="gone@example.org"), "address")
    db.session.commit()
    page = client.get("/").text
    # The rejected email is not buried under the reviews: its kind comes first.
    headings = re.findall(r'class="attention-kind"[^>]*>([^<]+)<', page)
    assert [h.strip() for h in headings] == ["Email rejected", "Contact details need review"]
    shown = list(dict.fromkeys(re.findall(r"Rev Number(\d+)", page)))  # each item names it thrice
    assert shown == [str(n) for n in range(PER_KIND + 2, 2, -1)]  # the five newest
    assert f"Show all {PER_KIND + 3}" in page and "(3 more)" in page
    whole = client.get("/?only=contact_review").text
    assert len(set(re.findall(r"Rev Number\d+", whole))) == PER_KIND + 3
    assert "gone@example.org" not in whole and "Show everything that needs attention" in whole
    # Dismissing on that page (htmx) answers with that page, one fewer.
    answer = client.post(f"/attention/{reviews[0].id}/dismiss", headers={"HX-Request": "true"},
                         data={"csrf_token": csrf_token(client), "only": "contact_review"})
    assert len(set(re.findall(r"Rev Number\d+", answer.text))) == PER_KIND + 2
    assert "gone@example.org" not in answer.text
    # An unknown kind is everything.
    assert "gone@example.org" in client.get("/?only=nonsense").text
