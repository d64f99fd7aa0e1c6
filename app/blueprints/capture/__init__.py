from flask import Blueprint

bp = Blueprint("capture", __name__, url_prefix="/capture")

from app.blueprints.capture import routes  # noqa: E402,F401
