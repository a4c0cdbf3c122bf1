"""`/q/<code>`: the page a scanned label opens, for any logged-in user of the item's estate.

Labels print the URL in upper case (``/Q/<CODE>``, QR's alphanumeric mode: docs/labels.md);
that path is the same view, so it is answered exactly as ``/q/<code>``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from webapp.access import roles
from webapp.extensions import db
from webapp.items.history import history_for
from webapp.labels import codes
from webapp.models import Estate, Key, LabelCode
from webapp.models.renovation import RenovationPermit
from webapp.scoping import scoped

bp = Blueprint("items", __name__)


def _code_links(item_type: str, ids) -> dict[int, LabelCode]:
    return codes.active_codes(db.session, item_type, list(ids))


@bp.get("/Q/<code>")  # registered second: url_for still builds /q/<code>
@bp.get("/q/<code>")
@roles(scope={"code": "code"})
def show(code):
    """Open the unit, key or sign a label names, saying so if the label was replaced."""
    normalized = codes.normalize(code)
    found = None
    if 0 < len(normalized) <= 32:
        found = db.session.scalar(scoped(LabelCode).where(LabelCode.code == normalized))
    item = found.item(db.session) if found is not None else None
    if found is None or item is None:
        abort(404)
    current = found if found.active else codes.current_code(db.session, found)
    replaced_by = db.session.get(LabelCode, found.replaced_by_id) if found.replaced_by_id else None
    estate = db.session.get(Estate, found.estate_id)
    related: dict = {}
    if found.item_type == "unit":
        keys = db.session.scalars(
            sa.select(Key).where(Key.unit_id == item.id, Key.active).order_by(Key.id)
        ).all()
        related = {
            "keys": keys,
            "key_codes": _code_links("key", [k.id for k in keys]),
            # Its open renovation permits (issue 20): what the unit is 裝修中 under.
            "permits": db.session.scalars(
                sa.select(RenovationPermit)
                .where(RenovationPermit.unit_id == item.id, RenovationPermit.closed_on.is_(None))
                .order_by(RenovationPermit.starts_on)
            ).all(),
        }
    elif found.item_type == "key" and item.unit_id is not None:
        related = {"unit_code": codes.active_code(db.session, "unit", item.unit_id)}
    return render_template(
        "items/item.html",
        code=found,
        current=current,
        replaced_by=replaced_by,
        retired_reason=codes.reason_shown(found.retired_reason),
        item=item,
        kind=found.item_type,
        estate=estate,
        history=history_for(db.session, found.item_type, item),
        **related,
    )
