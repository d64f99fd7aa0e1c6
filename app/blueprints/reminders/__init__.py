from flask import Blueprint

bp = Blueprint("reminders", __name__)

from app.blueprints.reminders import editor, routes  # noqa: E402,F401
