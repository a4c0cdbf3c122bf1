"""The demo's renovation register: a permit for every unit under renovation (one in five past
its end with no acceptance: overrun), its deposit received, a permit that begins in a few days
and one accepted last month, on each demo estate's calendar; and rectification notices issued
on the first renovating units by the estate's patroller, one delivered, a second one past
its deadline and found not rectified (a stop-work in force, a repeat), and two completion
acceptances: one passed (deposit refunded, permit closed), one failed (a notice of its items)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.merge import Actor, push
from webapp import vocab
from webapp.models import Device, LabelCode, Unit
from webapp.models.renovation import DepositEntry, RenovationPermit
from webapp.renovation.status import estate_today

OWNERS = ["陳美玲", "林志明", "黃淑芬", "張家豪", "李雅婷", "王建國", "吳佩珊", "劉俊傑"]
CONTRACTORS = [
    ("宏達裝修工程行", "0912-345-678"),
    ("新居室內設計", "0922-118-206"),
    ("安心水電工程", "0933-507-412"),
    ("巧匠木作坊", "0958-220-731"),
]
SCOPES = [
    "客廳及臥室地板更換、牆面粉刷",
    "廚房櫥櫃更換、廚衛磁磚翻新（不得破壞防水層）",
    "全室水電管線更新、浴室重做",
    "陽台封窗以外之室內木作、油漆",
]
HOURS = "08:00-12:00,14:00-18:00"


def _phone(rng: random.Random) -> str:
    return f"09{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}"


def build_permits(session: Session, estates, seed: int = 20) -> dict:
    """Permits for the demo estates' renovating units (and two more each); the caller commits."""
    rng = random.Random(seed)  # its own: the rest of the demo keeps its random sequence
    made = 0
    for estate in estates:
        today = estate_today(estate)
        units = list(
            session.scalars(sa.select(Unit).where(Unit.estate_id == estate.id).order_by(Unit.id))
        )
        renovating = [u for u in units if u.status == "renovating"]
        occupied = [u for u in units if u.status == "occupied"]
        plans = []
        for n, unit in enumerate(renovating):
            start = today - timedelta(days=rng.randint(5, 50))
            overrun = n % 5 == 2
            end = (
                today - timedelta(days=rng.randint(1, 4))
                if overrun
                else start + timedelta(days=rng.randint(60, 100))
            )
            plans.append((unit, start, end, None))
        if occupied:
            plans.append((occupied[0], today + timedelta(days=3), today + timedelta(days=63), None))
            last = today - timedelta(days=30)
            plans.append((occupied[-1], last - timedelta(days=60), last, "accepted"))
        for n, (unit, start, end, closed) in enumerate(plans, 1):
            contractor, phone = rng.choice(CONTRACTORS)
            deposit = rng.choice((3000, 5000, 10000))
            permit = RenovationPermit(
                estate_id=estate.id,
                unit_id=unit.id,
                number=f"裝{start.year}-{n:03d}",
                owner_name=rng.choice(OWNERS),
                owner_phone=_phone(rng),
                contractor=contractor,
                contractor_phone=phone,
                starts_on=start,
                ends_on=end,
                hours=HOURS,
                scope=rng.choice(SCOPES),
                deposit=deposit,
                unit_status_before="occupied",
                closed_on=end if closed else None,
                close_reason=closed,
            )
            session.add(permit)
            session.add(
                DepositEntry(
                    permit=permit, estate_id=estate.id, kind="received", amount=deposit, on=start
                )
            )
            if closed:
                session.add(
                    DepositEntry(
                        permit=permit, estate_id=estate.id, kind="refunded", amount=deposit, on=end
                    )
                )
            made += 1
    session.flush()
    return {"renovation_permit": made}


def push_notices(session: Session, estates, users) -> dict:
    """Rectification notices on the demo estates' first two renovating units, made as a phone
    makes them (``notice.issue`` through the sync merge, so numbered as any), the first one
    delivered on the door; the caller commits."""
    by_name = {u.username: u for u in users}
    made = 0
    for estate, username in zip(estates, ("patrol", "patrol2"), strict=False):
        user = by_name.get(username)
        device = (
            session.scalar(sa.select(Device).where(Device.user_id == user.id)) if user else None
        )
        if device is None:
            continue
        today = estate_today(estate)
        codes = (
            session.execute(
                sa.select(LabelCode.code)
                .join(Unit, sa.and_(LabelCode.item_type == "unit", LabelCode.item_id == Unit.id))
                .join(RenovationPermit, RenovationPermit.unit_id == Unit.id)
                .where(
                    Unit.estate_id == estate.id,
                    Unit.status == "renovating",
                    LabelCode.active,
                    RenovationPermit.closed_on.is_(None),
                )
                .order_by(Unit.id)
                .limit(4)
            )
            .scalars()
            .all()
        )
        at = datetime.now(UTC) - timedelta(days=2)
        ops = []
        for n, code in enumerate(codes[:2]):
            notice_id = str(uuid.UUID(int=estate.id * 1000 + n + 1))
            ops.append(
                {
                    "op_id": str(uuid.UUID(int=estate.id * 1000 + n + 501)),
                    "type": "notice.issue",
                    "occurred_at": (at + timedelta(minutes=n)).isoformat(),
                    "payload": {
                        "id": notice_id,
                        "code": code,
                        "rules": [("facade", "debris"), ("waterproof",)][n % 2],
                        "note": ["陽台外牆擅自開窗，建築垃圾堆放樓梯間", "浴室防水層已鑿除未重做"][
                            n % 2
                        ],
                        "deadline": (today + timedelta(days=5 + n)).isoformat(),
                    },
                }
            )
            if n == 0:
                ops.append(
                    {
                        "op_id": str(uuid.UUID(int=estate.id * 1000 + 901)),
                        "type": "notice.deliver",
                        "occurred_at": (at + timedelta(minutes=30)).isoformat(),
                        "payload": {
                            "id": str(uuid.UUID(int=estate.id * 1000 + 701)),
                            "notice_id": notice_id,
                            "method": "door",
                        },
                    }
                )
        ops += _followups(estate, codes, at, today)
        actor = Actor(user_id=user.id, estate_ids=[estate.id], device_id=device.id)
        results = push(session, actor, ops, at + timedelta(hours=1))
        made += sum(
            1
            for o, r in zip(ops, results, strict=True)
            if o["type"] == "notice.issue" and r["status"] == "applied"
        )
    return {"rectification_notice": made}


def _op(estate, n: int, kind: str, at: datetime, payload: dict) -> dict:
    ids = estate.id * 1000 + 300 + n
    return {
        "op_id": str(uuid.UUID(int=ids)),
        "type": kind,
        "occurred_at": at.isoformat(),
        "payload": {"id": str(uuid.UUID(int=ids + 50)), **payload},
    }


def _followups(estate, codes: list[str], at: datetime, today) -> list[dict]:
    """Items 3–4 on the demo: on the first unit a second notice (so a repeat), past its
    deadline and found not rectified — a stop-work in force; the third unit's acceptance
    passed (deposit refunded, permit closed), the fourth's failed on its waterproofing."""
    ops: list[dict] = []
    if codes:
        notice = _op(estate, 0, "notice.issue", at - timedelta(days=4), {
            "code": codes[0], "rules": ["hours", "debris"],
            "note": "晚間施工，垃圾堆放樓道", "deadline": (today - timedelta(days=3)).isoformat(),
        })  # fmt: skip
        ops += [
            notice,
            _op(
                estate,
                1,
                "reinspect.result",
                at - timedelta(hours=1),
                {
                    "notice_id": notice["payload"]["id"],
                    "result": "not_rectified",
                    "note": "樓道垃圾仍未清運",
                },
            ),  # fmt: skip
        ]
    answers = {i["key"]: "yes" for i in vocab.ACCEPTANCE_CHECKLISTS[1]}
    for n, code in enumerate(codes[2:4]):
        failed = n == 1
        ops.append(
            _op(
                estate,
                2 + n,
                "acceptance.record",
                at + timedelta(minutes=40 + n),
                {
                    "code": code,
                    "checklist_version": 1,
                    "answers": {**answers, "waterproof": "no"} if failed else answers,
                    "result": "failed" if failed else "passed",
                    "engineer": "林工程師",
                    "note": "衛生間閉水試驗滲漏" if failed else "",
                    **({"deadline": (today + timedelta(days=7)).isoformat()} if failed else {}),
                },
            )  # fmt: skip
        )
    return ops
