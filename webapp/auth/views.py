"""Form login and logout, and the user's own account: password change, sign-out elsewhere."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from webapp.access import public, roles
from webapp.auth import passwords, sessions
from webapp.auth.forms import LoginForm, PasswordChangeForm
from webapp.auth.passwords import TooManyAttempts, wait_message
from webapp.errors import handle_http
from webapp.extensions import db, login_manager
from webapp.models import Device, User, utcnow
from webapp.models.accounts import MIN_PASSWORD
from webapp.models.audit import record
from webapp.urls import safe_next

bp = Blueprint("auth", __name__)

# username, password, role, where (the first estate's when not said)
DEMO_LOGINS = [
    ("patrol", "patrol-demo", "patroller", None),
    ("supervisor", "supervisor-demo", "supervisor", None),
    ("engineer", "engineer-demo", "engineering", None),
    ("desk", "desk-demo", "frontdesk", None),
    ("admin", "admin-demo", "admin", None),
    ("patrol2", "patrol2-demo", "patroller", _l("second estate")),
    ("supervisor2", "supervisor2-demo", "supervisor", _l("second estate")),
    ("admin2", "admin2-demo", "admin", _l("second estate")),
    ("regional", "regional-demo", "supervisor", _l("every demo estate")),
    ("hq", "hq-demo", "admin", _l("the organisation: every estate")),
]


@login_manager.user_loader
def load_user(user_id: str):
    """Load the session's user: only from an open server-side session of an active user.

    A call with a device token is the token's user's (webapp/api/auth.py), whatever session
    cookie rides along."""
    if isinstance(g.get("bearer_device"), Device):
        return None
    return sessions.load_user(user_id)


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials (the one limited, constant-time path)."""
    return passwords.check(username, password)


@bp.app_errorhandler(TooManyAttempts)
def too_many_attempts(exc: TooManyAttempts):
    """A 429 wherever a password was asked for too often, with Retry-After (the answer every
    429 gets: its message says the header's number)."""
    return handle_http(exc)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except TooManyAttempts as exc:
            db.session.rollback()
            form.password.errors.append(wait_message(exc))
            status, retry_after = 429, exc.retry_after
        else:
            if user is not None:
                locale = session.get("locale")
                # A fresh session on login: nothing from before it survives (fixation).
                session.clear()
                if locale:
                    session["locale"] = locale
                login_user(user)
                sessions.start(user)
                user.last_login_at = utcnow()
                db.session.commit()
                return redirect(safe_next(request.args.get("next")), code=303)
            form.password.errors.append(_("Wrong username or password."))
            status = 401
    elif request.method == "POST":
        status = 422
    demo = DEMO_LOGINS if current_app.config["DEMO_MODE"] else []
    page = render_template("auth/login.html", form=form, demo_logins=demo)
    return _answer(page, status, retry_after)


def _answer(page: str, status: int, retry_after: int | None):
    """The form page with its status; a throttled attempt also says when to try again."""
    response = make_response(page, status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/logout")
@roles()
def logout():
    """End the session for good, with the device token this browser got from it."""
    sessions.end_current(current_user._get_current_object())
    db.session.commit()
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"), code=303)


# ---------------------------------------------------------------- the user's own account


@bp.route("/account/password", methods=["GET", "POST"])
@roles()
def account_password():
    """Change one's own password (the current one first); the other sessions then end."""
    form = PasswordChangeForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            checked = passwords.check(user.username, form.current_password.data)
        except TooManyAttempts as exc:
            db.session.rollback()
            form.current_password.errors.append(wait_message(exc))
            status, retry_after = 429, exc.retry_after
        else:
            if checked is None:
                form.current_password.errors.append(_("The current password is not right."))
                status = 422
            else:
                # The flush ends every other session and token of the user (sessions.py).
                user.set_password(form.new_password.data)
                record(db.session, "user.password", user, actor=user)
                sessions.renew(user)
                db.session.commit()
                flash(_("Your password is changed. Your other sessions are signed out."), "success")
                return redirect(url_for("auth.account_password"), code=303)
    elif request.method == "POST":
        status = 422
    page = render_template("auth/account.html", form=form, min_password=MIN_PASSWORD)
    return _answer(page, status, retry_after)


@bp.post("/account/sessions/end")
@roles()
def account_sessions_end():
    """Sign out everywhere else: the user's other sessions and device tokens end."""
    user = current_user._get_current_object()
    sessions.end_elsewhere(user)
    sessions.renew(user)
    db.session.commit()
    flash(_("Signed out everywhere else. This browser stays signed in."), "success")
    return redirect(url_for("auth.account_password"), code=303)
