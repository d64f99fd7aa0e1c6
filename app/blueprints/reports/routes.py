from flask import abort, redirect, url_for

from app.auth import can
from app.blueprints.reports import bp
from app.permissions import requires
from app.web import no_store, render


@bp.route("/")
@requires("reports.activity")
def index():
    for permission, endpoint in (("reports.accounting", "reports.accounting"),):
        if can(permission):
            return redirect(url_for(endpoint))
    return redirect(url_for("reports.activity"))


@bp.route("/accounting")
@requires("reports.accounting")
def accounting():
    return no_store(render("reports/accounting.html", tab="accounting"))


@bp.route("/activity")
@requires("reports.activity")
def activity():
    return no_store(render("reports/activity.html", tab="activity"))
