"""Per-customer data export (JSON) and erasure."""
from __future__ import annotations

import json

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user

from app import audit
from app.web.auth import can
from app.blueprints.customers import bp
from app.blueprints.customers.forms import EraseForm
from app.web.lookups import get_customer_or_404
from app.customers.privacy import erase_customer, export_document
from app.extensions import db
from app.web.auth import requires
from app.web.render import render


@bp.route("/<int:customer_id>/export.json")
@requires("customers.export")
def data_export(customer_id: int):
    customer = get_customer_or_404(customer_id)
    show_ids = can("customers.view_ids")
    document = export_document(customer, show_ids)
    audit.record("customer.exported", user=current_user, ip=request.remote_addr,
                 subject_type="customer", subject_id=customer.id,
                 details={"format": "json", "ids_unmasked": show_ids},
                 summary="Data export (JSON)")
    db.session.commit()
    response = Response(json.dumps(document, indent=2, ensure_ascii=False),
                        mimetype="application/json")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="customer-{customer.id}.json"'
    return response


@bp.route("/<int:customer_id>/erase", methods=["GET", "POST"])
@requires("customers.erase")
def erase(customer_id: int):
    customer = get_customer_or_404(customer_id)
    form = EraseForm()
    if customer.erased_at:
        flash("This customer's personal data was already erased.", "info")
        return redirect(url_for("customers.show", customer_id=customer.id), code=303)
    if form.validate_on_submit():
        counts = erase_customer(customer)
        audit.record("customer.erased", user=current_user, ip=request.remote_addr,
                     subject_type="customer", subject_id=customer.id, details=counts,
                     summary="Personal data erased; invoices kept")
        db.session.commit()
        flash("Personal data erased. Invoices and payments were kept for accounting.",
              "success")
        return redirect(url_for("customers.show", customer_id=customer.id), code=303)
    return render("customers/erase.html", c=customer, form=form,
                           status=422 if form.errors else 200)
