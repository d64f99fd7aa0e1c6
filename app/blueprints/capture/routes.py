"""Captured mail: one's drop-box address and the mail waiting to be filed, a message's
page, filing it on a customer by hand, taking it off one, private, delete."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user

from app.blueprints.capture import bp
from app.capture import access, dropbox, filing
from app.extensions import db
from app.models import Document, User
from app.web.auth import requires
from app.web.endings import audit_request, see_other
from app.web.lookups import get_captured_or_404, get_changeable_customer_or_404
from app.web.pagination import paginate
from app.web.render import no_store, render

SHOWS = (("review", "To file"), ("filed", "Filed"))
EVERYONE = ("everyone", "Everyone's to file")  # admins (capture.private)


def _me() -> User:
    return db.session.get(User, current_user.id)


@bp.route("/")
@requires("capture.file")
def index():
    """One's drop-box address, and the mail that reached it: to file, or filed; for
    admins also everyone's mail waiting to be filed."""
    shows = SHOWS + ((EVERYONE,) if access.sees_private(current_user) else ())
    show = request.args.get("show") if request.args.get("show") in dict(shows) else "review"
    me = _me()
    if not me.dropbox_key:
        dropbox.address_of(me)
        db.session.commit()
    everyone = show == EVERYONE[0]
    page = paginate(filing.review_list(me, "review" if everyone else show, everyone=everyone),
                    per_page=25)
    return no_store(render("capture/index.html", "list", page=page, show=show, shows=shows,
                           filed_on=filing.filed_names([m.id for m in page.items], me),
                           to_file=show != "filed",
                           address=dropbox.address_of(me),
                           waiting=filing.waiting_count(me)))


@bp.route("/address/new", methods=["GET", "POST"])
@requires("capture.file")
def rotate():
    """A new drop-box address (after a confirmation page): the old one stops at once."""
    me = _me()
    if request.method == "GET":
        return no_store(render("capture/rotate.html", address=dropbox.address_of(me)))
    dropbox.rotate(me)
    audit_request("capture.address_changed", subject_type="user", subject_id=me.id,
                  summary="Drop-box address changed; the old one no longer takes mail")
    db.session.commit()
    return see_other(url_for("capture.index"),
                     "You have a new drop-box address. Mail to the old one is refused.")


def _page_context(mail, q: str = "") -> dict:
    customers = access.filed_on(mail)
    manage = access.may_manage(mail, current_user)
    documents = {d.id: d for d in db.session.scalars(db.select(Document).where(
        Document.captured_id == mail.id))}
    names = {c.id: c.display_name for c in customers}
    # Each attachment with the documents it became, and whose file each is on.
    attachments = [(note, [(documents[i], names.get(documents[i].customer_id, ""))
                           for i in note.get("document_ids", []) if i in documents])
                   for note in mail.attachments or []]
    return dict(mail=mail, customers=customers, manage=manage, q=q,
                choices=filing.customers_to_choose(q, current_user) if manage and q else [],
                documents=list(documents.values()), attachments=attachments)


@bp.route("/<int:captured_id>")
@requires("customers.view")
def show(captured_id: int):
    """The message: who it was between, what it said, where it is filed; for its filer
    (and admins) a search to file it on a customer."""
    mail = get_captured_or_404(captured_id)
    q = request.args.get("q", "")[:200]
    return no_store(render("capture/show.html", "choices", **_page_context(mail, q)))


def _managed(captured_id: int):
    mail = get_captured_or_404(captured_id)
    if not access.may_manage(mail, current_user):
        abort(403)
    return mail


def _customer_id() -> int:
    try:
        return int(request.form.get("customer_id", ""))
    except ValueError:
        abort(400, "Choose a customer to file the email on.")


@bp.route("/<int:captured_id>/file", methods=["POST"])
@requires("capture.file")
def file(captured_id: int):
    mail = _managed(captured_id)
    customer = get_changeable_customer_or_404(_customer_id())
    try:
        added = filing.file_on(mail, customer, current_user)
    except filing.FilingRefused as exc:
        db.session.rollback()
        abort(409, str(exc))
    if added:
        audit_request("capture.filed", subject_type="customer", subject_id=customer.id,
                      details={"captured_id": mail.id},
                      summary="Captured email filed on the customer by hand")
    db.session.commit()
    return see_other(url_for("capture.show", captured_id=mail.id),
                     f"Filed on {customer.display_name}." if added
                     else f"It was already filed on {customer.display_name}.")


@bp.route("/<int:captured_id>/unfile", methods=["POST"])
@requires("capture.file")
def unfile(captured_id: int):
    mail = _managed(captured_id)
    customer = get_changeable_customer_or_404(_customer_id())
    if filing.unfile(mail, customer.id):
        audit_request("capture.unfiled", subject_type="customer", subject_id=customer.id,
                      details={"captured_id": mail.id},
                      summary="Captured email taken off the customer's file")
    db.session.commit()
    back = "Back in your list to file." if mail.state == "review" else ""
    return see_other(url_for("capture.show", captured_id=mail.id),
                     f"Taken off {customer.display_name}'s file. {back}".strip())


@bp.route("/<int:captured_id>/private", methods=["POST"])
@requires("capture.file")
def private(captured_id: int):
    mail = _managed(captured_id)
    mail.private = request.form.get("private") == "1"
    audit_request("capture.private" if mail.private else "capture.shared",
                  subject_type="captured_mail", subject_id=mail.id,
                  summary="Captured email marked private" if mail.private
                  else "Captured email shared with everyone who may see its customers")
    db.session.commit()
    return see_other(url_for("capture.show", captured_id=mail.id),
                     "Only you and the administrators can read it now." if mail.private
                     else "Everyone who may see its customers can read it now.")


@bp.route("/<int:captured_id>/delete", methods=["GET", "POST"])
@requires("capture.file")
def delete(captured_id: int):
    mail = _managed(captured_id)
    if request.method == "GET":
        return no_store(render("capture/delete.html", **_page_context(mail)))
    customer_ids = [c.id for c in access.filed_on(mail)]
    filing.remove(mail)
    audit_request("capture.deleted", subject_type="captured_mail", subject_id=captured_id,
                  details={"customer_ids": customer_ids},
                  summary="Captured email deleted, with the documents it had added")
    db.session.commit()
    return see_other(url_for("capture.index"), "The email was deleted.")
