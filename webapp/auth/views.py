"""Form login and logout for the app's pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from webapp.access import public, roles
from webapp.auth.forms import LoginForm
from webapp.extensions import db, limiter, login_manager
from webapp.models import User, burn_password_check, utcnow
from webapp.urls import safe_next

bp = Blueprint("auth", __name__)

DEMO_LOGINS = [
    ("patrol", "patrol-demo", "patroller"),
    ("supervisor", "supervisor-demo", "supervisor"),
    ("engineer", "engineer-demo", "engineering"),
    ("desk", "desk-demo", "frontdesk"),
    ("admin", "admin-demo", "admin"),
    ("patrol2", "patrol2-demo", "patroller"),
]


@login_manager.user_loader
def load_user(user_id: str):
    """Load the session's user; a deactivated one is logged out."""
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    # Only failed tries count against the limit; a successful login is a redirect.
    return response.status_code != 303


def _username_key() -> str:
    return "login-user:" + (request.form.get("username") or "").strip().lower()


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, spending equal time either way."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        burn_password_check(password)
        return None
    return user if user.check_password(password) else None


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, key_func=_username_key)
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            locale = session.get("locale")
            # A fresh session on login: nothing from before it survives (fixation).
            session.clear()
            if locale:
                session["locale"] = locale
            login_user(user)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(safe_next(request.args.get("next")), code=303)
        form.password.errors.append(_("Wrong username or password."))
        status = 401
    elif request.method == "POST":
        status = 422
    demo = DEMO_LOGINS if current_app.config["DEMO_MODE"] else []
    return render_template("auth/login.html", form=form, demo_logins=demo), status


@bp.post("/logout")
@roles()
def logout():
    """End the session."""
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"), code=303)
