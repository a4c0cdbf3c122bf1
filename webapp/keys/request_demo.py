"""The demo's requests to engineering: one loan and one copy waiting on engineering's home, and
one loan it refused, at the first estate's desk (estates big enough for a key history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.keys.demo import MIN_UNITS
from webapp.models import Key, Unit
from webapp.models.key_requests import KeyRequest
from webapp.models.sync import KeyEvent


def add_requests(session: Session, result) -> dict:
    """Requests the desk made of engineering, written as the desk's page writes them."""
    if not result.estates:
        return {}
    estate = result.estates[0]
    units = session.scalar(
        sa.select(sa.func.count()).select_from(Unit).where(Unit.estate_id == estate.id)
    )
    by_name = {u.username: u for u in result.users}
    desk, engineer = by_name.get("desk"), by_name.get("engineer")
    if units < MIN_UNITS or desk is None or engineer is None:
        return {}

    def untouched(key_class: str, n: int) -> list[Key]:
        return list(
            session.scalars(
                sa.select(Key)
                .where(
                    Key.estate_id == estate.id,
                    Key.key_class == key_class,
                    Key.status == "in",
                    ~sa.exists().where(KeyEvent.key_id == Key.id),
                )
                .order_by(Key.id)
                .limit(n)
            )
        )

    rooms, owner = untouched("equipment_room", 2), untouched("owner", 1)
    now = datetime.now(UTC).replace(microsecond=0)
    made = []
    if rooms:
        made.append(
            KeyRequest(
                estate_id=estate.id,
                key_id=rooms[0].id,
                kind="loan",
                borrower_name="李師傅",
                borrower_type="contractor",
                purpose="電梯年檢",
                hours=4,
                requested_by_id=desk.id,
                created_at=now - timedelta(minutes=20),
            )  # fmt: skip
        )
    if len(rooms) > 1:
        made.append(
            KeyRequest(
                estate_id=estate.id,
                key_id=rooms[1].id,
                kind="loan",
                borrower_name="周先生",
                borrower_type="tenant",
                purpose="inspection",
                hours=2,
                status="refused",
                requested_by_id=desk.id,
                created_at=now - timedelta(days=1, hours=3),
                decided_by_id=engineer.id,
                decided_at=now - timedelta(days=1, hours=2),
                reason="住戶不得進入設備房，請由工程部陪同",
            )  # fmt: skip
        )
    if owner:
        made.append(
            KeyRequest(
                estate_id=estate.id,
                key_id=owner[0].id,
                kind="copy",
                copies=1,
                purpose="業主遺失一把，申請補配",
                requested_by_id=desk.id,
                created_at=now - timedelta(hours=1),
            )  # fmt: skip
        )
    session.add_all(made)
    return {"key_requests": len(made)}
