"""The demo's key register history, pushed as real ops through the sync merge: keys out,
overdue, issued to owners, an approved and an unapproved equipment-room lend, one disputed."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.merge import Actor, push
from webapp.models import Device, Key, LabelCode, Unit
from webapp.models.sync import KeyEvent

BORROWERS = [
    ("陳師傅", "contractor"),
    ("李先生", "tenant"),
    ("王太太", "owner"),
    ("張工", "staff"),
    ("劉師傅", "contractor"),
    ("周小姐", "tenant"),
]
MIN_UNITS = 40
OWNERS = ["林志偉", "黃美華", "鄭家豪", "謝淑貞", "許文傑"]


def push_key_history(session: Session, result, days: int, rng: random.Random) -> dict:
    """Lends, returns, issues and approvals for the first estate's desk; returns counts."""
    if days <= 0 or not result.estates:
        return {}
    estate = result.estates[0]
    # Small estates (the tests' 24-unit seed) get no key history: their few public-area and
    # equipment-room keys stay clean for the tests that lend them.
    units = session.scalar(
        sa.select(sa.func.count()).select_from(Unit).where(Unit.estate_id == estate.id)
    )
    if units < MIN_UNITS:
        return {}
    by_name = {u.username: u for u in result.users}
    desk, engineer, patrol = by_name.get("desk"), by_name.get("engineer"), by_name.get("patrol")
    if desk is None or engineer is None or patrol is None:
        return {}
    now = datetime.now(UTC).replace(microsecond=0)

    def untouched(key_class: str, n: int) -> list[str]:
        return list(
            session.scalars(
                sa.select(LabelCode.code)
                .join(Key, Key.id == LabelCode.item_id)
                .where(
                    LabelCode.estate_id == estate.id,
                    LabelCode.item_type == "key",
                    LabelCode.active,
                    Key.key_class == key_class,
                    Key.status == "in",
                    ~sa.exists().where(KeyEvent.key_id == Key.id),
                )
                .order_by(LabelCode.id.desc())
                .limit(n)
            )
        )

    def op(kind: str, at: datetime, **payload) -> dict:
        return {
            "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "type": kind,
            "occurred_at": at.isoformat(),
            "payload": {"id": str(uuid.UUID(int=rng.getrandbits(128))), **payload},
        }

    def lend(code: str, at: datetime, due: datetime | None, purpose: str, who=None) -> dict:
        name, kind = who or rng.choice(BORROWERS)
        body = op(
            "key.lend",
            at,
            code=code,
            borrower_name=name,
            borrower_type=kind,
            purpose=purpose,
            id_checked=True,
        )
        if due is not None:
            body["payload"]["due_back"] = due.isoformat()
        return body

    rooms = untouched("equipment_room", 2)
    owner_keys = untouched("owner", 14)
    owners = owner_keys[:5]
    # Public-area keys first; owner keys (lent with the owner's leave, for repairs) fill in.
    public = (untouched("public_area", 9) + owner_keys[5:])[:9]
    desk_ops: list[dict] = []
    eng_ops: list[dict] = []
    patrol_ops: list[dict] = []
    span = max(min(days, 14), 2)
    # Lent and returned over the past days.
    for i, code in enumerate(public[:3]):
        out_at = now - timedelta(days=span - i, hours=3)
        desk_ops.append(lend(code, out_at, out_at + timedelta(hours=6), "維修進場"))
        desk_ops.append(op("key.return", out_at + timedelta(hours=rng.randint(1, 5)), code=code))
    # Out now, due back later today.
    for code in public[3:5]:
        out_at = now - timedelta(hours=rng.randint(1, 3))
        desk_ops.append(lend(code, out_at, now + timedelta(hours=4), "清潔公共區域"))
    # Overdue.
    for i, code in enumerate(public[5:8]):
        out_at = now - timedelta(days=i + 1, hours=5)
        desk_ops.append(lend(code, out_at, out_at + timedelta(hours=8), "裝修進場"))
    # Issued to owners at move-in.
    for i, code in enumerate(owners):
        desk_ops.append(
            op("key.issue", now - timedelta(days=span - i), code=code, owner_name=OWNERS[i])
        )
    # Equipment rooms: one approved by engineering then lent; one lent offline without approval.
    if rooms:
        approved_at = now - timedelta(hours=5)
        eng_ops.append(op("key.approve", approved_at, code=rooms[0], note="水泵房例行保養"))
        desk_ops.append(
            lend(
                rooms[0], approved_at + timedelta(minutes=20), now + timedelta(hours=2), "水泵保養"
            )
        )
    if len(rooms) > 1:
        desk_ops.append(
            lend(rooms[1], now - timedelta(hours=2), now + timedelta(hours=3), "配電房檢查")
        )
    # One disputed: the desk and a patroller both lent the same key, offline.
    if len(public) > 8:
        at = now - timedelta(hours=6)
        desk_ops.append(lend(public[8], at, at + timedelta(hours=4), "電梯維修", BORROWERS[0]))
        patrol_ops.append(
            lend(public[8], at + timedelta(minutes=40), None, "查看天台", BORROWERS[3])
        )

    counts = {"key_ops": 0}
    for user, ops in ((engineer, eng_ops), (desk, desk_ops), (patrol, patrol_ops)):
        if not ops:
            continue
        device, _token = Device.issue(user, "前臺手機" if user is desk else "示範手機")
        session.add(device)
        session.flush()
        actor = Actor(user_id=user.id, estate_ids=[estate.id], device_id=device.id)
        push(session, actor, ops, now)
        counts["key_ops"] += len(ops)
    return counts
