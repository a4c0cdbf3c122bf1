"""Front desk fixtures: items received through the desk's own form, drawn signatures, a desk
user of the other estate."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw

from tests.sync.conftest import make_phone, phone  # noqa: F401  (fixtures)
from webapp.extensions import db
from webapp.models import Estate, Unit, User
from webapp.models.desk import DeskItem


def png(ink: bool = True, size=(480, 160)) -> bytes:
    """A signature as the desk's canvas sends it: a stroke on white (or a blank pad)."""
    image = Image.new("RGB", size, "white")
    if ink:
        ImageDraw.Draw(image).line([(20, 120), (120, 30), (220, 110), (400, 40)], "#10242b", 4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def unit_of(app, estate_id: int, n: int = 0) -> tuple[int, str]:
    """The id and label of the estate's n-th unit (by id)."""
    with app.app_context():
        unit = db.session.scalars(
            sa.select(Unit).where(Unit.estate_id == estate_id).order_by(Unit.id).offset(n)
        ).first()
        return unit.id, unit.label


def item(app, item_id: int) -> DeskItem:
    with app.app_context():
        found = db.session.get(DeskItem, item_id)
        db.session.expunge(found)
        return found


def newest_item(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(DeskItem.id)))


class Desk:
    """The desk's forms, posted as a browser would (CSRF token from the page)."""

    def __init__(self, app, client, auth):
        self.app, self.client, self.auth = app, client, auth

    def token(self, path="/desk/") -> str:
        return self.auth.csrf(path)

    def receive(self, estate_id: int, unit: str, kind="parcel", **fields):
        data = {
            "csrf_token": self.token(),
            "estate": str(estate_id),
            "unit": unit,
            "kind": kind,
            "quantity": "1",
            "resident_name": "Mr Lee",
            "description": "a medium box",
            "received_from": "Courier",
        }
        data.update({k: str(v) for k, v in fields.items()})
        return self.client.post("/desk/items", data=data)

    def decide(self, item_id: int, decision: str, note: str = ""):
        data = {"csrf_token": self.token(), "decision": decision, "note": note}
        return self.client.post(f"/desk/items/{item_id}/decide", data=data)

    def collect(self, item_id: int, name="Mr Lee", signature: bytes | None = None):
        data = {"csrf_token": self.token(), "collector_name": name, "note": ""}
        if signature is not None:
            data["signature"] = (io.BytesIO(signature), "signature.png", "image/png")
        return self.client.post(
            f"/desk/items/{item_id}/collect", data=data, content_type="multipart/form-data"
        )

    def give_back(self, item_id: int, note: str):
        data = {"csrf_token": self.token(), "note": note}
        return self.client.post(f"/desk/items/{item_id}/return", data=data)


@pytest.fixture
def desk(app, client, auth, seed):
    return Desk(app, client, auth)


@pytest.fixture
def other_desk(app, seed):
    """A front desk user who works only at the second estate."""
    with app.app_context():
        user = User(username="desk2", role="frontdesk", display_name="Desk Two")
        user.set_password("desk2-pass")
        user.estates = [db.session.get(Estate, seed.estate_ids[1])]
        db.session.add(user)
        db.session.commit()
    return ("desk2", "desk2-pass")
