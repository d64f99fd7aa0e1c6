"""Per-customer data export (JSON) and erasure."""
from __future__ import annotations

import json

from flask import Response, flash, url_for

from app.blueprints.customers import bp
from app.blueprints.customers.forms import EraseForm
from app.customers.privacy import erase_customer, export_document
from app.extensions import db
from app.web.auth import can
from app.web.auth import requires
from app.web.endings import audit_request, form_status, see_other
from app.web.lookups import get_customer_or_404
from app.web.render import render


@bp.route("/<int:customer_id>/export.json")
@requires("customers.export")
def data_export(customer_id: int):
    customer = get_customer_or_404(customer_id)
    show_ids = can("customers.view_ids")
    document = export_document(customer, show_ids, show_private=can("capture.private"))
    audit_request("customer.exported",
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
        return see_other(url_for("customers.show", customer_id=customer.id),
                         "This customer's personal data was already erased.", "info")
    if form.validate_on_submit():
        counts = erase_customer(customer)
        audit_request("customer.erased",
                      subject_type="customer", subject_id=customer.id, details=counts,
                      summary="Personal data erased; invoices kept")
        db.session.commit()
        flash("Personal data erased. Invoices and payments were kept for accounting.",
              "success")
        return see_other(url_for("customers.show", customer_id=customer.id))
    return render("customers/erase.html", c=customer, form=form,
                           status=form_status(form))
