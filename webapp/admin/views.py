"""Admin screens: users (create, role, estates, deactivate) and estate settings.

The organisation admin (an admin with ``all_estates``) sees every estate, present and future,
adds estates and manages everyone, and alone may give a user every estate. An estate admin
manages the users whose estates are all among the admin's own
(``scoping.manageable_user_ids``): a user who also belongs to another estate is that
estate's admins' too, and only an admin of all their estates changes them; an all-estates
user is the organisation's.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from webapp.access import roles
from webapp.admin.forms import EstateForm, UserFilters, UserForm, timezones
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.htmx import page_or_fragment, wants_fragment
from webapp.models import Estate, User, user_estate
from webapp.models.audit import record
from webapp.scoping import get_scoped, manageable_user_ids, scoped

bp = Blueprint("admin", __name__, url_prefix="/admin")


def visible_users() -> sa.Select:
    """Users the current admin manages (every estate of theirs is one of the admin's)."""
    return sa.select(User).where(User.id.in_(manageable_user_ids()))


def get_user(user_id: int) -> User:
    """A user the admin may manage, or 404."""
    user = db.session.scalar(visible_users().where(User.id == user_id))
    if user is None:
        abort(404)
    return user


def _estates() -> list[Estate]:
    return list(db.session.scalars(scoped(Estate).order_by(Estate.id)))


def is_organisation_admin(user=None) -> bool:
    """Whether the user (default: the current one) is an admin of every estate."""
    user = user or current_user
    return user.role == "admin" and user.all_estates


def _user_form(estates: list[Estate], user: User | None = None, **kwargs) -> UserForm:
    return UserForm(estates, user, every_estate=is_organisation_admin(), **kwargs)


def _snapshot(user: User) -> dict:
    return {
        "role": user.role,
        "display_name": user.display_name,
        "estates": sorted(e.id for e in user.estates),
        "all_estates": bool(user.all_estates),
        "active": user.active,
    }


def _audit(action: str, user: User, before: dict | None, after: dict) -> None:
    changed = [k for k in after if before is None or before.get(k) != after[k]]
    if before is not None and not changed:
        return
    record(
        db.session,
        action,
        user,
        actor=current_user,
        before={k: before[k] for k in changed} if before else None,
        after={k: after[k] for k in changed},
    )


def _apply(form: UserForm, user: User, estates: list[Estate]) -> None:
    user.display_name = (form.display_name.data or "").strip()
    user.role = form.role.data
    if "all_estates" in form:  # the organisation admin's form only
        user.all_estates = form.sees_every_estate()
    visible = {e.id: e for e in estates}
    hidden = [e for e in user.estates if e.id not in visible]
    chosen = [visible[i] for i in form.estates.data if i in visible]
    # Every estate needs no list (and keeps none that would outlive the flag).
    user.estates = [] if user.all_estates else hidden + chosen
    if form.password.data:
        user.set_password(form.password.data)


def _users_context(form=None, open_new=False) -> dict:
    wanted = strict_args(UserFilters, request.args)  # another estate's is 404
    q, role, estate = wanted["q"], wanted["role"], wanted["estate"]
    query = visible_users().order_by(User.active.desc(), User.role, User.username)
    if estate is not None:
        appointed = sa.select(user_estate.c.user_id).where(user_estate.c.estate_id == estate)
        query = query.where(sa.or_(User.all_estates, User.id.in_(appointed)))
    if q:
        query = query.where(
            sa.or_(
                User.username.icontains(q, autoescape=True),
                User.display_name.icontains(q, autoescape=True),
            )
        )
    if role:
        query = query.where(User.role == role)
    estates = _estates()
    if form is None:
        form = _user_form(estates, formdata=MultiDict())
        if wanted["add"]:  # "add a person to this estate" from the estates
            open_new = True
            form.estates.data = [estate] if estate is not None else []
    return {
        "users": list(db.session.scalars(query)),
        "estates": estates,
        "visible": {e.id for e in estates},
        "form": form,
        "open": open_new,
        "q": q,
        "role": role,
        "estate": estate,
        "organisation": is_organisation_admin(),
    }


@bp.get("/users")
@roles("admin")
def users():
    """List the users of the admin's estates, with a form to add one."""
    return page_or_fragment("admin/users.html", "admin/_user_list.html", **_users_context())


@bp.post("/users")
@roles("admin")
def user_create():
    """Create a user with a role, estates and a first password."""
    estates = _estates()
    form = _user_form(estates)
    if not form.validate():
        if wants_fragment():
            return render_template(
                "admin/_user_new.html", form=form, open=True, estates=estates
            ), 422
        return render_template("admin/users.html", **_users_context(form, True)), 422
    user = User(username=form.username.data)
    _apply(form, user, estates)
    db.session.add(user)
    db.session.flush()
    _audit("user.create", user, None, _snapshot(user))
    db.session.commit()
    flash(_("Created user %(name)s.", name=user.username), "success")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles("admin", scope={"user_id": "user"})
def user_edit(user_id: int):
    """Change a user's name, role, estates or password."""
    user = get_user(user_id)
    estates = _estates()
    form = _user_form(estates, user)
    status = 200
    if request.method == "POST":
        if form.validate():
            if user.id == current_user.id and form.role.data != user.role:
                form.role.errors.append(_("You cannot change your own role."))
            elif user.id == current_user.id and user.all_estates and not form.sees_every_estate():
                # Only the organisation admin edits themselves with this field; unticking it
                # would leave the organisation without its admin.
                form.all_estates.errors.append(_("You cannot give up seeing every estate."))
            else:
                before = _snapshot(user)
                _apply(form, user, estates)
                _audit("user.update", user, before, _snapshot(user))
                if form.password.data:
                    record(db.session, "user.password", user, actor=current_user)
                db.session.commit()
                flash(_("Saved %(name)s.", name=user.username), "success")
                return redirect(url_for("admin.users"), code=303)
        status = 422
    return page_or_fragment(
        "admin/user_edit.html", "admin/_user_form.html", status=status, form=form, user=user
    )


@bp.post("/users/<int:user_id>/active")
@roles("admin", scope={"user_id": "user"})
def user_active(user_id: int):
    """Deactivate a user (they can no longer log in) or reactivate them."""
    user = get_user(user_id)
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for("admin.users"), code=303)
    if user.active != active:
        before = _snapshot(user)
        user.active = active
        _audit("user.reactivate" if active else "user.deactivate", user, before, _snapshot(user))
        db.session.commit()
    message = _("Reactivated %(name)s.") if active else _("Deactivated %(name)s.")
    flash(message % {"name": user.username}, "success")
    return redirect(url_for("admin.users"), code=303)


# Estates -------------------------------------------------------------------------------------


STAFF_ROLES = ("admin", "supervisor")


def _staff(estates: list[Estate]) -> dict[int, dict[str, list[str]]]:
    """Per estate, the active admins and supervisors appointed to it whom the admin manages,
    by role, and how many people of any role: two grouped reads, whatever the number of
    estates. (Those who see every estate are listed once, above the table.)"""
    ids = [e.id for e in estates]
    staff = {i: {"admin": [], "supervisor": [], "people": 0} for i in ids}
    managed = manageable_user_ids()
    appointed = (
        sa.select(user_estate.c.estate_id, User.role, User.display_name, User.username)
        .join(User, User.id == user_estate.c.user_id)
        .where(user_estate.c.estate_id.in_(ids), User.active, User.id.in_(managed))
    )
    for estate_id, role, shown, username in db.session.execute(
        appointed.where(User.role.in_(STAFF_ROLES)).order_by(User.username)
    ):
        staff[estate_id][role].append(shown or username)
    for estate_id, n in db.session.execute(
        sa.select(user_estate.c.estate_id, sa.func.count())
        .join(User, User.id == user_estate.c.user_id)
        .where(user_estate.c.estate_id.in_(ids), User.active, User.id.in_(managed))
        .group_by(user_estate.c.estate_id)
    ):
        staff[estate_id]["people"] = n
    return staff


def _estates_page(form: EstateForm, status: int = 200, open_new: bool = False):
    estates = _estates()
    everywhere = db.session.scalars(
        visible_users().where(User.all_estates, User.active).order_by(User.role, User.username)
    ).all()
    return render_template(
        "admin/estates.html",
        estates=estates,
        staff=_staff(estates),
        everywhere=everywhere,
        form=form,
        open=open_new,
        zones=timezones(),
        organisation=is_organisation_admin(),
    ), status


@bp.get("/estates")
@roles("admin")
def estates():
    """List the admin's estates with their settings and the people who run each, and (for the
    organisation admin) a form to add one."""
    return _estates_page(EstateForm(formdata=MultiDict()))


@bp.post("/estates")
@roles("admin")
def estate_create():
    """Add an estate (the organisation admin only: an estate admin's reach is their estates).
    Everyone who sees every estate sees it at once; no list needs updating."""
    if not is_organisation_admin():
        abort(403)
    form = EstateForm()
    if not form.validate():
        return _estates_page(form, 422, open_new=True)
    estate = Estate(name=form.name.data, timezone=form.timezone.data)
    db.session.add(estate)
    db.session.flush()
    record(
        db.session,
        "estate.create",
        estate,
        actor=current_user,
        estate_id=estate.id,
        after={"name": estate.name, "timezone": estate.timezone},
    )
    db.session.commit()
    flash(_("Added estate %(name)s.", name=estate.name), "success")
    return redirect(url_for("admin.estates"), code=303)


@bp.route("/estates/<int:estate_id>/edit", methods=["GET", "POST"])
@roles("admin", scope={"estate_id": "estate"})
def estate_edit(estate_id: int):
    """Change an estate's name or timezone (validated against the IANA database)."""
    estate = get_scoped(Estate, estate_id)
    form = EstateForm(estate)
    status = 200
    if request.method == "POST":
        if form.validate():
            before = {"name": estate.name, "timezone": estate.timezone}
            estate.name, estate.timezone = form.name.data, form.timezone.data
            after = {"name": estate.name, "timezone": estate.timezone}
            if before != after:
                record(
                    db.session,
                    "estate.update",
                    estate,
                    actor=current_user,
                    estate_id=estate.id,
                    before=before,
                    after=after,
                )
            db.session.commit()
            flash(_("Saved %(name)s.", name=estate.name), "success")
            return redirect(url_for("admin.estates"), code=303)
        status = 422
    return page_or_fragment(
        "admin/estate_edit.html",
        "admin/_estate_form.html",
        status=status,
        form=form,
        estate=estate,
        zones=timezones(),
    )
