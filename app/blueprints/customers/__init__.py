from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/customers")

from app.blueprints.customers import (  # noqa: E402,F401
    data_routes, file_routes, import_routes, merge_routes, note_routes, routes,
)
