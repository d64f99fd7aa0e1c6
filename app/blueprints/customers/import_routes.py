"""CSV import: upload, map columns with a preview, validate, confirm (all or nothing)."""
from __future__ import annotations

from app.blueprints.customers import bp
from app.permissions import requires
from app.web import no_store, render


@bp.route("/import", methods=["GET", "POST"])
@requires("customers.import")
def import_upload():
    return no_store(render("customers/index.html"))
