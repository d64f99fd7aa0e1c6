"""The pages of captured mail: one's drop-box and list, a message, filing by hand, private,
delete; and the message on the customer's history."""
from __future__ import annotations

import sqlalchemy as sa

from app.capture import dropbox
from app.extensions import db
from app.models import AuditLog, CapturedMail, CapturedMailLink, Document, User
from tests.capture.mail import bcc, deliver
from tests.conftest import csrf_token, login
from tests.documents import samples
from tests.factories import make_customer


def _mail(subject: str) -> CapturedMail:
    """By subject, read in Python: it is encrypted, so SQL cannot compare it."""
    (found,) = [m for m in db.session.scalars(sa.select(CapturedMail)) if m.subject == subject]
    return found


def test_the_list_shows_ones_address_and_mail_to_file(client, login_as):
    staff = login_as("staff")
    page = client.get("/capture/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    address = dropbox.address_of(db.session.get(User, staff.id))
    assert address in page.text and "Nothing to file" in page.text
    deliver(bcc(staff.email, ["nobody@else.example"], subject="Lunch on Friday?"), staff)
    page = client.get("/capture/")
    assert "Lunch on Friday?" in page.text and "To file (1)" in page.text
    assert "Lunch on Friday?" not in client.get("/capture/?show=filed").text
    home = client.get("/").text
    assert "1 email reached your drop-box and names none of your customers" in home


def test_getting_a_new_address_asks_first_and_ends_the_old_one(client, login_as):
    staff = login_as("staff")
    client.get("/capture/")
    old = dropbox.address_of(db.session.get(User, staff.id))
    confirm = client.get("/capture/address/new")
    assert old in confirm.text and "stop working at once" in confirm.text
    response = client.post("/capture/address/new", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    db.session.expire_all()
    assert dropbox.owner_of(old) is None
    assert dropbox.address_of(db.session.get(User, staff.id)) != old
    assert db.session.scalar(sa.select(AuditLog.action).where(
        AuditLog.action == "capture.address_changed"))
    # Without a CSRF token nothing changes.
    assert client.post("/capture/address/new").status_code == 400


def test_filing_by_hand_from_the_message_page(client, login_as, make_user):
    staff = login_as("staff")
    mine = make_customer(first_name="Ana", last_name="Lopez", owner=staff)
    theirs = make_customer(first_name="Ana", last_name="Other", owner=make_user("staff"))
    deliver(bcc(staff.email, ["ana.private@gmail.example"], subject="Kitchen plans",
                attachments=[("plan.pdf", samples.pdf(4000), "application/pdf")]), staff)
    mail = _mail("Kitchen plans")
    page = client.get(f"/capture/{mail.id}?q=Ana")
    assert "Ana Lopez" in page.text and "Ana Other" not in page.text
    assert "becomes a document when the email is filed" in page.text
    token = csrf_token(client, f"/capture/{mail.id}")
    assert client.post(f"/capture/{mail.id}/file", data={
        "csrf_token": token, "customer_id": theirs.id}).status_code == 404
    assert client.post(f"/capture/{mail.id}/file", data={
        "csrf_token": token, "customer_id": "Ana"}).status_code == 400
    response = client.post(f"/capture/{mail.id}/file", data={
        "csrf_token": token, "customer_id": mine.id})
    assert response.status_code == 303
    page = client.get(f"/capture/{mail.id}")
    assert "Take off this file" in page.text and "Download" in page.text
    listed = client.get("/capture/?show=filed").text
    assert "Kitchen plans" in listed and "On the file of" in listed
    assert mine.display_name in listed
    document = db.session.scalars(sa.select(Document)).one()
    assert client.get(f"/documents/{document.id}/download").data.startswith(b"%PDF")
    history = client.get(f"/customers/{mine.id}/timeline")
    assert "Email filed: Kitchen plans" in history.text and "Read the email" in history.text
    # Taken off again: back to the list to file, the document gone.
    client.post(f"/capture/{mail.id}/unfile", data={"csrf_token": token,
                                                    "customer_id": mine.id})
    db.session.expire_all()
    assert _mail("Kitchen plans").state == "review"
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0


def test_staff_cannot_read_mail_about_a_customer_of_someone_else(client, login_as, make_user):
    admin = make_user("admin")
    staff = login_as("staff")
    mine = make_customer(emails=("mine@client.example",), owner=staff)
    theirs = make_customer(emails=("theirs@client.example",), owner=make_user("staff"))
    deliver(bcc(admin.email, ["mine@client.example", "theirs@client.example"],
                subject="To both"), admin)
    deliver(bcc(admin.email, ["mine@client.example"], subject="To mine",
                message_id="<mine@x>"), admin)
    both, only_mine = _mail("To both"), _mail("To mine")
    assert client.get(f"/capture/{both.id}").status_code == 404
    assert client.get(f"/capture/{only_mine.id}").status_code == 200
    history = client.get(f"/customers/{mine.id}/timeline").text
    assert "To mine" in history and "To both" not in history
    assert client.get(f"/customers/{theirs.id}/timeline").status_code == 404
    # Reading is not managing: the admin filed it.
    token = csrf_token(client, f"/capture/{only_mine.id}")
    assert "Make it private" not in client.get(f"/capture/{only_mine.id}").text
    assert client.post(f"/capture/{only_mine.id}/private", data={
        "csrf_token": token, "private": "1"}).status_code == 403
    assert client.post(f"/capture/{only_mine.id}/delete", data={
        "csrf_token": token}).status_code == 403


def test_private_mail_is_its_filers_and_the_admins(client, make_user):
    billing = make_user("billing")
    colleague = make_user("billing")
    customer = make_customer(emails=("ana@client.example",))
    deliver(bcc(billing.email, ["ana@client.example"], subject="Personal matter",
                attachments=[("medical note.pdf", samples.pdf(3000), "application/pdf")]),
            billing)
    mail = _mail("Personal matter")
    document = db.session.scalars(sa.select(Document)).one()
    login(client, billing.email)
    token = csrf_token(client, f"/capture/{mail.id}")
    assert client.post(f"/capture/{mail.id}/private", data={
        "csrf_token": token, "private": "1"}).status_code == 303
    assert "private" in client.get(f"/customers/{customer.id}/timeline").text
    client.post("/logout", data={"csrf_token": token})
    login(client, colleague.email)
    assert client.get(f"/capture/{mail.id}").status_code == 404
    assert "Personal matter" not in client.get(f"/customers/{customer.id}/timeline").text
    documents = client.get(f"/customers/{customer.id}").text
    assert "medical note.pdf" not in documents and "from an email" not in documents
    assert client.get(f"/documents/{document.id}/download").status_code == 404
    admin = make_user("admin")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, admin.email)
    assert client.get(f"/capture/{mail.id}").status_code == 200
    assert "medical note.pdf" in client.get(f"/customers/{customer.id}").text
    assert client.get(f"/documents/{document.id}/download").status_code == 200


def test_deleting_asks_first_and_takes_the_documents(client, login_as):
    staff = login_as("staff")
    customer = make_customer(emails=("ana@client.example",), owner=staff)
    deliver(bcc(staff.email, ["ana@client.example"], subject="Old quote",
                attachments=[("quote.txt", b"Quote 12\n", "text/plain")]), staff)
    mail = _mail("Old quote")
    confirm = client.get(f"/capture/{mail.id}/delete")
    assert "1 document" in confirm.text and customer.display_name in confirm.text
    response = client.post(f"/capture/{mail.id}/delete",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.location.endswith("/capture/")
    assert db.session.scalar(sa.select(sa.func.count(CapturedMail.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(CapturedMailLink.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert client.get(f"/capture/{mail.id}").status_code == 404


def test_a_viewer_has_no_dropbox(client, login_as):
    login_as("viewer")
    assert client.get("/capture/").status_code == 403


def test_admins_see_everyones_mail_waiting_to_be_filed(client, login_as, make_user):
    gone = make_user("staff", name="Gone Person")
    deliver(bcc(gone.email, ["someone@else.example"], subject="Left behind"), gone)
    gone.active = False
    db.session.commit()
    login_as("admin")
    assert "Left behind" not in client.get("/capture/").text
    page = client.get("/capture/?show=everyone").text
    assert "Left behind" in page and "Gone Person" in page
    mail = _mail("Left behind")
    assert "File it on a customer" in client.get(f"/capture/{mail.id}").text
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as("billing")
    assert "Everyone" not in client.get("/capture/").text
    assert "Left behind" not in client.get("/capture/?show=everyone").text
