"""Login wiring, the route decorators `@requires` / `@public` and the check behind them."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import abort, current_app, g, request, url_for
from flask_login import current_user

from app import audit
from app.extensions import db, login_manager
from app.models import User
from app.permissions import PERMISSIONS, PUBLIC, role_can
from app.web.render import hx_redirect


def init_login(app) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)


def _load_user(session_token: str) -> User | None:
    # The cookie carries the user's session token, not the id: rotating the token
    # (logout, password change) invalidates every copy of the cookie.
    return db.session.execute(
        db.select(User).filter_by(session_token=session_token, active=True)
    ).scalar_one_or_none()


def _unauthorized():
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request") == "true":
        # Never swap the login page into part of a page: send the browser there.
        return hx_redirect(login_url, status=401)
    from flask import flash, redirect

    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url)


def enforce(permission: str) -> None:
    """Abort unless the current user holds `permission` (401 if not logged in)."""
    if not current_user.is_authenticated:
        abort(_unauthorized())
    if not role_can(current_user.role, permission):
        audit.record(
            "permission.denied",
            user=current_user,
            ip=request.remote_addr,
            details={"permission": permission, "path": request.path,
                     "method": request.method},
        )
        db.session.commit()
        current_app.logger.info("permission denied: %s on %s", permission, request.path)
        abort(403)
    g.permission = permission


def can(permission: str) -> bool:
    """For templates: does the current user hold `permission`?"""
    return current_user.is_authenticated and role_can(current_user.role, permission)


def can_any(permissions) -> bool:
    return any(can(p) for p in permissions)


def requires(permission: str) -> Callable:
    """Declare the permission a view needs; the check runs before the view."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            enforce(permission)
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public(view: Callable) -> Callable:
    """Declare a view open to anyone (login page, tracking pixel, webhooks)."""
    view.permission = PUBLIC  # type: ignore[attr-defined]
    return view


def declared_permission(view: Callable) -> str | None:
    return getattr(view, "permission", None)
