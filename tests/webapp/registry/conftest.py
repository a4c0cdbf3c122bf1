"""Registry fixtures: a logged-in supervisor, a 2,000-unit estate, spreadsheet builders."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from webapp.extensions import db
from webapp.models import AuditEvent, Building, Estate, Unit

TOTAL_RE = re.compile(r'data-total="(\d+)"')


def total(response) -> int:
    """The number of matching items a list page or fragment reports."""
    match = TOTAL_RE.search(response.get_data(as_text=True))
    assert match, "no list total in the response"
    return int(match.group(1))


def xlsx(headers: list[str], rows: list[list]) -> bytes:
    """An .xlsx file with a header row and the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(headers: list[str], rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


UNIT_HEADERS = ["棟", "單元", "樓層", "房號", "狀態"]


def unit_rows(n: int = 500, building_prefix: int = 11) -> list[list]:
    """``n`` distinct unit rows in buildings from ``building_prefix`` up (none in the seed)."""
    # 裝修中 comes from a renovation permit, never from a units file (issue 20).
    statuses = ["已入住", "空置", "已入住"]
    rows = []
    for i in range(n):
        building = building_prefix + i // 100
        entrance = 1 + (i // 50) % 2
        floor = 1 + (i % 50) // 2
        room = f"{floor}{1 + i % 2:02d}"
        rows.append([f"{building}棟", entrance, floor, room, statuses[i % 7 % 3]])
    return rows


def count(model, **where) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def supervisor(client, auth, seed):
    """A client logged in as the first estate's supervisor."""
    auth.login("supervisor")
    return client


@pytest.fixture
def token(auth, supervisor):
    """A CSRF token for the logged-in session."""
    return auth.csrf("/")


@pytest.fixture
def big_estate(app, seed):
    """A third estate with 2,000 units: 5 buildings x 2 entrances x 20 floors x 10 rooms;
    every 7th unit vacant and every 11th under renovation. The supervisor may see it."""
    from webapp.models import User

    with app.app_context():
        estate = Estate(name="大型示範小區", timezone="Asia/Taipei")
        db.session.add(estate)
        db.session.flush()
        n = 0
        for b in range(1, 6):
            building = Building(estate_id=estate.id, name=f"{b}棟", sort_key=b, floors=20)
            db.session.add(building)
            db.session.flush()
            units = []
            for entrance in ("1", "2"):
                for floor in range(1, 21):
                    for r in range(1, 11):
                        n += 1
                        status = (
                            "vacant" if n % 7 == 0 else "renovating" if n % 11 == 0 else "occupied"
                        )
                        units.append(
                            Unit(
                                estate_id=estate.id,
                                building_id=building.id,
                                entrance=entrance,
                                floor=floor,
                                room=f"{floor}{r:02d}",
                                status=status,
                            )
                        )
            db.session.add_all(units)
        supervisor = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        supervisor.estates.append(estate)
        db.session.commit()
        return estate.id
