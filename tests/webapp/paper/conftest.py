"""The paper area's fixture: checks of every kind pushed through the sync merge."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image

from sync.merge import Actor, push
from sync.photos import store
from webapp.extensions import db
from webapp.models import Estate, LabelCode, Sign, Unit
from webapp.rounds.service import ensure_defaults


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def walked(app, seed):
    """A unit of the first estate under renovation with two checks, a vacant unit with one
    visit, and a sign checked in the morning window: pushed through the merge as a phone
    would. Returns what the tests look for."""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        tz = ZoneInfo(estate.timezone)
        templates = {t.kind: t for t in ensure_defaults(db.session, estate)}
        units = db.session.scalars(
            sa.select(Unit).where(Unit.estate_id == estate.id).order_by(Unit.id)
        ).all()
        renovating, vacant = units[0], units[1]
        renovating.status, vacant.status = "renovating", "vacant"
        sign = db.session.scalar(sa.select(Sign).where(Sign.estate_id == estate.id, Sign.active))

        def code(item_type, item_id):
            return db.session.scalar(
                sa.select(LabelCode.code).where(
                    LabelCode.item_type == item_type, LabelCode.item_id == item_id, LabelCode.active
                )
            )

        photo = _photo()
        sha = hashlib.sha256(photo).hexdigest()
        patrol = seed.user_ids["patrol"]
        store(
            db.session, app.config["BLOB_DIR"], sha, photo, "image/jpeg", patrol, datetime.now(UTC)
        )
        day = datetime.now(tz).date() - timedelta(days=1)
        morning = datetime(day.year, day.month, day.day, 9, 30, tzinfo=tz)

        def op(item_type, item_id, template, at, **payload):
            return {
                "op_id": str(uuid.uuid4()),
                "type": "check.record",
                "occurred_at": at.isoformat(),
                "payload": {
                    "id": str(uuid.uuid4()),
                    "code": code(item_type, item_id),
                    "method": "scan",
                    "result": "ok",
                    "answers": {"_v": template.checklist_version},
                    "photos": [],
                    "round_id": str(template.id),
                    **payload,
                },
            }

        reno = templates["renovation"]
        ops = [
            op("unit", renovating.id, reno, morning - timedelta(days=1),
               answers={"_v": 1, "load_bearing": "yes", "facade": "yes", "waterproof": "yes",
                        "workers": 2}),
            op("unit", renovating.id, reno, morning, result="issue", method="manual",
               note="東牆打鑿，已勒令停止",
               answers={"_v": 1, "load_bearing": "no", "facade": "yes", "waterproof": "yes",
                        "workers": 4},
               photos=[sha]),
            op("unit", vacant.id, templates["vacant"], morning,
               answers={"_v": 1, "shut": "yes", "no_leaks": "no", "note": "廚房滴水"}),
            op("sign", sign.id, templates["signage"], morning,
               result="issue", answers={"_v": 1, "state": "dirty"}),
        ]  # fmt: skip
        answers = push(db.session, Actor(patrol, [estate.id]), ops, datetime.now(UTC))
        assert [a["status"] for a in answers] == ["applied"] * 4, [
            a for a in answers if a["status"] != "applied"
        ]
        db.session.commit()
        return {
            "estate": estate.id,
            "renovating": renovating.id,
            "renovating_label": renovating.label,
            "vacant": vacant.id,
            "sign": sign.label,
            "day": day,
            "other_estate": seed.estate_ids[1],
            "check_ids": [o["payload"]["id"] for o in ops],
            "photo": sha,
            "vacant_label": vacant.label,
            "vacant_round": templates["vacant"].id,
            "patrol": patrol,
        }
