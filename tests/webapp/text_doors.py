"""What the typed-text tables (test_blank_text.py, test_long_text.py) post to: the seed's first
estate, its first unit and round, and the desk's borrowing forms filled in."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Unit
from webapp.models.rounds import RoundTemplate

# A lend and a loan request filled in but for their keys: the tables read the message beside
# the one text they change.
BORROWING = {
    "codes": "",
    "borrower_name": "陳師傅",
    "borrower_type": "contractor",
    "purpose": "維修",
}
LEND = ("/keys/lend", {**BORROWING, "due_back": "2031-01-01T18:00"})
LOAN_REQUEST = ("/keys/requests/loan", {**BORROWING, "hours": "3"})


class FirstUnit(NamedTuple):
    building_id: int
    label: str


def estate_id(seed) -> int:
    return seed.estate_ids[0]


def first_unit(app, seed) -> FirstUnit:
    """The first estate's first unit, read while its building can be (``label`` names it)."""
    with app.app_context():
        unit = db.session.scalar(
            sa.select(Unit).where(Unit.estate_id == estate_id(seed)).order_by(Unit.id).limit(1)
        )
        return FirstUnit(unit.building_id, unit.label)


def template_id(app, seed) -> int:
    """The first estate's first round."""
    with app.app_context():
        return db.session.scalar(
            sa.select(RoundTemplate.id)
            .where(RoundTemplate.estate_id == estate_id(seed))
            .order_by(RoundTemplate.id)
        )


def round_form(app, seed, name: str) -> tuple[str, dict]:
    """The first round's page, posted with ``name`` and one window."""
    url = f"/rounds/{template_id(app, seed)}"
    return url, {"name": name, "period_days": "1", "start": "09:00", "end": "12:00"}
