from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.blueprints.admin import bounces, invitations, jobs, routes  # noqa: E402,F401
