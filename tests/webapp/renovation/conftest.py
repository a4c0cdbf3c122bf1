"""Renovation fixtures: a logged-in supervisor and its CSRF token, units to put permits on."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.sync.conftest import Phone, issue_device
from tests.webapp.registry.conftest import supervisor, token  # noqa: F401 (fixtures)
from webapp.extensions import db
from webapp.models import Estate, LabelCode, Unit
from webapp.renovation import permits
from webapp.renovation.status import estate_today


@pytest.fixture
def phone(app, client, seed):
    """The patroller's phone with a fresh token (as tests/sync has it)."""
    device_id, bearer = issue_device(app, "patrol")
    return Phone(client, device_id, bearer)


def units_of(estate_id: int, status: str) -> list[Unit]:
    """The estate's active units of one status, by id."""
    return list(
        db.session.scalars(
            sa.select(Unit)
            .where(Unit.estate_id == estate_id, Unit.status == status, Unit.active)
            .order_by(Unit.id)
        )
    )


def add_permit(estate_id: int, unit: Unit, number: str, start: date | None = None, **more):
    """A permit through the register's own write (audited, the unit's status in step)."""
    estate = db.session.get(Estate, estate_id)
    values = {
        "unit_id": unit.id,
        "number": number,
        "starts_on": start or estate_today(estate),
        **more,
    }
    return permits.create(db.session, estate, values, None)


@pytest.fixture
def renovating(app, seed):
    """A unit of the first estate under an active permit: (its code, permit id)."""
    with app.app_context():
        unit = units_of(seed.estate_ids[0], "occupied")[-3]
        permit = add_permit(seed.estate_ids[0], unit, "N-1", contractor="宏達裝修工程行")
        db.session.commit()
        code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "unit", LabelCode.item_id == unit.id, LabelCode.active
            )
        )
        return code, permit.id
