"""A digest's page and files: ``/alerts/digests/<id>`` shows it (the bell's entry and the
email link there) and downloads its PDF and workbook. Only its person reads it, and only the
estates they still see."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from webapp import digest_registry, exports
from webapp.access import roles
from webapp.alerts import digest_paper, digests
from webapp.extensions import db
from webapp.models.digests import AlertDigest
from webapp.scoping import MAX_INTEGER_ID

bp = Blueprint("digests", __name__)
PLAIN = "plain"  # the digest is the person's own: checked against them, not an estate


def _mine(digest_id: int) -> AlertDigest:
    """The current person's digest, or 404 (another's is as absent as a missing one)."""
    if not 0 < digest_id <= MAX_INTEGER_ID:
        abort(404)
    digest = db.session.get(AlertDigest, digest_id)
    if digest is None or digest.user_id != current_user.id:
        abort(404)
    return digest


@bp.get("/alerts/digests/<int:digest_id>")
@roles(scope={"digest_id": PLAIN})
def show(digest_id: int):
    """Show one digest: each estate's coverage, findings and keys, with the downloads."""
    digest = _mine(digest_id)
    data = digests.readable(db.session, digest, current_user)
    return render_template(
        "alerts/digest.html",
        digest=digest,
        period=digest_paper.period_text(data),
        sections=digest_registry.tables_of(data),
        made=digest.created_at,
    )


@bp.get("/alerts/digests/<int:digest_id>/<any(pdf, xlsx):fmt>")
@roles(scope={"digest_id": PLAIN, "fmt": PLAIN})
def download(digest_id: int, fmt: str):
    """Download the digest's PDF or workbook."""
    digest = _mine(digest_id)
    data = digests.readable(db.session, digest, current_user)
    drawn = digests.files(digest, data, current_user)
    mime = digests.FILES[fmt][1]
    response = current_app.response_class(drawn[fmt], mimetype=mime)
    exports.name_download(response, digests.filename(digest, fmt), inline=fmt == "pdf")
    return response
