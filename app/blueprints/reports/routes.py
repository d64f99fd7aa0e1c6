"""Report pages: tabs Accounting (emails, receivables, revenue), Customers, Activity.

Every page answers a full page, or for htmx either the whole report region (tab
switches) or only the results (filters, sorting, paging), chosen by HX-Target.
"""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from app.blueprints.reports import bp, context
from app.mail import live
from app.reports import email_report
from app.web.auth import can
from app.web.auth import requires
from app.web.render import render



def _report(template: str, ctx: dict):
    block = "results" if request.headers.get("HX-Target") == "report-results" else "region"
    response = render(template, block, status=422 if ctx.get("errors") else 200, **ctx)
    response.vary.add("HX-Target")
    return response


@bp.app_template_global()
def export_args() -> dict[str, str]:
    """The current filters, for download links."""
    return context.filter_args()


@bp.route("/")
@requires("reports.activity")
def index():
    for permission, endpoint in (("reports.accounting", "reports.accounting"),
                                 ("reports.customers", "reports.customers")):
        if can(permission):
            return redirect(url_for(endpoint))
    return redirect(url_for("reports.activity"))


@bp.route("/accounting")
@requires("reports.accounting")
def accounting():
    """The Invoice Email report."""
    return _report("reports/emails.html", {"tab": "accounting", "sub": "emails",
                                           **context.emails()})


@bp.route("/accounting/emails/changes")
@requires("reports.accounting")
def email_changes():
    """What changed since the report page last asked, for the emails it shows (`ids`):
    204 when nothing did, else each changed row swapped in place, marked when it no
    longer matches the page's filters (which this question carries)."""
    try:
        since = live.from_cursor(int(request.args["since"]))
        asked = {int(i) for i in request.args.get("ids", "").split(",") if i}
    except (KeyError, ValueError, OverflowError, OSError):
        return "Send since (milliseconds) and ids (comma-separated numbers).", 400
    if len(asked) > live.MAX_IDS:
        return "Ask about at most 200 ids.", 400
    heartbeat = live.heartbeat_due(since)
    if not heartbeat and not live.maybe_changed(asked, since, "message"):
        return "", 204
    filters, _ = email_report.EmailFilters.parse(request.args)
    changed = live.changed(asked, since, "message")
    rows = email_report.rows_among(filters, current_user, changed)
    stale = email_report.rows_among(email_report.EmailFilters(), current_user,
                                    changed - {r.id for r in rows})
    if not (rows or stale or heartbeat):
        return "", 204
    page_args = {k: v for k, v in request.args.items() if k not in ("since", "ids")}

    def url_with(**changes) -> str:  # the report page's URL, as the row's links need it
        args = {**page_args, **changes}
        return url_for("reports.accounting", **{k: v for k, v in args.items()
                                                if v not in (None, "")})

    return render("reports/email_changes.html", rows=rows, stale=stale,
                  poll_url=context.email_changes_url(asked, page_args), url_with=url_with,
                  **context.email_row_helpers())


@bp.route("/accounting/emails/<int:message_id>/history")
@requires("reports.accounting")
def email_history(message_id: int):
    """One email's event history: the status hover card, or a page of its own."""
    message = email_report.message_with_history(message_id, current_user)
    if message is None:
        abort(404)
    return render("reports/email_history.html", "history", message=message,
                           tab="accounting")


@bp.route("/accounting/receivables")
@requires("reports.accounting")
def receivables():
    return _report("reports/receivables.html", {"tab": "accounting", "sub": "receivables",
                                                **context.receivables_page()})


@bp.route("/accounting/revenue")
@requires("reports.accounting")
def revenue():
    return _report("reports/revenue.html", {"tab": "accounting", "sub": "revenue",
                                            **context.revenue_page()})


@bp.route("/customers")
@requires("reports.customers")
def customers():
    return _report("reports/customers.html", {"tab": "customers",
                                              **context.customers_page()})


@bp.route("/activity")
@requires("reports.activity")
def activity():
    return _report("reports/activity.html", {"tab": "activity", **context.activity_page()})
