from __future__ import annotations

from flask import jsonify

from app.blueprints.main import bp
from app.dashboard import dashboard_figures
from app.permissions import public, requires
from app.web import no_store, render


@bp.route("/")
@requires("dashboard.view")
def index():
    return no_store(render("main/index.html", figures=dashboard_figures()))


@bp.route("/healthz")
@public
def healthz():
    """Liveness for a load balancer: no data, only whether the parts answer."""
    from app.health import check_health

    report = check_health()
    status = 200 if report["database"] and report["redis"] else 503
    return jsonify(report), status


@bp.route("/help/statuses")
@requires("dashboard.view")
def statuses():
    """How the Sent Status is decided, and how automated opens are told apart."""
    from app.events.automation import RULE_DESCRIPTIONS
    from app.events.status import STATUS_TABLE

    return render("main/statuses.html", table=STATUS_TABLE, rules=RULE_DESCRIPTIONS)
