from flask import Blueprint

bp = Blueprint("fields", __name__, url_prefix="/admin/fields")

from app.blueprints.fields import routes  # noqa: E402,F401
