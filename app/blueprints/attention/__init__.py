from flask import Blueprint

bp = Blueprint("attention", __name__)

from app.blueprints.attention import routes  # noqa: E402,F401
