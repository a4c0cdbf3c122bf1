"""The dashboard's overrun permits: open permits past their approved end with no acceptance,
oldest end first, as a review table (card, full page, CSV/XLSX: webapp/review/tables.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import Unit
from webapp.models.renovation import RenovationPermit
from webapp.renovation import permits
from webapp.renovation.status import estate_today
from webapp.review.tables import Params, Table, _count, _window


class PermitCell(str):
    """A permit's number, shown as a link to its page on the table's page; its URL is built
    only there (the dashboard's card is also computed outside a request: its cache, tests)."""

    permit_id: int

    def __new__(cls, number: str, permit_id: int) -> PermitCell:
        made = super().__new__(cls, number)
        made.permit_id = permit_id
        return made

    @property
    def href(self) -> str:
        return url_for("renovation.permit", permit_id=self.permit_id)


def _query(p: Params) -> sa.Select:
    return permits.overrun(db.session, list(p.estates.values()), p.now)


def _rows(p: Params, offset: int, limit: int | None, _tz) -> list[list]:
    query = _window(_query(p), offset, limit).options(
        joinedload(RenovationPermit.unit).joinedload(Unit.building)
    )
    out = []
    for permit in db.session.scalars(query).unique():
        estate = p.estates[permit.estate_id]
        late = (estate_today(estate, p.now) - permit.ends_on).days
        out.append(
            [
                estate.name,
                permit.unit.label,
                PermitCell(permit.number, permit.id),
                " ".join(filter(None, (permit.contractor, permit.contractor_phone))),
                permit.ends_on.isoformat(),
                late,
            ]
        )
    return out


OVERRUN = Table(
    slug="overrun",
    title=_l("Renovation permits overrun"),
    stem="renovation-overrun",
    headers=(
        _l("Estate"),
        _l("Unit"),
        _l("Permit number"),
        _l("Contractor"),
        _l("Approved end"),
        _l("Days over"),
    ),
    count=lambda p: _count(_query(p)),
    fetch=_rows,
    empty=_l("No permit is past its end without acceptance."),
)
