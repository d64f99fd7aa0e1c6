"""What a customer sees: the invoice behind its unguessable link, no login, no staff UI."""
from flask import Blueprint

bp = Blueprint("client", __name__)

from app.blueprints.client.routes import render_client_view  # noqa: E402

__all__ = ["bp", "render_client_view"]
