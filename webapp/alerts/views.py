"""The bell and the choices: /alerts lists a person's alerts (newest first, unread marked),
opening one marks it read; /account/alerts is where they choose kinds, channels and quiet
hours. The header's unread count is one indexed count (``unread``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from webapp import vocab
from webapp.access import roles
from webapp.alerts import channels, messages, preferences, recipients
from webapp.alerts.forms import ListArgs, OpenForm, box, build
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.models import Estate, user_estate
from webapp.models.alerts import AlertDelivery, AlertPreference
from webapp.models.jobs import AlertEvent
from webapp.models.types import utcnow

bp = Blueprint("alerts", __name__)
PAGE = 30


def _seen() -> sa.Select:
    """The ids of the estates the current person sees, inside the statement that reads their
    alerts (no read of their estates before it): an alert of an estate they were moved off
    is neither listed nor counted."""
    active = sa.select(Estate.id).where(Estate.active)
    if current_user.all_estates:
        return active
    return active.where(
        Estate.id.in_(
            sa.select(user_estate.c.estate_id).where(user_estate.c.user_id == current_user.id)
        )
    )


def _listed() -> tuple:
    """What the bell lists: the current person's bell alerts, sent (not one still held), of
    the estates they still see. The list, the count, opening one and marking all read each
    take exactly these, so none of them reads or changes an alert the list does not show."""
    return (
        AlertDelivery.user_id == current_user.id,
        AlertDelivery.channel == "bell",
        AlertDelivery.state == "sent",
        AlertDelivery.estate_id.in_(_seen()),
    )


def _inbox() -> sa.Select:
    """The current person's bell alerts of the estates they still see."""
    return sa.select(AlertDelivery).where(*_listed())


def unread() -> int:
    """The header's count of what the list shows unread: one range of ix_alert_delivery_inbox,
    read once per request (the list's page shows it twice)."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    if "alerts_unread" not in g:
        g.alerts_unread = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AlertDelivery)
            .where(*_listed(), AlertDelivery.read_at.is_(None))
        )
    return g.alerts_unread


def bell() -> dict:
    """The header's count, as a function: read only where the header shows it (installed by
    webapp/templating.py)."""
    return {"alerts_unread": unread}


@bp.get("/alerts")
@roles()
def index():
    """List the person's alerts, newest first, unread marked."""
    page = strict_args(ListArgs, request.args)["page"]
    found = db.session.execute(
        _inbox()
        .add_columns(AlertEvent)
        .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
        .order_by(AlertDelivery.created_at.desc(), AlertDelivery.id.desc())
        .offset((page - 1) * PAGE)
        .limit(PAGE + 1)
    ).all()
    shown = found[:PAGE]
    texts = messages.render_all(db.session, [event for _delivery, event in shown])
    rows = [(delivery, event, text) for (delivery, event), text in zip(shown, texts, strict=True)]
    return render_template(
        "alerts/index.html", rows=rows, page=page, has_next=len(found) > PAGE, unread=unread()
    )


@bp.post("/alerts/open")
@roles()
def open_alert():
    """Open one alert: mark it read and go to its page."""
    form = OpenForm()
    delivery = (
        db.session.scalar(_inbox().where(AlertDelivery.id == form.delivery.data))
        if form.delivery.data
        else None
    )
    if delivery is None:
        abort(404)
    if delivery.read_at is None:
        delivery.read_at = utcnow()
        db.session.commit()
    event = db.session.get(AlertEvent, delivery.event_id)
    return redirect(messages.render(db.session, event).path, code=303)


@bp.post("/alerts/read")
@roles()
def read_all():
    """Mark every alert the list shows read."""
    db.session.execute(
        sa.update(AlertDelivery)
        .where(*_listed(), AlertDelivery.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    flash(_("Every alert is marked read."), "success")
    return redirect(url_for("alerts.index"), code=303)


def kinds_for(user) -> list[str]:
    """The kinds this person can hear of (their role's; a patroller their own device's)."""
    kinds = [k for k in vocab.ALERT_KINDS if user.role in recipients.ROLES.get(k, ())]
    if user.role in recipients.DEPARTMENT_ROLES.values():
        kinds += [k for k in recipients.DEPARTMENT_KINDS if k not in kinds]
    if user.role == "patroller":
        kinds.append("device_unsynced")
    return [k for k in vocab.ALERT_KINDS if k in kinds]


@bp.route("/account/alerts", methods=["GET", "POST"])
@roles()
def choices():
    """Choose which alerts come on which channel, quiet hours and thresholds."""
    user = current_user._get_current_object()
    config = current_app.config
    row = db.session.get(AlertPreference, user.id)
    mine = preferences.of(row, config["ALERTS_UNSYNCED_HOURS"])
    kinds = kinds_for(user)
    names = [n for n in vocab.ALERT_CHANNELS if n in channels.CHANNELS]
    ready = {channel.name for channel in channels.ready(config)}
    data = {box(k, c): mine.wants(k, c) for k in kinds for c in names}
    data.update(
        quiet_start=row.quiet_start if row and row.quiet_start else "",
        quiet_end=row.quiet_end if row and row.quiet_end else "",
        urgent_through_quiet=mine.urgent_through_quiet,
        unsynced_hours=mine.unsynced_hours,
        email=mine.email or "",
        digest_daily=mine.digest_daily,
        digest_hour=mine.digest_hour,
        digest_weekly=mine.digest_weekly,
    )
    digests = user.role in preferences.DIGEST_ROLES
    form = build(kinds, names, **data)
    status = 200
    if request.method == "POST":
        if form.validate():
            if row is None:
                row = AlertPreference(user_id=user.id, choices={})
                db.session.add(row)
            row.choices = {
                k: [c for c in names if form[box(k, c)].data]
                for k in vocab.ALERT_KINDS
                if k in kinds
            } | {k: sorted(v) for k, v in (row.choices or {}).items() if k not in kinds}
            row.quiet_start = form.quiet_start.data or None
            row.quiet_end = form.quiet_end.data or None
            row.urgent_through_quiet = form.urgent_through_quiet.data
            row.unsynced_hours = form.unsynced_hours.data
            row.email = form.email.data or None
            if digests:
                row.digest_daily = form.digest_daily.data
                row.digest_hour = form.digest_hour.data
                row.digest_weekly = form.digest_weekly.data
            db.session.commit()
            flash(_("Your alert choices are saved."), "success")
            return redirect(url_for("alerts.choices"), code=303)
        status = 422
    page = render_template(
        "alerts/choices.html",
        form=form,
        kinds=kinds,
        channel_names=names,
        ready=ready,
        box=box,
        urgent=preferences.URGENT,
        digests=digests,
    )
    return page, status
