from flask import Blueprint

bp = Blueprint("tracking", __name__, url_prefix="/t")

from app.blueprints.tracking import routes  # noqa: E402,F401
