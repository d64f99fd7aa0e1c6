"""Admin → Settings: the office, sending and locale sections, the test email and the
first-run setup. Each section posts on its own; a guarded change (sender, Reply-To, bank
details) needs the admin's password again and is emailed to every admin."""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_login import current_user

from app import settings
from app.blueprints.settings import bp
from app.blueprints.settings.forms import LocaleForm, OfficeForm, SendingForm, SetupForm
from app.mail import outbox
from app.settings import sending
from app.settings.logo import MAX_BYTES, read_logo
from app.web.auth import requires
from app.web.endings import form_status, see_other
from app.web.render import render

_FORMS = {"office": OfficeForm, "sending": SendingForm, "locale": LocaleForm}


def _page(status: int = 200, **posted):
    """The Settings page: the posted form as it came back, the other sections as stored."""
    forms = {}
    for name, form_class in _FORMS.items():
        form = posted.get(name)
        if form is None:
            form = form_class(formdata=None)
            form.fill()
        forms[name] = form
    return render("settings/index.html", forms=forms, status=status,
                  warning=sending.alignment_warning(settings.get("sending.sender_address"),
                                                    current_app.config),
                  logo=settings.get("office.logo"), relay=current_app.config.get("MAIL_SERVER"))


@bp.route("/")
@requires("admin.settings")
def index():
    return _page()


@bp.route("/<section>", methods=["POST"])
@requires("admin.settings")
def save(section: str):
    form_class = _FORMS.get(section)
    if form_class is None:
        return _page(404)
    form = form_class()
    if not form.validate_on_submit():
        return _page(422, **{section: form})
    changes = form.changes()
    if section == "office":
        changes.update(_logo_change(form))
    problems = settings.problems(changes)
    if problems or form.errors:
        form.show(problems)
        return _page(422, **{section: form})
    guarded = sending.guarded(settings.pending(changes))
    if guarded and not current_user.check_password(form.password.data or ""):
        words = ", ".join(settings.KEYS[n].label for n in guarded)
        form.password.errors = [f"Enter your password to change: {words}."]
        return _page(422, **{section: form})
    # The admins' emails are written first, so one commit stores them with the change.
    told = sending.tell_admins(guarded, current_user) if guarded else []
    changed = settings.update(changes, user=current_user, ip=request.remote_addr)
    outbox.enqueue(told)
    message = "Saved." if changed else "Nothing changed."
    if guarded:
        message = "Saved. Every admin has been emailed about the changed details."
    return see_other(url_for("settings.index") + f"#{section}", message)


def _logo_change(form: OfficeForm) -> dict:
    if form.remove_logo.data:
        return {"office.logo": ""}
    upload = form.logo.data
    if not upload or not getattr(upload, "filename", ""):
        return {}
    try:
        return {"office.logo": read_logo(upload.stream.read(MAX_BYTES + 1))}
    except ValueError as error:
        form.logo.errors = [str(error).split(": ", 1)[-1]]
        return {}


@bp.route("/test-email", methods=["POST"])
@requires("admin.settings")
def test_email():
    sending.send_test(current_user)
    return see_other(url_for("settings.index") + "#sending",
                     f"A test email is on its way to {current_user.email}.")


@bp.route("/setup", methods=["GET", "POST"])
@requires("admin.settings")
def setup():
    """First run: the office's name, address and sender, while the office details are empty.
    Only then: it sets the sender without the password again (the admin has just logged
    in), so afterwards it must not be a way around Settings' guarded changes."""
    if not settings.needs_setup():
        return see_other(url_for("settings.index"), "Your office is already set up.", "info")
    form = SetupForm()
    if request.method == "GET":
        form.fill()
    elif form.validate_on_submit():
        changes = form.changes()
        problems = settings.problems(changes)
        if not problems:
            settings.update(changes, user=current_user, ip=request.remote_addr)
            return see_other(url_for("settings.index"),
                             "Your office is set up. The rest can wait until you need it.")
        form.show(problems)
    return render("settings/setup.html", form=form, status=form_status(form))
