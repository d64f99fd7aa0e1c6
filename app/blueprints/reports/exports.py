"""Every report's filtered rows as CSV (one table, `?table=`) or an Excel workbook (all)."""
from __future__ import annotations

from itertools import islice

from flask import Response, abort, request
from flask_login import current_user

from app import clock
from app.blueprints.reports import bp
from app.reports import activity, customer_insight, email_report, receivables
from app.reports.customer_insight import billed_currencies
from app.reports.export import XLSX_TYPE, Table, csv_chunks, filename, xlsx_bytes
from app.reports.filters import ArgReader
from app.reports.sql import customer_name, window
from app.web.auth import requires

EXCEL_MAX_ROWS = 100_000  # a workbook is built in memory; CSV streams without a limit


def _send(report: str, fmt: str, tables: list[Table]) -> Response:
    if fmt == "csv":
        wanted = request.args.get("table") or tables[0].name
        table = next((t for t in tables if t.name == wanted), None)
        if table is None:
            abort(404)
        # Built inside the request (not streamed): the rows are read while the request's
        # database session is open, and a half-read stream can't hold a connection.
        response = Response("".join(csv_chunks(table)), mimetype="text/csv; charset=utf-8")
        name = filename(f"{report}-{table.name}" if len(tables) > 1 else report, "csv", clock.today())
    elif fmt == "xlsx":
        for table in tables:
            table.rows = islice(table.rows, EXCEL_MAX_ROWS)
        response = Response(xlsx_bytes(tables), mimetype=XLSX_TYPE)
        name = filename(report, "xlsx", clock.today())
    else:
        abort(404)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _span(months: int = 12):
    read = ArgReader(request.args)
    first, last = read.date_range()
    return window(first, last, clock.today(), months)


@bp.route("/accounting/export/<fmt>")
@requires("reports.accounting")
def emails_export(fmt: str):
    filters, _ = email_report.EmailFilters.parse(request.args)
    rows = ((r.sent_at or r.created_at, r.invoice_number, customer_name(r), r.to_address,
             r.subject, r.human_opens, r.automated_opens, r.clicks, r.last_event_type,
             r.last_event_at, email_report.staff_name(r), r.failure_reason or "",
             r.failure_class or "", email_report.failure_text(r),
             email_report.status_label(r.status))
            for r in email_report.all_rows(filters, current_user))
    headers = ("Date sent (UTC)", "Invoice", "Customer", "Recipient", "Subject",
               "Opens by people", "Automated opens", "Clicks", "Last event",
               "Last event at (UTC)", "Sent by", "Failure reason", "Failure class",
               "Failure in words", "Sent Status")
    return _send("invoice-emails", fmt, [Table("emails", headers, rows)])


@bp.route("/accounting/receivables/export/<fmt>")
@requires("reports.accounting")
def receivables_export(fmt: str):
    rows = receivables.aging(current_user, clock.today()).items
    totals = receivables.aging_totals(current_user, clock.today())
    headers = ("Customer", "Currency", "Open invoices",
               *(label for _, label in receivables.BUCKETS), "Outstanding")

    def lines(items):
        return ([r.name, r.currency, r.invoices, *(r.amounts[k] for k in receivables.BUCKET_KEYS),
                 r.total] for r in items)

    return _send("receivables-aging", fmt, [Table("aging", headers, lines(rows)),
                                            Table("totals", headers, lines(totals))])


@bp.route("/accounting/revenue/export/<fmt>")
@requires("reports.accounting")
def revenue_export(fmt: str):
    span = _span()
    by_month = receivables.revenue_by_month(current_user, span)
    by_customer = receivables.revenue_by_customer(current_user, span)
    return _send("revenue", fmt, [
        Table("by-month", ("Month", "Currency", "Received", "Payments"),
              ([a.key, a.currency, a.amount, a.payments] for a in by_month)),
        Table("by-customer", ("Customer", "Currency", "Received", "Payments"),
              ([a.key, a.currency, a.amount, a.payments] for a in by_customer)),
    ])


@bp.route("/customers/export/<fmt>")
@requires("reports.customers")
def customers_export(fmt: str):
    span, day = _span(), clock.today()
    segments = customer_insight.segment_figures(current_user, day)
    top = customer_insight.top_customers(current_user, day, limit=0)
    months = customer_insight.monthly(current_user, span)
    review = customer_insight.review_list(current_user, 1, per_page=EXCEL_MAX_ROWS)
    currencies = billed_currencies(months)
    return _send("customers", fmt, [
        Table("segments", ("Segment", "Rule", "Customers", "Currency",
                           "Customers billed in the currency", "Paid in 12 months",
                           "Lifetime value"),
              _segment_rows(segments)),
        Table("top-customers", ("Customer", "Currency", "Invoices", "Lifetime value",
                                "First purchase", "Last purchase"),
              ([t.name, t.currency, t.invoices, t.lifetime_value, t.first_purchase,
                t.last_purchase] for t in top)),
        Table("by-month", ("Month", "Invoices", *(f"Billed {c}" for c in currencies),
                           "New customers", "Returning customers"),
              ([m.month, m.invoices, *(m.amounts.get(c, 0) for c in currencies),
                m.new_customers, m.returning_customers] for m in months)),
        Table("needs-review", ("Customer", "Reason", "Customer id"),
              ([customer_name(r), r.needs_review_reason, r.customer_id] for r in review.items)),
    ])


def _segment_rows(segments):
    """A row per segment and currency; a segment without customers keeps one empty row."""
    for s in segments:
        for a in s.amounts:
            yield [s.label, s.description, s.customers, a.currency, a.customers,
                   a.paid_12_months, a.lifetime_value]
        if not s.amounts:
            yield [s.label, s.description, s.customers, "", 0, None, None]


@bp.route("/activity/export/<fmt>")
@requires("reports.activity")
def activity_export(fmt: str):
    span = _span(3)
    weeks, notes = activity.notes_per_week(current_user, span)
    outcomes = activity.email_outcomes(current_user, span)
    statuses = list(activity.STATUS_KEYS)
    return _send("activity", fmt, [
        Table("notes-per-week", ("Staff member", *(f"Week of {w}" for w in weeks), "Total"),
              ([r.name, *(r.counts[w] for w in weeks), r.total] for r in notes)),
        Table("email-outcomes", ("Staff member",
                                 *(email_report.status_label(s) for s in statuses), "Total"),
              ([r.name, *(r.counts[s] for s in statuses), r.total] for r in outcomes)),
    ])
