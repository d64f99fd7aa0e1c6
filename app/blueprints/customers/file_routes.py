"""The customer file page and its sections, each editable in place (and without JS)."""
from __future__ import annotations

from flask import abort, make_response, redirect, request, url_for
from flask_login import current_user

from app import clock, paging
from app import fields as custom_fields
from app.blueprints.customers import bp
from app.blueprints.customers.forms import NoteForm
from app.blueprints.customers.sections import SECTIONS, Section
from app.customers.changes import all_tag_names, assignable_users
from app.customers.consent import KINDS, change_consent
from app.customers.identifiers import IDENTIFIER_KINDS
from app.customers.languages import language_choices
from app.customers.segments import customer_figures, segments_for
from app.documents.store import documents_for
from app.extensions import db
from app.invoices.terms import currency_choices, office_defaults, terms_for
from app.mail.history import latest_statuses
from app.mail import live
from app.models import Invoice
from app.web.auth import can
from app.web.auth import requires
from app.web.endings import audit_request, form_status, see_other
from app.web.lookups import get_changeable_customer_or_404, get_customer_or_404
from app.web.render import hx_trigger, is_partial, render, render_block

TEMPLATE = "customers/file.html"
TIMELINE_EVENT = "timeline-changed"
INVOICES_PER_PAGE = 10


def _invoices_page(customer, number: int):
    """A page of the customer's invoices, newest first, with their latest email status."""
    query = (db.select(Invoice).where(Invoice.customer_id == customer.id)
             .order_by(Invoice.issue_date.desc(), Invoice.id.desc()))
    page = paging.paginate(query, number, INVOICES_PER_PAGE)
    return page, latest_statuses([i.id for i in page.items])


def file_context(customer, editing: str | None = None, form=None, note_form=None,
                 invoices_page: int = 1) -> dict:
    """Everything the file page and each of its fragments need (one source for both)."""
    today = clock.today()
    invoice_page, email_statuses = _invoices_page(customer, invoices_page)
    invoices = db.session.execute(
        db.select(Invoice.id, Invoice.number).where(Invoice.customer_id == customer.id)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc()).limit(100)).all()
    if note_form is None and can("customers.notes") and customer.erased_at is None:
        note_form = NoteForm(formdata=None)
    if note_form is not None:
        note_form.invoice_id.choices = [(0, "—")] + [(i.id, i.number) for i in invoices]
    own_fields = custom_fields.fields_for(current_user)
    return dict(
        own_fields=own_fields,
        own_values=custom_fields.values_for([customer.id], own_fields).get(customer.id, {}),
        c=customer, editing=editing, form=form, note_form=note_form,
        figures=customer_figures(customer.id, today),
        segments=segments_for([customer.id], today).get(customer.id, []),
        show_ids=can("customers.view_ids"), sections=SECTIONS, id_kinds=dict(IDENTIFIER_KINDS),
        invoice_page=invoice_page, email_statuses=email_statuses, terms=terms_for(customer),
        office=office_defaults(), can_invoice=_can_invoice(customer),
        docs=documents_for(customer.id, current_user), doc_error=None,
        invoices_href=lambda n: url_for("customers.show", customer_id=customer.id,
                                        invoices_page=n) + "#sec-invoices",
        invoices_hx=lambda n: url_for("customers.invoices", customer_id=customer.id, page=n),
    )


def _can_invoice(customer) -> bool:
    """May the user start an invoice for this customer here (the editor offers neither
    erased nor archived customers)?"""
    return can("invoices.edit") and customer.erased_at is None and customer.status != "archived"


def _prepare(section: Section, form, customer) -> None:
    """Choices that depend on the database, the user or the customer."""
    if section.name == "billing":
        form.language.choices = language_choices(customer.language)
        office = office_defaults()
        form.payment_terms_days.description = f"Empty: the office's {office.days} days."
        form.currency.choices = [("", f"Office default ({office.currency})")] + [
            (c, c) for c in currency_choices(customer.currency)]
    if section.name == "assignment":
        users = assignable_users()
        form.owner_id.choices = [(0, "Nobody")] + [(u.id, u.display_name) for u in users]
        form.tag_names = all_tag_names()


@bp.route("/<int:customer_id>")
@requires("customers.view")
def show(customer_id: int):
    customer = get_customer_or_404(customer_id)
    audit_request("customer.viewed", subject_type="customer", subject_id=customer.id)
    db.session.commit()
    return render(TEMPLATE, live_url=_changes_url(customer), **file_context(
        customer, invoices_page=paging.page_from(request.args.get("invoices_page"))))


@bp.route("/<int:customer_id>/invoices")
@requires("invoices.view")
def invoices(customer_id: int):
    """A page of the file's invoice list (its pager's fragment); the file page otherwise."""
    customer = get_customer_or_404(customer_id)
    number = paging.page_from(request.args.get("page"))
    if not is_partial():
        return redirect(url_for("customers.show", customer_id=customer.id,
                                invoices_page=number) + "#sec-invoices")
    return render(TEMPLATE, "invoices", **file_context(customer, invoices_page=number))


@bp.route("/<int:customer_id>/changes")
@requires("customers.view")
def changes(customer_id: int):
    """Whether the customer's emails changed since the file page last asked (its live
    poller): 204 when not, else the timeline is told to reload."""
    customer = get_customer_or_404(customer_id)
    try:
        since = live.from_cursor(int(request.args["since"]))
    except (KeyError, ValueError, OverflowError, OSError):
        return "Send since (milliseconds since 1970).", 400
    heartbeat = live.heartbeat_due(since)
    if not heartbeat and not live.maybe_changed([customer.id], since, "customer"):
        return "", 204
    news = live.changed([customer.id], since, "customer")
    if not news and not heartbeat:
        return "", 204
    response = render("customers/changes.html", poll_url=_changes_url(customer))
    return hx_trigger(response, TIMELINE_EVENT) if news else response


def _changes_url(customer) -> str | None:
    if not live.watched([customer.id], "customer"):
        return None
    return url_for("customers.changes", customer_id=customer.id, since=live.cursor())


@bp.route("/<int:customer_id>/section/<name>")
@requires("customers.view")
def section(customer_id: int, name: str):
    """One section in display mode: what "Cancel" swaps back in."""
    customer = get_customer_or_404(customer_id)
    if name not in SECTIONS:
        abort(404)
    if not is_partial():
        return redirect(url_for("customers.show", customer_id=customer.id) + f"#sec-{name}")
    return render(TEMPLATE, name, **file_context(customer))


def _edit(customer_id: int, name: str):
    customer = get_changeable_customer_or_404(customer_id)
    spec = SECTIONS[name]
    if request.method == "POST":
        form = spec.form()
    else:
        form = spec.form(formdata=None, data=spec.fill(customer))
    _prepare(spec, form, customer)
    if request.method == "POST" and form.validate():
        changed = spec.apply(form, customer, current_user)
        if changed:
            audit_request("customer.updated",
                          subject_type="customer", subject_id=customer.id,
                          details={"section": name, "changes": changed},
                          summary=f"Changed {spec.title.lower()}: " + ", ".join(changed))
        db.session.commit()
        return _section_saved(customer, name)
    return render(TEMPLATE, name, status=form_status(form),
                  **file_context(customer, editing=name, form=form))


def _section_saved(customer, name: str):
    """Display mode again: the section, the header out of band, and a timeline refresh."""
    if not is_partial():
        return see_other(url_for("customers.show", customer_id=customer.id) + f"#sec-{name}")
    db.session.refresh(customer)
    context = file_context(customer)
    body = render_block(TEMPLATE, name, **context) + render_block(TEMPLATE, "head", oob=True,
                                                                  **context)
    response = make_response(body)
    response.vary.add("HX-Request")
    return hx_trigger(response, TIMELINE_EVENT)


def _register_edit(name: str) -> None:
    spec = SECTIONS[name]

    def view(customer_id: int):
        return _edit(customer_id, name)

    view.__name__ = f"{name}_edit"
    bp.add_url_rule(f"/<int:customer_id>/{name}/edit", view_func=requires(spec.permission)(view),
                    methods=["GET", "POST"])


for _name in SECTIONS:
    _register_edit(_name)


@bp.route("/<int:customer_id>/consent/<kind>/withdraw", methods=["POST"])
@requires("customers.edit_contact")
def consent_withdraw(customer_id: int, kind: str):
    """One click records that the customer withdrew a consent (anyone editing contacts)."""
    customer = get_changeable_customer_or_404(customer_id)
    if kind not in KINDS:
        abort(404)
    if change_consent(customer, kind, False,
                      source=f"withdrawn in the customer file, by {current_user.email}"):
        audit_request("customer.consent_withdrawn",
                      subject_type="customer", subject_id=customer.id,
                      details={"consent": kind}, summary=f"{kind.capitalize()} consent withdrawn")
        db.session.commit()
    return _section_saved(customer, "consent")


@bp.route("/<int:customer_id>/verify", methods=["POST"])
@requires("customers.edit_contact")
def contact_verify(customer_id: int):
    """The contact details were checked with the customer today."""
    customer = get_changeable_customer_or_404(customer_id)
    before = {"last_verified_on": str(customer.last_verified_on or ""),
              "needs_review": customer.needs_review}
    customer.last_verified_on = clock.today()
    customer.needs_review, customer.needs_review_reason = False, ""
    audit_request("customer.contact_verified",
                  subject_type="customer", subject_id=customer.id,
                  details={"changes": {"last_verified_on": [before["last_verified_on"],
                                                            str(customer.last_verified_on)],
                                       "needs_review": [before["needs_review"], False]}},
                  summary="Contact details verified")
    db.session.commit()
    return _section_saved(customer, "contact")

