"""Digests: a supervisor's daily summary at the hour they chose, and the weekly report on
Saturdays at 09:00, in their estate's time, each made once and delivered like an alert.

1. **Due** — ``digests.due`` runs every five minutes (one slot, one run, however many
   workers). For each person who asked (``AlertPreference.digest_daily`` / ``digest_weekly``,
   a role in ``preferences.DIGEST_ROLES``), it reads the local time in the time zone of their
   first estate; once the hour has come on a local date whose digest is not made, it submits
   ``digests.make`` keyed **``digest:daily:<user>:<YYYY-MM-DD>``** (``digest:weekly:…`` on a
   Saturday from 09:00). The key is the job's, the digest's and its alert event's: a second
   run, a second worker, a retry or a restart finds it taken.
2. **Make** — ``digests.make`` reads the numbers of every estate the person sees
   (``digest_registry``, ``digest_sections``), draws the PDF and the workbook in their
   language (``digest_paper``),
   stores both as the job's output (the blob store), and in its last commit inserts the
   ``AlertDigest`` and records its alert event. A worker killed halfway leaves the job to be
   run again from the start; nothing of the first try is kept but the files it overwrites.
3. **Deliver** — the event goes the alerts' way (fanout.py): to that one person
   (recipients.PERSONAL), on the bell at once and by email (both by default; email needs an
   address; quiet hours hold the email), a delivery per channel, each sent once. The email is
   the digest in HTML and plain text, in the person's language, with the PDF and the workbook
   attached; the bell's entry opens ``/alerts/digests/<id>``.

The day reported is the day before the digest's date; the weekly report's week the seven days
before its Saturday. Open findings and keys are as they stand when it is made.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from huey import crontab
from sqlalchemy.orm import Session

from webapp import alert_events as events
from webapp import digest_registry, exports, i18n
from webapp.alerts import digest_paper, digest_sections, messages, preferences
from webapp.alerts.channels import Attachment
from webapp.jobs import engine
from webapp.jobs.engine import periodic, task
from webapp.models import Estate, User, user_estate
from webapp.models.alerts import AlertPreference
from webapp.models.digests import DIGEST_KINDS, AlertDigest, digest_key
from webapp.models.jobs import AlertEvent

WEEKLY_DAY, WEEKLY_HOUR = 5, 9  # Saturday (Monday is 0), 09:00 estate time
# The make job and its files: a month of digests downloads from the stored files; an older
# one is drawn again from its numbers.
KEEP = timedelta(days=35)
PDF_MIME = "application/pdf"
FILES = {"pdf": ("digest.pdf", PDF_MIME), "xlsx": ("digest.xlsx", exports.XLSX_MIME)}
KINDS = {f"digest_{kind}": kind for kind in DIGEST_KINDS}  # alert kind → digest kind


# ---- who is due -------------------------------------------------------------------------------


def homes(session: Session, users: list[User]) -> dict[int, tuple[int, str]]:
    """Each person's first active estate and its time zone (their digest's clock): the first
    they are appointed to, or the first of all for a person who sees every estate."""
    found: dict[int, tuple[int, str]] = {}
    appointed = sorted(user.id for user in users if not user.all_estates)
    for user_id, estate_id, tz in session.execute(
        sa.select(user_estate.c.user_id, Estate.id, Estate.timezone)
        .join(Estate, Estate.id == user_estate.c.estate_id)
        .where(user_estate.c.user_id.in_(appointed), Estate.active)
        .order_by(user_estate.c.user_id, Estate.id)
    ):
        found.setdefault(user_id, (estate_id, tz))
    if len(appointed) < len(users):
        first = session.execute(
            sa.select(Estate.id, Estate.timezone).where(Estate.active).order_by(Estate.id)
        ).first()
        for user in users:
            if user.all_estates and first is not None:
                found[user.id] = (first[0], first[1])
    return found


def due_now(choice: preferences.Choices, local: datetime) -> list[tuple[str, date]]:
    """The digests whose time has come at ``local`` (the estate's wall clock): today's daily
    from the chosen hour, and on Saturdays the weekly report from 09:00."""
    found = []
    if choice.digest_daily and local.hour >= choice.digest_hour:
        found.append(("daily", local.date()))
    if choice.digest_weekly and local.weekday() == WEEKLY_DAY and local.hour >= WEEKLY_HOUR:
        found.append(("weekly", local.date()))
    return found


def submit_due(session: Session, jobs: engine.Engine, now: datetime) -> int:
    """Submit the making of every digest due and not yet made; how many were submitted."""
    asked = session.execute(
        sa.select(AlertPreference, User)
        .join(User, User.id == AlertPreference.user_id)
        .where(
            User.active,
            User.role.in_(preferences.DIGEST_ROLES),
            sa.or_(AlertPreference.digest_daily, AlertPreference.digest_weekly),
        )
    ).all()
    choices = {row.user_id: preferences.of(row) for row, _user in asked}
    home = homes(session, [user for _row, user in asked])
    wanted: dict[str, tuple[int, str, date, int]] = {}
    for user_id, choice in choices.items():
        if user_id not in home:
            continue  # no estate to report on
        estate_id, tz = home[user_id]
        for kind, day in due_now(choice, now.astimezone(ZoneInfo(tz))):
            wanted[digest_key(kind, user_id, day)] = (user_id, kind, day, estate_id)
    if not wanted:
        return 0
    made = set(session.scalars(sa.select(AlertDigest.key).where(AlertDigest.key.in_(wanted))))
    submitted = 0
    for key, (user_id, kind, day, estate_id) in sorted(wanted.items()):
        if key in made:
            continue
        job = jobs.submit(
            session,
            "digests.make",
            {"user_id": user_id, "kind": kind, "day": day.isoformat()},
            key=key,
            title=f"digest {kind} {day.isoformat()}",
            estate_id=estate_id,
            user_id=user_id,
        )
        submitted += job.attempts == 0 and job.state == "queued"
    return submitted


@periodic(
    "digests.due",
    crontab(minute="*/5"),
    title="Make the digests whose hour has come",
    retries=2,
    retry_delay=60,
    keep=timedelta(days=2),
)
def due_job(ctx) -> dict:
    """Every five minutes: submit the digests due (each keyed: made once)."""
    return {"submitted": submit_due(ctx.session, ctx.engine, ctx.now())}


# ---- making one -------------------------------------------------------------------------------


def estates_of(session: Session, user: User) -> list[Estate]:
    """The active estates the person sees, in id order."""
    return list(user.visible_estates)


def draw(user: User, data: dict) -> dict[str, bytes]:
    """The digest's PDF and workbook in the person's language (needs a request context:
    ``messages.sending``)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    zone = ZoneInfo(data["estates"][0]["tz"]) if data["estates"] else ZoneInfo("UTC")
    printed = datetime.fromisoformat(data["now"]).astimezone(zone)
    link = base + url_for("alerts.index")
    return {
        "pdf": digest_paper.pdf(data, person=user.name, printed=printed, link=link),
        "xlsx": digest_paper.xlsx(data, base_url=base),
    }


@task("digests.make", retries=3, retry_delay=60, max_delay=1800, keep=KEEP)
def make_job(ctx) -> dict:
    """Make one person's digest (params: ``user_id``, ``kind``, ``day``) and record the alert
    that delivers it, once."""
    session, now = ctx.session, ctx.now()
    kind, day = ctx.params["kind"], date.fromisoformat(ctx.params["day"])
    user = session.get(User, ctx.params["user_id"])
    key = digest_key(kind, ctx.params["user_id"], day)
    made = session.scalar(sa.select(AlertDigest).where(AlertDigest.key == key))
    if made is not None:
        return {"digest": made.id}
    if user is None or not user.active or user.role not in preferences.DIGEST_ROLES:
        return {"skipped": "no such supervisor"}
    estates = estates_of(session, user)
    if not estates:
        return {"skipped": "no estate"}
    period = digest_registry.Period.of(kind, day, now)
    data = digest_registry.build(session, user, estates, period)
    with messages.sending(user.locale):
        drawn = draw(user, data)
    # Storing a file commits (the job lists it): the digest and its event come after, in the
    # job's last commit, so a try cut short leaves no digest behind.
    files = {name: ctx.put(FILES[name][0], drawn[name]) for name in FILES}
    digest = AlertDigest(key=key, user_id=user.id, kind=kind, day=day, estate_id=estates[0].id,
                         created_at=now, data=data, job_id=ctx.id, files=files)  # fmt: skip
    session.add(digest)
    session.flush()
    label = period.first.isoformat()
    if period.first != period.last:
        label = f"{period.first.isoformat()} – {period.last.isoformat()}"
    events.record(
        session,
        f"digest_{kind}",
        key,
        occurred_at=now,
        estate_id=estates[0].id,
        detail={"user_id": user.id, "digest_id": digest.id, "label": label},
    )
    return {"digest": digest.id}


# ---- as an alert ------------------------------------------------------------------------------


def readable(session: Session, digest: AlertDigest, user: User) -> dict:
    """The digest's numbers of the estates the reader still sees (a supervisor moved off an
    estate no longer reads its numbers in an old digest)."""
    return digest_registry.shown(digest.data, user.estate_ids)


def files(digest: AlertDigest, data: dict, user: User) -> dict[str, bytes]:
    """The digest's PDF and workbook: the stored ones, or drawn again from its numbers when
    they were purged or some estate is no longer the reader's (needs a request context)."""
    store = engine.get().blobs
    stored = {name: store.get(key) for name, key in (digest.files or {}).items()}
    if data["estates"] == digest.data.get("estates") and all(stored.get(n) for n in FILES):
        return stored
    return draw(user, data)


def filename(digest: AlertDigest, name: str) -> str:
    """The attachment's name: ``daily-digest-2026-12-08.pdf``."""
    stem = "daily-digest" if digest.kind == "daily" else "weekly-report"
    return f"{stem}-{digest.day.isoformat()}.{name}"


def _loaded(session: Session, event: AlertEvent) -> tuple[AlertDigest | None, User | None]:
    detail = event.detail or {}
    digest = session.get(AlertDigest, detail.get("digest_id") or 0)
    return digest, session.get(User, detail.get("user_id") or 0)


def render(session: Session, event: AlertEvent) -> messages.Text:
    """A digest as the bell and the email's subject name it: the period, the headline
    numbers, its page."""
    digest, user = _loaded(session, event)
    name = i18n.term("alert_kind", event.kind)
    title = _("%(kind)s: %(period)s", kind=name, period=(event.detail or {}).get("label", ""))
    if digest is None or user is None:
        return messages.Text(title, "", url_for("alerts.index"))
    body = digest_sections.summary(readable(session, digest, user))
    return messages.Text(title, body, url_for("digests.show", digest_id=digest.id))


def extras(session: Session, event: AlertEvent) -> dict:
    """What the digest's email carries: the digest as text and as HTML, the PDF and the
    workbook attached."""
    digest, user = _loaded(session, event)
    if digest is None or user is None:
        return {}
    data = readable(session, digest, user)
    base = current_app.config["PUBLIC_BASE_URL"]
    link = base + url_for("digests.show", digest_id=digest.id)
    html = render_template(
        "alerts/digest_email.html",
        title=render(session, event).title,
        period=digest_paper.period_text(data),
        sections=digest_registry.tables_of(data),
        base=base,
        link=link,
        choices=base + url_for("alerts.choices"),
    )
    drawn = files(digest, data, user)
    return {
        "body": digest_paper.text(data, base_url=base),
        "html": html,
        "attachments": tuple(
            Attachment(filename(digest, name), mime, drawn[name])
            for name, (_file, mime) in FILES.items()
        ),
    }


messages.RENDERERS.update(dict.fromkeys(KINDS, render))
messages.EXTRAS.update(dict.fromkeys(KINDS, extras))
