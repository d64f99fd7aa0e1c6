from flask import Blueprint, g

bp = Blueprint("invoices", __name__, url_prefix="/invoices")


@bp.record_once
def _template_helpers(state) -> None:
    # App-wide, so the client view and customer pages can show invoices too.
    from app.blueprints.invoices.forms import METHOD_LABELS
    from app.invoices.listing import STATUS_FILTERS
    from app.invoices.money import line_amounts, plain_number
    from app.invoices.rules import (
        BILLED_STATES, LABELLED_FOR_CUSTOMER, OPEN_STATES, STATUS_LABELS, VOIDABLE_STATES,
        display_status,
    )

    env = state.app.jinja_env
    env.globals.update(STATUS_LABELS=STATUS_LABELS, STATUS_FILTERS=STATUS_FILTERS,
                       METHOD_LABELS=METHOD_LABELS, OPEN_STATES=OPEN_STATES,
                       VOIDABLE_STATES=VOIDABLE_STATES, BILLED_STATES=BILLED_STATES,
                       LABELLED_FOR_CUSTOMER=LABELLED_FOR_CUSTOMER)
    # The office's today, as read when the render started (app.web.templating).
    env.filters["invoice_status"] = lambda invoice: display_status(invoice, g.today)
    env.filters["line_net"] = lambda line: line_amounts(line).net
    env.filters["plain_number"] = plain_number


from app.blueprints.invoices import editor, emails, routes  # noqa: E402,F401
