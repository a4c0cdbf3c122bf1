"""The dashboard's stop-work notices in force 《停工通知》: notices found not rectified at their
re-inspection and not put right since, oldest first, as a review table (card, full page,
CSV/XLSX: webapp/review/tables.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import Unit
from webapp.models.renovation import StopWork
from webapp.review.tables import Params, Table, _count, _window


class NoticeCell(str):
    """A stop-work's number, a link to its notice's page on the table's page (built there)."""

    notice_id: str

    def __new__(cls, number: str, notice_id: str) -> NoticeCell:
        made = super().__new__(cls, number)
        made.notice_id = notice_id
        return made

    @property
    def href(self) -> str:
        return url_for("renovation.notice", notice_id=self.notice_id)


def _query(p: Params) -> sa.Select:
    return (
        sa.select(StopWork)
        .where(StopWork.estate_id.in_(p.ids), StopWork.lifted_at.is_(None))
        .order_by(StopWork.issued_at, StopWork.id)
    )


def _rows(p: Params, offset: int, limit: int | None, tz) -> list[list]:
    query = _window(_query(p), offset, limit).options(
        joinedload(StopWork.unit).joinedload(Unit.building),
        joinedload(StopWork.notice),
        joinedload(StopWork.permit),
    )
    names = p.names
    return [
        [
            names.get(s.estate_id, ""),
            s.unit.label,
            NoticeCell(s.number, s.notice_id),
            " ".join(filter(None, (s.permit.contractor, s.permit.contractor_phone)))
            if s.permit
            else "",
            s.issued_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        ]
        for s in db.session.scalars(query).unique()
    ]


STOP_WORK = Table(
    slug="stop_work",
    title=_l("Stop-work notices in force"),
    stem="renovation-stop-work",
    headers=(_l("Estate"), _l("Unit"), _l("Notice number"), _l("Contractor"), _l("Since")),
    count=lambda p: _count(_query(p)),
    fetch=_rows,
    empty=_l("No stop-work notice is in force."),
)
