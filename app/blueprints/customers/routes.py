"""The customers list (search, filters, sorting), its CSV export, saved filters, adding."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, abort, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app import clock
from app.blueprints.customers import bp
from app.blueprints.customers.field_forms import parsed_values, with_fields
from app.blueprints.customers.forms import CustomerForm, SavedFilterForm
from app import fields as custom_fields
from app.customers.access import (
    can_see_customer, get_by_id, sees_all_customers, visible_customers,
)
from app.customers.changes import all_tag_names, assignable_users, parse_tags, tags_named
from app.customers.contacts import find_duplicates
from app.customers.csv_export import XLSX_TYPE, iter_csv, xlsx_bytes
from app.customers.duplicates import same_name
from app.customers.search import (
    STATUS_CHOICES, ListParams, build_query, count_cap, list_page,
)
from app.customers.segments import SEGMENTS, segments_for
from app.extensions import db
from app.models import Customer, CustomerEmail, CustomerPhone, SavedFilter, utcnow
from app.paging import Page
from app.web.auth import can
from app.web.auth import requires
from app.web.endings import audit_request, see_other
from app.web.endings import form_status
from app.web.pagination import page_number
from app.web.render import is_htmx, is_partial, render

PER_PAGE = 25


def _list_context(params: ListParams) -> dict:
    today = clock.today()
    own_fields = custom_fields.fields_for(current_user)
    # Sort and page over ids only, then load the page's customers with their contacts.
    ids, total, number = list_page(params, current_user, today, page_number(), PER_PAGE,
                                   own_fields=own_fields)
    loaded = {c.id: c for c in db.session.scalars(
        db.select(Customer).where(Customer.id.in_(ids)).options(
            selectinload(Customer.emails), selectinload(Customer.phones),
            selectinload(Customer.tags), selectinload(Customer.owner)))}
    page = Page(items=[loaded[i] for i in ids], page=number, per_page=PER_PAGE, total=total)
    anyone = bool(page.items) or db.session.scalar(
        visible_customers(current_user).with_only_columns(Customer.id).limit(1)) is not None
    sees_all = sees_all_customers(current_user)
    list_fields = [f for f in own_fields if f.in_list]
    cap = count_cap(params, current_user, own_fields)
    return dict(
        list_fields=list_fields,
        field_cells=custom_fields.list_cells(ids, list_fields),
        filter_fields=[] if is_partial() else custom_fields.filterable(own_fields),
        page=page, params=params, anyone=anyone, sees_all=sees_all,
        # An htmx answer also refreshes the sort inputs of the form outside the results.
        sort_state_oob=is_htmx(),
        capped=cap is not None and page.total >= cap,
        segments=segments_for([c.id for c in page.items], today),
        segment_choices=SEGMENTS, status_choices=STATUS_CHOICES,
        # The filter form is outside the results fragment: only full pages need these.
        tag_names=[] if is_partial() else all_tag_names(),
        owners=assignable_users() if sees_all and not is_partial() else [],
        saved=db.session.scalars(db.select(SavedFilter).filter_by(user_id=current_user.id)
                                 .order_by(SavedFilter.name)).all(),
        saved_form=SavedFilterForm(query=urlencode(params.to_args())),
        export_url=url_for("customers.csv_export", **params.to_args()),
        xlsx_url=url_for("customers.xlsx_export", **params.to_args()),
    )


@bp.route("/")
@requires("customers.view")
def index():
    params = ListParams.from_args(request.args)
    return render("customers/index.html", "results", **_list_context(params))


@bp.route("/export.csv")
@requires("customers.export")
def csv_export():
    return _export("csv")


@bp.route("/export.xlsx")
@requires("customers.export")
def xlsx_export():
    return _export("xlsx")


def _export(kind: str) -> Response:
    params = ListParams.from_args(request.args)
    query = build_query(params, current_user, clock.today())
    ids = list(db.session.scalars(query.with_only_columns(Customer.id)))
    show_ids = can("customers.view_ids")
    label = "Excel" if kind == "xlsx" else "CSV"
    audit_request("customers.exported",
                  details={"filters": params.to_args(), "rows": len(ids),
                           "ids_unmasked": show_ids, "format": kind},
                  summary=f"{label} export of {len(ids)} customers")
    db.session.commit()
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    # Built in the request (batched loads, flat memory per batch): a streamed body would
    # outlive the request's database session.
    if kind == "xlsx":
        response = Response(xlsx_bytes(ids, show_ids), mimetype=XLSX_TYPE)
    else:
        response = Response("".join(iter_csv(ids, show_ids)),
                            mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="customers-{stamp}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/filters", methods=["POST"])
@requires("customers.view")
def filter_save():
    form = SavedFilterForm()
    if not form.validate_on_submit():
        return see_other(url_for("customers.index"),
                         " ".join(form.name.errors) or "The filter could not be saved.", "error")
    name = form.name.data.strip()
    query = urlencode(ListParams.from_args(_parse_qs(form.query.data)).to_args())
    saved = db.session.scalar(db.select(SavedFilter).filter_by(user_id=current_user.id,
                                                               name=name))
    if saved is None:
        saved = SavedFilter(user_id=current_user.id, name=name, query=query)
        db.session.add(saved)
    saved.query = query
    db.session.commit()
    return see_other(url_for("customers.index") + ("?" + query if query else ""),
                     f"Saved the filter “{name}”.")


@bp.route("/filters/<int:filter_id>/delete", methods=["POST"])
@requires("customers.view")
def filter_delete(filter_id: int):
    saved = get_by_id(SavedFilter, filter_id)
    if saved is None or saved.user_id != current_user.id:
        abort(404)
    db.session.delete(saved)
    db.session.commit()
    return see_other(url_for("customers.index"), f"Deleted the filter “{saved.name}”.")


def _parse_qs(text: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(text or "", keep_blank_values=False)[:20])


def _owner_choices() -> list[tuple[int, str]]:
    if not sees_all_customers(current_user):
        return [(current_user.id, current_user.display_name)]
    return [(0, "Nobody yet")] + [(u.id, u.display_name) for u in assignable_users()]


@bp.route("/new", methods=["GET", "POST"])
@requires("customers.create")
def new():
    own_fields = custom_fields.fields_for(current_user)
    form = with_fields(CustomerForm, own_fields)()
    form.own_fields = own_fields
    form.owner_id.choices = _owner_choices()
    if request.method == "GET":
        form.owner_id.data = current_user.id
    duplicates: list[Customer] = []
    if form.validate_on_submit():
        phone_e164 = getattr(form.phone, "e164", "") if form.phone.data else ""
        duplicates = find_duplicates([form.email.data] if form.email.data else [],
                                     [phone_e164] if phone_e164 else [])
        duplicates += [c for c in same_name(form.kind.data, form.first_name.data or "",
                                            form.last_name.data or "",
                                            form.company.data or "")
                       if c not in duplicates]
        if not duplicates or form.confirm_duplicate.data == "1":
            customer = _create_customer(form, phone_e164)
            return see_other(url_for("customers.show", customer_id=customer.id),
                             f"Added {customer.display_name}.")
        form.confirm_duplicate.data = "1"
    status = form_status(form, otherwise=409 if duplicates else 200)
    return render(
        "customers/new.html", form=form, status=status, tag_names=all_tag_names(),
        duplicates=[d for d in duplicates if can_see_customer(d, current_user)],
        hidden_duplicates=sum(1 for d in duplicates if not can_see_customer(d, current_user)))


def _create_customer(form: CustomerForm, phone_e164: str) -> Customer:
    customer = Customer(kind=form.kind.data, first_name=form.first_name.data.strip(),
                        last_name=form.last_name.data.strip(),
                        company=form.company.data.strip(), owner_id=form.owner_id.data or None)
    if form.email.data:
        customer.emails.append(CustomerEmail(address=form.email.data, is_primary=True))
    if phone_e164:
        customer.phones.append(CustomerPhone(e164=phone_e164, display=form.phone.display))
    customer.tags = tags_named(parse_tags(form.tags.data))
    db.session.add(customer)
    db.session.flush()
    custom_fields.insert_values([(customer.id, parsed_values(form, form.own_fields))])
    audit_request("customer.created",
                  subject_type="customer", subject_id=customer.id,
                  details={"kind": customer.kind, "owner_id": customer.owner_id,
                           "possible_duplicate": form.confirm_duplicate.data == "1"},
                  summary=f"Added customer #{customer.id}")
    db.session.commit()
    return customer
