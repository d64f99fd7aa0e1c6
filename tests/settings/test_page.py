"""Admin → Settings over HTTP: who may open it, bad input refused in words (4xx, never a
500), the password and the admins' email on guarded changes, the test email, first run."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from app import settings
from app.models import AuditLog, EmailMessage, User
from app.settings.logo import MAX_BYTES
from tests.conftest import csrf_token, login

PASSWORD = "correct horse 1"


def _office_form(**changes) -> dict:
    data = {"office_name": "Smith & Daughters", "office_address": "1 High Street\nLeeds",
            "office_country": "GB", "office_tax_number": "", "office_registration_number": "",
            "office_phone": "", "office_website": "", "office_bank_name": "",
            "office_iban": "", "office_bic": "", "office_payment_instructions": "",
            "office_time_zone": "Europe/London", "password": ""}
    data.update(changes)
    return data


def _post(client, section: str, data: dict, **kw):
    data = {"csrf_token": csrf_token(client, "/admin/settings/"), **data}
    return client.post(f"/admin/settings/{section}", data=data, **kw)


def _png(width: int, height: int) -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(picture, "PNG")
    return picture.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` × `height` pixels in a few bytes: decoding it would
    allocate gigabytes, so it must be refused from its header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize("role", ["billing", "staff", "viewer"])
def test_only_admins_open_settings(client, login_as, role):
    login_as(role)
    assert client.get("/admin/settings/").status_code == 403


def test_the_page_shows_the_sections_with_the_stored_values(client, login_as):
    login_as("admin")
    settings.update({"office.name": "Smith & Daughters"})
    page = client.get("/admin/settings/")
    assert page.status_code == 200
    for words in ('id="office"', 'id="sending"', 'id="locale"', 'value="Smith &amp; Daughters"',
                  "Send me a test email"):
        assert words in page.text, words


def test_saving_the_office_section_stores_and_audits(client, login_as, db):
    admin = login_as("admin")
    response = _post(client, "office", _office_form(office_tax_number="GB 980 7806 84"))
    assert response.status_code == 303
    assert settings.get("office.name") == "Smith & Daughters"
    assert settings.get("office.tax_number") == "GB980780684"
    assert settings.get("office.time_zone") == "Europe/London"
    entry = db.session.query(AuditLog).filter_by(action="settings.changed").one()
    assert entry.user_id == admin.id


@pytest.mark.parametrize("field, value, words", [
    ("office_tax_number", "GB123456789", "not a valid United Kingdom VAT number"),
    ("office_iban", "GB33BUKB20201555555556", "not a valid IBAN"),
    ("office_bic", "NOTABIC", "not a valid BIC"),
    ("office_time_zone", "Mars/Olympus", "Not a valid choice"),
    ("office_website", "javascript:alert(1)", "an address such as"),
])
def test_bad_values_are_refused_beside_their_field(client, login_as, field, value, words):
    login_as("admin")
    response = _post(client, "office", _office_form(**{field: value}, password=PASSWORD))
    assert response.status_code == 422
    assert words in response.text
    assert not settings.is_stored("office.name")  # nothing of the form was saved


@pytest.mark.parametrize("upload, words", [
    (b"x" * (MAX_BYTES + 10), "at most 1 MB"),
    (_png_header_only(100_000, 100_000), "too large"),  # over Pillow's own cap
    (_png_header_only(5_000, 5_000), "5,000 × 5,000 pixels is too large"),  # over ours
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\nnot really", "could not be read"),
])
def test_bad_logos_are_refused_in_words(client, login_as, upload, words):
    login_as("admin")
    data = _office_form(logo=(io.BytesIO(upload), "logo.png"))
    response = _post(client, "office", data, content_type="multipart/form-data")
    assert response.status_code == 422, response.status_code
    assert words in response.text
    assert settings.get("office.logo") == ""


def test_a_logo_is_stored_and_can_be_removed(client, login_as):
    login_as("admin")
    data = _office_form(logo=(io.BytesIO(_png(300, 80)), "logo.png"))
    assert _post(client, "office", data, content_type="multipart/form-data").status_code == 303
    assert settings.get("office.logo")
    assert 'class="logo-preview"' in client.get("/admin/settings/").text
    assert _post(client, "office", _office_form(remove_logo="y")).status_code == 303
    assert settings.get("office.logo") == ""


def test_a_too_large_request_is_refused_before_it_is_read(client, login_as):
    login_as("admin")
    data = _office_form(logo=(io.BytesIO(b"x" * (3 * MAX_BYTES)), "logo.png"))
    response = _post(client, "office", data, content_type="multipart/form-data")
    assert response.status_code == 413


def test_bank_details_need_the_password_and_every_admin_is_emailed(client, login_as,
                                                                   make_user, db):
    login_as("admin")
    other = make_user("admin", email="other-admin@example.com")
    make_user("billing", email="billing@example.com")
    iban = "GB33BUKB20201555555555"
    refused = _post(client, "office", _office_form(office_iban=iban))
    assert refused.status_code == 422 and "Enter your password to change: IBAN" in refused.text
    assert settings.get("office.iban") == ""
    wrong = _post(client, "office", _office_form(office_iban=iban, password="guess"))
    assert wrong.status_code == 422 and settings.get("office.iban") == ""
    done = _post(client, "office", _office_form(office_iban=iban, password=PASSWORD))
    assert done.status_code == 303
    assert settings.get("office.iban") == "GB33 BUKB 2020 1555 5555 55"
    told = db.session.query(EmailMessage).filter_by(kind="system").all()
    admins = {u.email for u in db.session.query(User).filter_by(role="admin")}
    assert {m.to_address for m in told} == admins and other.email in admins
    assert "IBAN: (empty) → GB33 BUKB 2020 1555 5555 55" in told[0].body_text
    assert "bank or sender details were changed" in told[0].subject


def test_unguarded_changes_need_no_password(client, login_as, db):
    login_as("admin")
    settings.update({"office.iban": "GB33BUKB20201555555555"})
    response = _post(client, "office", _office_form(office_iban="GB33 BUKB 2020 1555 5555 55",
                                                    office_name="Renamed"))
    assert response.status_code == 303 and settings.get("office.name") == "Renamed"
    assert db.session.query(EmailMessage).count() == 0


def test_the_sender_needs_the_password_too(client, login_as, db):
    login_as("admin")
    data = {"sending_sender_name": "Smith", "sending_sender_address": "accounts@smith.example",
            "sending_reply_to": "", "sending_signature": "", "password": ""}
    refused = _post(client, "sending", data)
    assert refused.status_code == 422 and "Sender address" in refused.text
    assert _post(client, "sending", {**data, "password": PASSWORD}).status_code == 303
    assert settings.get("sending.sender_address") == "accounts@smith.example"
    assert db.session.query(EmailMessage).filter_by(kind="system").count() == 1


def test_a_bad_sender_address_is_refused(client, login_as):
    login_as("admin")
    data = {"sending_sender_name": "Smith", "sending_sender_address": "not-an-address",
            "sending_reply_to": "", "sending_signature": "", "password": PASSWORD}
    response = _post(client, "sending", data)
    assert response.status_code == 422 and "not an email address" in response.text


def test_send_me_a_test_reaches_the_admin_from_the_sender(app, client, login_as, smtp,
                                                          run_worker):
    admin = login_as("admin")
    settings.update({"sending.sender_address": "accounts@smith.example"})
    response = client.post("/admin/settings/test-email",
                           data={"csrf_token": csrf_token(client, "/admin/settings/")})
    assert response.status_code == 303
    run_worker()
    [got] = smtp.received
    assert got.rcpt_tos == [admin.email] and "accounts@smith.example" in got.message["From"]


def test_the_alignment_warning_is_a_guess_said_honestly(app, client, login_as):
    login_as("admin")
    app.config.update(MAIL_SERVER="smtp.mailgun.org", MAIL_USERNAME="postmaster@mg.relay.example")
    settings.update({"sending.sender_address": "accounts@smith.example"})
    page = client.get("/admin/settings/").text
    assert 'data-testid="alignment-warning"' in page and "mg.relay.example" in page
    assert "does not look up your DNS records" in page
    settings.update({"sending.sender_address": "accounts@relay.example"})
    assert 'data-testid="alignment-warning"' not in client.get("/admin/settings/").text


def test_the_first_admin_is_sent_to_the_setup_screen_until_the_office_is_set_up(
        client, make_user):
    admin = make_user("admin")
    first = login(client, admin.email)
    assert first.headers["Location"].endswith("/admin/settings/setup")
    assert 'data-testid="setup-notice"' in client.get("/").text
    data = {"csrf_token": csrf_token(client, "/admin/settings/setup"),
            "office_name": "Smith & Daughters", "office_address": "1 High Street\nLeeds",
            "office_country": "GB", "office_tax_number": "GB123", "office_time_zone": "UTC",
            "sending_sender_name": "Smith", "sending_sender_address": "a@smith.example",
            "locale_code": "en_GB"}
    bad = client.post("/admin/settings/setup", data=data)
    assert bad.status_code == 422 and "VAT number" in bad.text
    data["office_tax_number"] = ""
    assert client.post("/admin/settings/setup", data=data).status_code == 303
    assert settings.get("office.address") == "1 High Street\nLeeds"
    assert 'data-testid="setup-notice"' not in client.get("/").text
    again = client.post("/admin/settings/setup", data={**data, "sending_sender_address":
                                                       "thief@elsewhere.example"})
    assert again.status_code == 303 and again.headers["Location"].endswith("/admin/settings/")
    assert settings.get("sending.sender_address") == "a@smith.example"
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert not login(client, admin.email).headers["Location"].endswith("/setup")


def test_staff_are_never_sent_to_setup(client, make_user):
    staff = make_user("staff")
    assert not login(client, staff.email).headers["Location"].endswith("/setup")


def test_the_first_run_screen_does_not_offer_the_demo_office_as_this_office(client, make_user):
    admin = make_user("admin")
    login(client, admin.email)
    page = client.get("/admin/settings/setup").text
    assert "Clientele Demo Office" not in page and "billing@clientele.localhost" not in page
    assert 'placeholder="e.g. accounts@your-office.example"' in page
    data = {"csrf_token": csrf_token(client, "/admin/settings/setup"),
            "office_name": "Smith & Daughters", "office_address": "1 High Street\nLeeds",
            "office_country": "GB", "office_tax_number": "", "office_time_zone": "UTC",
            "sending_sender_name": "", "sending_sender_address": "",
            "locale_code": "en_GB"}
    refused = client.post("/admin/settings/setup", data=data)
    assert refused.status_code == 422 and "invoices need a From address" in refused.text
    data["sending_sender_address"] = "accounts@smith.example"
    assert client.post("/admin/settings/setup", data=data).status_code == 303
    assert settings.get("sending.sender_name") == "Smith & Daughters"  # the office's name


def test_the_operators_own_defaults_are_offered_on_the_first_run(client, make_user, app):
    app.config["OFFICE_NAME"] = "Harbour Accountants"
    settings.forget()
    admin = make_user("admin")
    login(client, admin.email)
    assert 'value="Harbour Accountants"' in client.get("/admin/settings/setup").text
