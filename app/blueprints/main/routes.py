from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from app import clock, settings
from app.blueprints.main import bp
from app.capture import filing
from app.reminders import run
from app.web.attention import home_context
from app.web.auth import can, public, requires
from app.web.render import no_store, render


@bp.route("/")
@requires("dashboard.view")
def index():
    """What needs attention."""
    reminders = (run.counts(run.due_list(clock.today(), user=current_user))
                 if can("reminders.view") else None)
    setup = can("admin.settings") and settings.needs_setup()
    to_file = filing.waiting_count(current_user) if can("capture.file") else 0
    return no_store(render("main/index.html", "attention", reminders=reminders,
                           needs_setup=setup, emails_to_file=to_file,
                           **home_context(current_user, request.args.get("only"))))


@bp.route("/healthz")
@public
def healthz():
    """Liveness for a load balancer: no data, only whether the parts answer.

    503 only when this process can't serve pages (no database). Redis or the workers
    being down is shared by every web process, so taking them all out of the load
    balancer would turn a delay into an outage; it shows as "degraded" instead.
    """
    from app.admin.health import check_health

    report = check_health()
    response = jsonify(report)
    response.status_code = 503 if report["status"] == "down" else 200
    return no_store(response)  # public: the logged-in default does not cover it


@bp.route("/help/statuses")
@requires("dashboard.view")
def statuses():
    """How the Sent Status is decided, and how automated opens are told apart."""
    from app.events.automation import RULE_DESCRIPTIONS
    from app.events.status import STATUS_TABLE, SUMMARY_RULE

    return render("main/statuses.html", table=STATUS_TABLE, rules=RULE_DESCRIPTIONS,
                  summary_rule=SUMMARY_RULE)
