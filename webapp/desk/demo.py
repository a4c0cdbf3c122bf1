"""The demo's front desk: items held for residents in every state (awaiting approval, held,
refused, returned), mail and newspapers not yet delivered, and one signed shift handover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp.desk import handover, items
from webapp.keys.stocktake import compare
from webapp.models import Unit

# (hours ago, unit index, resident, kind, what, how many, brought by, then)
ITEMS = [
    (50, 5, "林志偉", "parcel", "紙箱（小）", 1, "黑貓宅急便", "return"),
    (30, 3, "黃美華", "parcel", "紙箱（大）", 2, "新竹物流", "refuse"),
    (20, 1, "鄭家豪", "parcel", "紙箱（中）", 1, "順豐速運", "approve"),
    (9, 7, "謝淑貞", "mail", "水電費帳單", 3, "中華郵政", None),
    (7, 2, "許文傑", "newspaper", "聯合報", 1, "送報員", None),
    (3, 4, "陳雅婷", "document", "公司合約副本（密封）", 1, "鄰居王先生", None),
    (1, 6, "", "parcel", "網購包裹", 1, "蝦皮店到店", None),
]
HANDOVER_HOURS_AGO = 8
TASKS = ["3棟電梯報修，等工程部回覆", "提醒 1502 室住戶領取包裹"]
REFUSED = "業主未授權代收，請退回物流"
RETURNED = "住戶出國，退回寄件人"


def written() -> list[str]:
    """Every text the demo's people wrote (the English pages show them as written)."""
    texts = [t for row in ITEMS for t in (row[2], row[4], row[6])]
    return [t for t in (*texts, *TASKS, REFUSED, RETURNED) if t]


def build_desk_history(session: Session, result) -> dict:
    """The first estate's desk: items received by the desk, answered by the supervisor, and a
    handover from the desk to the supervisor; returns counts."""
    if not result.estates:
        return {}
    estate = result.estates[0]
    by_name = {u.username: u for u in result.users}
    desk, supervisor = by_name.get("desk"), by_name.get("supervisor")
    if desk is None or supervisor is None:
        return {}
    units = list(
        session.scalars(
            sa.select(Unit)
            .where(Unit.estate_id == estate.id, Unit.active)
            .options(selectinload(Unit.building))
            .order_by(Unit.id)
            .limit(8)
        )
    )
    if len(units) < 8:
        return {}
    now = datetime.now(UTC).replace(microsecond=0)
    made = []
    handed = False
    for hours, unit, resident, kind, what, count, brought, then in ITEMS:
        at = now - timedelta(hours=hours)
        if not handed and hours < HANDOVER_HOURS_AGO:
            _handover(session, estate, desk, supervisor, now - timedelta(hours=HANDOVER_HOURS_AGO))
            handed = True
        received = items.Received(units[unit], kind, what, count, resident, brought, at)
        item = items.receive(session, estate, received, desk, at)
        later = at + timedelta(minutes=25)
        if then == "approve":
            items.decide(session, item, True, "", supervisor, later)
        elif then == "refuse":
            items.decide(session, item, False, REFUSED, supervisor, later)
        elif then == "return":
            items.give_back(session, item, RETURNED, desk, later + timedelta(hours=5))
        made.append(item)
    return {"desk_items": len(made), "desk_handovers": 1 if handed else 0}


def _handover(session, estate, outgoing, incoming, at) -> None:
    """A handover where one key in the cabinet was not counted (a difference to look at)."""
    keys = handover.estate_keys(estate.id, outgoing)
    statuses = {k.id: k.status for k in keys}
    counted = {k for k, s in statuses.items() if s == "in"}
    if counted:
        counted.discard(max(counted))
    result = handover.Counted(scanned=counted, diff=compare(statuses, counted), keys=keys)
    handover.sign(
        session,
        estate,
        result,
        TASKS,
        "",
        outgoing,
        incoming,
        at,
    )
