"""The desk's owner-key issue (issue 19 item 4): the form, the basket as it is scanned, the
confirmation page and the printed receipt 《業主鑰匙簽收單》. Its writes go through the key desk's
one push (``pushing.push_ops``): the same ``key.issue`` op and merge as a phone's."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from sync import blobs, photos
from webapp import exports, signature
from webapp.access import roles
from webapp.extensions import db
from webapp.keys import basket as baskets
from webapp.keys import owner, receipt
from webapp.keys.pushing import NotRecorded, push_whole
from webapp.keys.views import DESK_ROLES, VIEWERS
from webapp.models import Key
from webapp.models.types import utcnow
from webapp.scoping import get_scoped

bp = Blueprint("owner_keys", __name__, url_prefix="/keys/owner")


def _read_basket(entries: list[str]) -> baskets.Basket:
    return baskets.read(entries)


def _read_locked(entries: list[str]) -> baskets.Basket:
    # The keys' rows stay locked until the commit: what the form checked still holds when
    # the ops are merged.
    return baskets.read(entries, lock=True)


def _page(form: owner.OwnerIssueForm, status: int = 200):
    return render_template("keys/owner.html", form=form, recent=owner.recent()), status


@bp.get("/")
@roles(*DESK_ROLES)
def form():
    """The form: the owner's keys scanned, the owner, the ID checked, their signature."""
    return _page(owner.OwnerIssueForm(_read_basket, formdata=None))


@bp.get("/basket")
@roles(*DESK_ROLES)
def basket():
    """The basket as it is being scanned: each key and what keeps it back (htmx)."""
    form = owner.OwnerIssueForm(_read_basket, formdata=request.args)
    form.preview()
    return render_template("keys/_basket.html", form=form, which="issue", oob=False)


@bp.post("/")
@roles(*DESK_ROLES)
def issue():
    """Issue the basket's owner keys, all or none: refused whole, nothing stored, unless every
    key is an owner key of one unit in the cabinet, the ID is checked (type, last 4) and the
    owner signed."""
    form = owner.OwnerIssueForm(_read_locked)
    if not form.validate():
        db.session.rollback()
        return _page(form, 422)
    try:
        sha = signature.keep(
            db.session,
            blobs.from_config(current_app.config),
            signature.sent(form.signature.data),
            current_user.id,
            utcnow(),
            unsigned=_("The owner must sign: draw the signature in the box."),
        )
    except signature.Refused as exc:
        db.session.rollback()
        form.signature.errors = [str(exc)]
        return _page(form, 422)
    # Read before the merge locks and reloads the keys (it drops what they had loaded).
    labels = [k.label for k in form.keys]
    first = form.keys[0].id
    payloads = form.payloads(sha)
    try:
        # Checked under the keys' locks first: only a fault gets a key refused here. One
        # owner's keys are issued together or not at all (the signature's blob with them).
        push_whole("key.issue", payloads)
    except NotRecorded as refused:
        form.not_recorded(refused.index, refused.message(labels[refused.index]))
        return _page(form, refused.http_status)
    db.session.commit()
    flash(
        _("Issued to %(name)s: %(keys)s", name=form.owner_name.data, keys="、".join(labels)), "ok"
    )
    return redirect(url_for("owner_keys.issued", key_id=first, event_id=payloads[0]["id"])), 303


def _issue(key_id: int, event_id: str) -> owner.Issue:
    found = owner.issue_of(get_scoped(Key, key_id), event_id)
    if found is None:
        abort(404)
    return found


@bp.get("/<int:key_id>/<event_id>")
@roles(*VIEWERS, scope={"key_id": "key", "event_id": "plain"})
def issued(key_id: int, event_id: str):
    """An issue as recorded: the keys, the owner, the ID checked, the signature, the receipt."""
    return render_template("keys/owner_issued.html", issue=_issue(key_id, event_id))


@bp.get("/<int:key_id>/<event_id>/receipt.pdf")
@roles(*VIEWERS, scope={"key_id": "key", "event_id": "plain"})
def receipt_pdf(key_id: int, event_id: str):
    """The receipt 《業主鑰匙簽收單》 on A4, the drawn signature printed on it."""
    found = _issue(key_id, event_id)
    drawn = None
    if found.signature:
        drawn = blobs.from_config(current_app.config).get(photos.photo_key(found.signature))
    data = receipt.render(found, drawn, get_timezone(), utcnow().astimezone(get_timezone()))
    response = current_app.response_class(data, mimetype="application/pdf")
    local = found.event.occurred_at.astimezone(get_timezone())
    name = f"{receipt.TITLE[0]}-{local:%Y%m%d-%H%M}.pdf"
    return exports.name_download(response, name, inline=True)
