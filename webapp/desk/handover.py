"""The shift handover 《前臺交接日志》: what the outgoing shift hands the incoming one — the keys
counted against the register (the keys area's stocktake rule, ``webapp.keys.stocktake``), the
items and the undelivered mail still at the desk, and the work left open — and, once both have
confirmed with their passwords, the log's entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp.desk import items as desk_items
from webapp.desk.queries import MAIL_KINDS, desk_findings, open_items
from webapp.extensions import db
from webapp.keys.basket import MAX_HANDOVER
from webapp.keys.stocktake import Differences, compare
from webapp.labels.codes import find_entries
from webapp.models import Estate, Key, Unit, User
from webapp.models.audit import record
from webapp.models.desk import DeskHandover, DeskItem, DeskItemEvent
from webapp.models.sync import Finding
from webapp.scoping import scoped

MAX_CODES = MAX_HANDOVER  # a stocktake scans the whole cabinet; beyond, codes are left unread
SIGNERS = ("frontdesk", "supervisor")  # who may take over the desk
# Keys the next shift must follow: lent out, or disputed. A key issued to its owner is the
# owner's (it still counts in the stocktake's differences if it is scanned at the desk).
AWAY = ("out", "disputed")


def estate_keys(estate_id: int, user=None) -> list[Key]:
    """The active keys of one of the reader's estates, by class (the stocktake's list)."""
    return list(
        db.session.scalars(
            scoped(Key, user)
            .where(Key.estate_id == estate_id, Key.active)
            .options(selectinload(Key.unit), selectinload(Key.building))
            .order_by(Key.key_class, Key.id)
        )
    )


def read_codes(estate_id: int, entries: list[str], key_ids: set[int]) -> tuple[set[int], list[str]]:
    """The keys of the estate that scanned label URLs, long or short codes name (the desk's one
    reader, ``labels.codes.find_entries``), and the entries that name none, kept as scanned
    (cut to 40 characters)."""
    found, unknown = set(), []
    for entry in find_entries(db.session, [estate_id], entries[:MAX_CODES]):
        code = entry.code
        if code is not None and code.item_type == "key" and code.item_id in key_ids:
            found.add(code.item_id)
        else:
            unknown.append(entry.entry.text[:40])
    unknown.extend(text[:40] for text in entries[MAX_CODES:])
    return found, unknown


@dataclass
class Draft:
    """What the handover form shows the outgoing shift before both sign."""

    estate: Estate
    keys: list[Key]
    items: list[DeskItem]  # parcels, documents and others still at the desk
    mail: list[DeskItem]  # undelivered mail and newspapers
    findings: list[Finding]
    last: DeskHandover | None

    @property
    def cabinet(self) -> list[Key]:
        return [k for k in self.keys if k.status == "in"]

    @property
    def away(self) -> list[Key]:
        return [k for k in self.keys if k.status != "in"]

    @property
    def held_rows(self) -> list[tuple[DeskItem, str]]:
        return [(i, i.status) for i in self.items]

    @property
    def mail_rows(self) -> list[tuple[DeskItem, str]]:
        return [(i, i.status) for i in self.mail]


def _split(open_: list[DeskItem]) -> tuple[list[DeskItem], list[DeskItem]]:
    return (
        [i for i in open_ if i.kind not in MAIL_KINDS],
        [i for i in open_ if i.kind in MAIL_KINDS],
    )


def last_handover(estate_id: int, user=None) -> DeskHandover | None:
    """The estate's latest handover (its open work is the next one's starting point)."""
    return db.session.scalar(
        scoped(DeskHandover, user)
        .where(DeskHandover.estate_id == estate_id)
        .order_by(DeskHandover.created_at.desc(), DeskHandover.id.desc())
        .limit(1)
    )


def draft(estate: Estate) -> Draft:
    """The estate's keys, open items, mail and findings as they stand now."""
    held, mail = _split(open_items(estate.id))
    return Draft(
        estate=estate,
        keys=estate_keys(estate.id),
        items=held,
        mail=mail,
        findings=desk_findings(estate.id),
        last=last_handover(estate.id),
    )


@dataclass
class Counted:
    """The keys part of a handover: what was counted and the register's differences."""

    scanned: set[int]
    diff: Differences
    keys: list[Key] = field(default_factory=list)


def count_keys(estate_id: int, ticked: list[int], entries: list[str], user=None) -> Counted:
    """Compare the keys ticked and scanned with the register (``stocktake.compare``)."""
    keys = estate_keys(estate_id, user)
    statuses = {k.id: k.status for k in keys}
    scanned, unknown = read_codes(estate_id, entries, set(statuses))
    scanned |= {i for i in ticked if i in statuses}
    return Counted(scanned=scanned, diff=compare(statuses, scanned, unknown), keys=keys)


def sign(session: Session, estate: Estate, counted: Counted, tasks: list[str], note: str,
         outgoing: User, incoming: User, now: datetime) -> DeskHandover:  # fmt: skip
    """Log a handover both shifts confirmed: the keys counted, every item still at the desk
    handed over (a step in each one's history), the open work; the caller commits."""
    held, mail = _split(open_items(estate.id, outgoing))
    findings = desk_findings(estate.id, outgoing)
    entry = DeskHandover(
        estate_id=estate.id,
        created_at=now,
        outgoing_user_id=outgoing.id,
        outgoing_name=outgoing.name,
        incoming_user_id=incoming.id,
        incoming_name=incoming.name,
        keys_total=len(counted.keys),
        keys_expected=sum(k.status == "in" for k in counted.keys),
        scanned=sorted(counted.scanned),
        missing=counted.diff.missing,
        unexpected=counted.diff.unexpected,
        unknown_codes=counted.diff.unknown,
        away=[
            {"key": k.id, "status": k.status, "holder": k.holder_name or ""}
            for k in counted.keys
            if k.status in AWAY
        ],
        tasks=tasks,
        findings=[f.id for f in findings],
        note=note,
    )
    session.add(entry)
    session.flush()
    desk_items.hand_over(session, held + mail, entry.id, outgoing, now)
    record(
        session,
        "desk.handover",
        entry,
        actor=outgoing,
        after={
            "incoming": incoming.id,
            "missing": entry.missing,
            "unexpected": entry.unexpected,
            "items": [i.id for i in held + mail],
            "tasks": len(tasks),
        },
    )
    return entry


@dataclass
class Shown:
    """One logged handover with what its ids name, for its page, its PDF and its export."""

    entry: DeskHandover
    estate: Estate
    keys: dict[int, Key]
    items: list[tuple[DeskItem, str]]  # each with the status it was handed over in
    findings: list[Finding]

    @property
    def held(self) -> list[tuple[DeskItem, str]]:
        return [(i, s) for i, s in self.items if i.kind not in MAIL_KINDS]

    @property
    def mail(self) -> list[tuple[DeskItem, str]]:
        return [(i, s) for i, s in self.items if i.kind in MAIL_KINDS]


def shown(entry: DeskHandover) -> Shown:
    """Load what a logged handover names (keys, items, findings), within the reader's estates."""
    key_ids = {*entry.missing, *entry.unexpected, *(a["key"] for a in entry.away)}
    keys = {
        k.id: k
        for k in db.session.scalars(
            scoped(Key)
            .where(Key.id.in_(key_ids))
            .options(selectinload(Key.unit), selectinload(Key.building))
        )
    }
    rows = db.session.execute(
        sa.select(DeskItem, DeskItemEvent.status)
        .join(DeskItemEvent, DeskItemEvent.item_id == DeskItem.id)
        .where(DeskItemEvent.handover_id == entry.id, DeskItem.estate_id == entry.estate_id)
        .options(selectinload(DeskItem.unit).selectinload(Unit.building))
        .order_by(DeskItem.received_at, DeskItem.id)
    ).all()
    findings = list(
        db.session.scalars(
            scoped(Finding).where(Finding.id.in_(entry.findings)).order_by(Finding.occurred_at)
        )
    )
    estate = db.session.get(Estate, entry.estate_id)
    return Shown(entry, estate, keys, [(item, status) for item, status in rows], findings)
