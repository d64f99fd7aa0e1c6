from datetime import date

from flask import Blueprint

bp = Blueprint("invoices", __name__, url_prefix="/invoices")


@bp.record_once
def _template_helpers(state) -> None:
    # App-wide, so the client view and customer pages can show invoice statuses too.
    from app.invoice_list import STATUS_FILTERS
    from app.invoicing import STATUS_LABELS, display_status

    env = state.app.jinja_env
    env.globals.update(STATUS_LABELS=STATUS_LABELS, STATUS_FILTERS=STATUS_FILTERS)
    env.filters["invoice_status"] = lambda invoice: display_status(invoice, date.today())


from app.blueprints.invoices import editor, routes  # noqa: E402,F401
