"""List the devices of the admin's estates and revoke one (that phone then gets 401)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.access import roles
from webapp.extensions import db
from webapp.models import Device, User, utcnow
from webapp.scoping import manageable_user_ids

bp = Blueprint("devices", __name__, url_prefix="/devices")


def _devices_query() -> sa.Select:
    """Devices of the users the admin manages (all of whose estates are the admin's)."""
    return (
        sa.select(Device)
        .join(User, User.id == Device.user_id)
        .where(Device.user_id.in_(manageable_user_ids()))
        .order_by(Device.revoked_at.is_not(None), Device.last_sync_at.desc(), Device.created_at)
    )


@bp.get("/")
@roles("admin")
def index():
    """Show every device of the admin's estates."""
    devices = db.session.scalars(_devices_query()).all()
    return render_template("devices/index.html", devices=devices)


@bp.post("/revoke")
@roles("admin")
def revoke():
    """Revoke a device's token."""
    device_id = request.form.get("device_id", "")
    device = db.session.scalar(_devices_query().where(Device.id == device_id))
    if device is None:
        abort(404)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.revoked_by_id = current_user.id
        db.session.commit()
    flash(_("Device %(name)s revoked.", name=device.name), "info")
    return redirect(url_for("devices.index"), code=303)
