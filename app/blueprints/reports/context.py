"""What each report page shows, built once for the page and its htmx fragments."""
from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from flask_login import current_user

from app import clock
from app.customers.access import sees_all_customers
from app.events import reasons
from app.events.status import STATUS_LABELS, Status
from app.mail import failures, live
from app.reports import activity, charts, customer_insight, email_report, receivables
from app.reports.cache import cached, data_version
from app.reports.filters import ArgReader
from app.reports.sql import customer_name, window

STATUSES = [(s.value, STATUS_LABELS[s]) for s in Status]
# Whose problem a Rejected or Delayed email was: a filter beside the Sent Status.
FAILURE_CLASSES = [(key, failures.class_words(key)) for key in reasons.CLASSES]


def _version() -> tuple:
    """The reports' data version, read once per request for all its cached figures."""
    if "report_data_version" not in g:
        g.report_data_version = data_version()
    return g.report_data_version


def emails() -> dict[str, Any]:
    filters, errors = email_report.EmailFilters.parse(request.args)
    mix = email_report.status_mix(filters, current_user, clock.today())
    chart = charts.columns(
        [m.month for m in mix],
        [[(f"seg-{key}", m.counts.get(key, 0), f"{m.month} · {label}: {m.counts.get(key, 0)}")
          for key, label in STATUSES] for m in mix])
    page = email_report.page_of_rows(filters, current_user)
    return {"filters": filters, "errors": errors, "statuses": STATUSES, "mix": mix,
            "mix_chart": chart, "page": page,
            "staff_choices": email_report.staff_choices(current_user),
            "customer_label": (email_report.customer_label(filters.customer_id, current_user)
                               if filters.customer_id else None),
            "failure_classes": FAILURE_CLASSES,
            "sent_as_choices": email_report.sent_as_choices(),
            "live_url": email_changes_url({r.id for r in page.items}, filter_args()),
            **email_row_helpers()}


def filter_args() -> dict[str, str]:
    """The current filters and sorting, for download links and the live question (paging
    and format are not filters)."""
    return {k: v for k, v in request.args.items() if k not in ("page", "fmt", "table")}


def email_row_helpers() -> dict[str, Any]:
    """What a report row needs besides the row: for the page and its live answer alike."""
    return {"customer_name": customer_name, "status_label": email_report.status_label,
            "failure_words": email_report.failure_words}


def email_changes_url(message_ids, filter_args: dict[str, str]) -> str | None:
    """Where the report page asks for news of its rows; None when none is watched."""
    watched = live.watched(message_ids, "message")
    if not watched:
        return None
    return url_for("reports.email_changes", since=live.cursor(),
                   ids=",".join(map(str, watched)), **filter_args)


def _span(read: ArgReader, months: int = 12):
    first, last = read.date_range()
    return window(first, last, clock.today(), months), first, last


def receivables_page() -> dict[str, Any]:
    read = ArgReader(request.args)
    rows = receivables.aging(current_user, clock.today(), read.page(), per_page=50)
    totals = receivables.aging_totals(current_user, clock.today())
    chart = None
    if len(totals) == 1:
        chart = charts.bars([(label, totals[0].amounts[key], f"seg-{key}")
                             for key, label in receivables.BUCKETS])
    return {"rows": rows, "totals": totals, "buckets": receivables.BUCKETS,
            "aging_chart": chart, "today": clock.today(), "errors": [], "page": rows}


def revenue_page() -> dict[str, Any]:
    read = ArgReader(request.args)
    span, first, last = _span(read)
    # Cached like the customer figures: PostgreSQL joins the window's payments against
    # every invoice, so the cost follows the history, while the answer only changes
    # with a payment or an invoice (which changes the cache key).
    by_month = cached(("revenue-months", _scope(), span), _version(),
                      lambda: receivables.revenue_by_month(current_user, span))
    by_customer = cached(("revenue-customers", _scope(), span), _version(),
                         lambda: receivables.revenue_by_customer(current_user, span, limit=50))
    currencies = sorted({a.currency for a in by_month})
    chart = None
    if len(currencies) == 1:
        chart = charts.columns([a.key for a in by_month],
                               [[("seg-revenue", a.amount, f"{a.key}: {a.amount:,.2f}")]
                                for a in by_month])
    return {"span": span, "date_from": first, "date_to": last, "errors": read.errors,
            "by_month": by_month, "by_customer": by_customer, "revenue_chart": chart}


def customers_page() -> dict[str, Any]:
    read = ArgReader(request.args)
    span, first, last = _span(read)
    day, scope = clock.today(), _scope()
    segments = cached(("segments", scope, day), _version(),
                      lambda: customer_insight.segment_figures(current_user, day))
    chart = charts.bars([(s.label, s.customers, f"seg-{s.key}") for s in segments])
    months = cached(("monthly", scope, span), _version(),
                    lambda: customer_insight.monthly(current_user, span))
    top = cached(("top", scope, day), _version(),
                 lambda: customer_insight.top_customers(current_user, day))
    trend = charts.columns([m.month for m in months],
                           [[("seg-new", m.new_customers, f"{m.month} · new: {m.new_customers}"),
                             ("seg-returning", m.returning_customers,
                              f"{m.month} · returning: {m.returning_customers}")]
                            for m in months])
    return {"span": span, "date_from": first, "date_to": last, "errors": read.errors,
            "segments": segments, "segment_chart": chart, "months": months,
            "trend_chart": trend, "top": top,
            "review": customer_insight.review_list(current_user, read.page()),
            "today": clock.today(), "customer_name": customer_name}


def _scope():
    """Whose figures: everyone's, or one staff member's own customers."""
    return "all" if sees_all_customers(current_user) else ("user", current_user.id)


def activity_page() -> dict[str, Any]:
    read = ArgReader(request.args)
    first, last = read.date_range()
    # Weeks read best over a quarter; a longer range is allowed but wide.
    span = window(first, last, clock.today(), 3)
    weeks, notes = activity.notes_per_week(current_user, span)
    return {"span": span, "date_from": first, "date_to": last, "errors": read.errors,
            "weeks": weeks, "notes": notes, "kinds": activity.notes_by_kind(current_user, span),
            "outcomes": activity.email_outcomes(current_user, span), "statuses": STATUSES,
            "sees_all": sees_all_customers(current_user)}
