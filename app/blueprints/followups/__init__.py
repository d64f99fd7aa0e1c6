from flask import Blueprint

bp = Blueprint("followups", __name__, url_prefix="/followups")

from app.blueprints.followups import routes  # noqa: E402,F401
