"""Template globals and filters."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Flask, g, request, url_for
from flask_wtf.csrf import generate_csrf

from app import clock, settings
from app import fields as custom_fields
from app.settings import formatting

# Label, endpoint, and the permissions of which the user needs any one.
NAV = (
    ("Customers", "customers.index", ("customers.view",)),
    ("Invoices", "invoices.index", ("invoices.view",)),
    ("Follow-ups", "followups.index", ("followups.view",)),
    ("Reports", "reports.index",
     ("reports.accounting", "reports.customers", "reports.activity")),
    ("Admin", "admin.index", ("admin.users", "admin.audit", "admin.jobs", "admin.fields")),
)


def _url_with(**changes) -> str:
    """The current URL with some query arguments changed (pagination, sorting)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_templating(app: Flask) -> None:
    from app.capture.reading import people_line
    from app.customers.identifiers import identifier_text
    from app.customers.languages import language_label
    from app.documents.types import ALLOWED as DOCUMENT_KINDS
    from app.mail import event_lines, failures, history, live
    from app.mail.consequences import can_overturn
    from app.web.auth import can, can_any

    app.jinja_env.globals.update(
        can=can, can_any=can_any, csrf_token=generate_csrf, NAV=NAV, url_with=_url_with,
        email_status_view=history.status_view, LIVE_POLL_SECONDS=live.POLL_SECONDS,
        failure_text=failures.failure_text,
        class_words=failures.class_words, office_checks=failures.office_checks,
        size_text=failures.size_text, can_overturn=can_overturn, people_line=people_line,
        event_line=event_lines.event_line, split_machine=event_lines.split_machine,
        email_counts_text=event_lines.counts_text, field_text=custom_fields.display,
        DOCUMENT_KINDS=DOCUMENT_KINDS,
    )
    # Filters first: the macros module below is compiled once, and uses them. Dates,
    # times, money and countries in the office's locale and time zone; the settings are
    # read once per render, before it starts (a filter never reaches the database, and a
    # macro imported without context formats the same way as its page).
    app.context_processor(_office)
    app.jinja_env.filters.update({name: _formatted(name) for name in
                                  ("when", "day", "month", "money", "number", "country")})
    app.jinja_env.filters["datetime"] = app.jinja_env.filters.pop("when")
    app.jinja_env.filters["date"] = app.jinja_env.filters.pop("day")
    app.jinja_env.filters["identifier_text"] = identifier_text
    app.jinja_env.filters["language_label"] = language_label
    # Macros as a global, so fragments rendered with render_block see them too.
    with app.app_context():
        app.jinja_env.globals["ui"] = app.jinja_env.get_template("macros.html").module


def _office() -> dict:
    """Every render: the office's formats and today (for the filters) and its details. A
    view may have chosen other formats for the request (the customer's, on their view)."""
    if "formats" not in g:
        g.formats = formatting.current()
    g.today = clock.today()
    office = {name.split(".", 1)[1]: value for name, value in settings.values("office.").items()
              if name != "office.logo"}
    return {"office": SimpleNamespace(**office)}


def _formatted(method: str):
    def apply(value, *args):
        return getattr(g.formats, method)(value, *args)
    apply.__name__ = method
    return apply
