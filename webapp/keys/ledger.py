"""The loan record 《房屋鑰匙管理記錄表》: every movement of the user's estates' keys as the paper
form has it, one line per loan — key, borrower, purpose, time out, due back, time back, who
handed it out and who took it back (經手人: the user who recorded each), who approved it
(equipment-room keys) — newest first, in pages, filtered; and the whole of it as CSV (streamed)
or XLSX.

A line is a lend, an issue to an owner or a supervisor's resolution, with the return that ended
it (``KeyEvent.pair_id``, kept by the merge); a return that ended no loan (the key was already
in) is a line of its own, so that no movement is ever missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from webapp import exports, vocab
from webapp.extensions import db
from webapp.forms import QueryFilters
from webapp.keys.display import purpose_zh, zone
from webapp.keys.forms import LedgerFilters
from webapp.keys.history import masked
from webapp.labels.codes import find_entries
from webapp.models import Building, Estate, Key, Unit, User, shown_names
from webapp.models.display import key_label, unit_label
from webapp.models.keys import KeyApproval
from webapp.models.sync import KeyEvent
from webapp.models.types import utcnow
from webapp.scoping import visible_estate_ids

PAGE = 50
BATCH = 2000
HELD = ("out", "disputed")


@dataclass
class Filters(QueryFilters):
    FORM: ClassVar = LedgerFilters

    estate: int | None = None
    start: date | None = None
    end: date | None = None
    key: str = ""  # a key's tag (URL, long or short code) or words of its name
    borrower: str = ""
    page: int = 1

    @property
    def narrowed(self) -> bool:
        return bool(self.start or self.end or self.key or self.borrower)


@dataclass
class Line:
    """One line of the loan record."""

    event: KeyEvent  # the lend, issue or resolution (or a return that ended none)
    back: KeyEvent | None  # the return that ended it
    key: Key | None
    names: dict[int, str] = field(repr=False, default_factory=dict)
    approver_id: int | None = None
    now: datetime = field(default_factory=utcnow)

    @property
    def lone_return(self) -> bool:
        return self.event.action == "return"

    @property
    def time_out(self) -> datetime | None:
        return None if self.lone_return else self.event.occurred_at

    @property
    def time_back(self) -> datetime | None:
        return self.event.occurred_at if self.lone_return else self.back and self.back.occurred_at

    @property
    def lent_by(self) -> str:
        return "" if self.lone_return else self.names.get(self.event.user_id, "")

    @property
    def back_by(self) -> str:
        returned = self.event if self.lone_return else self.back
        return self.names.get(returned.user_id, "") if returned is not None else ""

    @property
    def approver(self) -> str:
        return self.names.get(self.approver_id, "") if self.approver_id else ""

    @property
    def overdue(self) -> bool:
        """Not back, past its due back, and the key still held (out or disputed)."""
        e = self.event
        return (
            e.action == "lend"
            and self.back is None
            and e.due_back is not None
            and e.due_back < self.now
            and self.key is not None
            and self.key.status in HELD
        )


def _key_ids(text: str, estate_ids: list[int]) -> sa.Select | list[int]:
    """The keys a key filter names: the one a scanned or typed tag names, else those whose name,
    equipment room or unit's room holds the words."""
    (found,) = find_entries(db.session, estate_ids, [text])
    if found.code is not None and found.code.item_type == "key":
        return [found.code.item_id]
    like = f"%{text}%"
    return (
        sa.select(Key.id)
        .outerjoin(Unit, Unit.id == Key.unit_id)
        .where(
            Key.estate_id.in_(estate_ids),
            sa.or_(Key.name.ilike(like), Key.equipment_room.ilike(like), Unit.room.ilike(like)),
        )
    )


def _bounds(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone())


def _where(filters: Filters, user) -> list:
    """The conditions of the lines the filters select (the user's estates only)."""
    estate_ids = visible_estate_ids(user)
    if filters.estate:
        estate_ids = [e for e in estate_ids if e == filters.estate]
    conditions = [
        # The keys a key filter names are of these estates already: their events are read
        # through the key index, not by walking the estate's whole record in time order.
        KeyEvent.key_id.in_(_key_ids(filters.key, estate_ids))
        if filters.key
        else KeyEvent.estate_id.in_(estate_ids),
        # A return that ended a loan is on its loan's line. Written as the partial index
        # ix_key_event_ledger has it (a literal, not a parameter), so that the index alone
        # counts and pages the record.
        sa.or_(KeyEvent.action != sa.literal_column("'return'"), KeyEvent.pair_id.is_(None)),
    ]
    if filters.start:
        conditions.append(KeyEvent.occurred_at >= _bounds(filters.start))
    if filters.end:
        conditions.append(KeyEvent.occurred_at < _bounds(filters.end + timedelta(days=1)))
    if filters.borrower:
        conditions.append(KeyEvent.borrower_name.ilike(f"%{filters.borrower}%"))
    return conditions


def _approvers(event_ids) -> dict[str, int]:
    ids = list(event_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(KeyApproval.used_by_event_id, KeyApproval.user_id).where(
                KeyApproval.used_by_event_id.in_(ids)
            )
        ).all()
    )


def page_of(filters: Filters, user) -> tuple[list[Line], bool, int]:
    """A page of lines, newest first; whether there is a next; how many lines in all."""
    where = _where(filters, user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(KeyEvent).where(*where))
    order = (KeyEvent.occurred_at.desc(), KeyEvent.id.desc())
    # The page's ids first, from the index alone however deep the page; then their rows.
    ids = list(
        db.session.scalars(
            sa.select(KeyEvent.id)
            .where(*where)
            .order_by(*order)
            .limit(PAGE)
            .offset((filters.page - 1) * PAGE)
        )
    )
    back = aliased(KeyEvent)
    rows = (
        db.session.execute(
            sa.select(KeyEvent, back)
            .outerjoin(back, back.id == KeyEvent.pair_id)
            .where(KeyEvent.id.in_(ids))
            .order_by(*order)
        ).all()
        if ids
        else []
    )
    keys = {
        k.id: k
        for k in db.session.scalars(
            sa.select(Key)
            .where(Key.id.in_({e.key_id for e, _b in rows}))
            .options(selectinload(Key.unit).selectinload(Unit.building), selectinload(Key.building))
        )
    }
    approvers = _approvers(e.id for e, _b in rows if e.action == "lend")
    names = shown_names(
        db.session,
        [e.user_id for e, _b in rows]
        + [b.user_id for _e, b in rows if b is not None]
        + list(approvers.values()),
    )
    now = utcnow()
    lines = [Line(e, b, keys.get(e.key_id), names, approvers.get(e.id), now) for e, b in rows]
    return lines, total > filters.page * PAGE, total or 0


# ----------------------------------------------------------------------------- exports

SHEET = "房屋鑰匙管理記錄表"
HEADERS = [
    "鑰匙",
    "類別",
    "記錄",
    "借用人",
    "借用人類型",
    "核驗證件",
    "用途",
    "借出時間",
    "應還時間",
    "歸還時間",
    "借出經手人",
    "歸還經手人",
    "批准人",
    "逾期",
    "未經工程部批准",
    "與紀錄不符",
    "小區",
]


def _key_labels(estate_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Every key of these estates: its label and class, read once (not per line)."""
    buildings = dict(
        db.session.execute(
            sa.select(Building.id, Building.name).where(Building.estate_id.in_(estate_ids))
        ).all()
    )
    units = {
        u.id: unit_label(buildings.get(u.building_id, ""), u.entrance, u.floor, u.room)
        for u in db.session.execute(
            sa.select(Unit.id, Unit.building_id, Unit.entrance, Unit.floor, Unit.room).where(
                Unit.estate_id.in_(estate_ids)
            )
        )
    }
    return {
        k.id: (
            key_label(
                k.key_class,
                unit=units.get(k.unit_id, ""),
                kind=k.kind,
                building=buildings.get(k.building_id, ""),
                floor=k.floor,
                name=k.name,
                equipment_room=k.equipment_room,
            ),
            k.key_class,
        )
        for k in db.session.execute(
            sa.select(
                Key.id,
                Key.key_class,
                Key.kind,
                Key.unit_id,
                Key.building_id,
                Key.floor,
                Key.name,
                Key.equipment_room,
            ).where(Key.estate_id.in_(estate_ids))
        )
    }


def export_lines(filters: Filters, user, tz) -> Iterator[list]:
    """Every line the filters select (all pages), oldest first, as the exports' cells: read in
    batches, the names of keys, people, approvers and estates read once up front."""
    estate_ids = visible_estate_ids(user)
    labels = _key_labels(estate_ids)
    people = {
        uid: display or username
        for uid, display, username in db.session.execute(
            sa.select(User.id, User.display_name, User.username)
        )
    }
    approvers = dict(
        db.session.execute(
            sa.select(KeyApproval.used_by_event_id, KeyApproval.user_id).where(
                KeyApproval.estate_id.in_(estate_ids), KeyApproval.used_by_event_id.is_not(None)
            )
        ).all()
    )
    estates = dict(
        db.session.execute(sa.select(Estate.id, Estate.name).where(Estate.id.in_(estate_ids))).all()
    )
    held = {
        k: due
        for k, due in db.session.execute(
            sa.select(Key.id, Key.due_back).where(
                Key.estate_id.in_(estate_ids), Key.status.in_(HELD)
            )
        )
    }
    back = aliased(KeyEvent)
    e = KeyEvent
    query = (
        sa.select(
            e.id,
            e.key_id,
            e.estate_id,
            e.action,
            e.borrower_name,
            e.borrower_type,
            e.purpose,
            e.occurred_at,
            e.due_back,
            e.user_id,
            e.unapproved,
            e.inconsistent,
            e.settled_status,
            e.id_type,
            e.id_last4,
            back.occurred_at,
            back.user_id,
        )
        .outerjoin(back, back.id == e.pair_id)
        .where(*_where(filters, user))
        .order_by(e.occurred_at, e.id)
        .execution_options(yield_per=BATCH)
    )
    now = utcnow()
    when = exports.when
    for row in db.session.execute(query):
        (event_id, key_id, estate_id, action, name, kind, purpose, out_at, due, by, unapproved,
         inconsistent, settled, id_type, id_last4, back_at, back_by) = row  # fmt: skip
        label, key_class = labels.get(key_id, (str(key_id), ""))
        lone = action == "return"
        overdue = (
            action == "lend"
            and back_at is None
            and due is not None
            and due < now
            and key_id in held
        )
        approver = approvers.get(event_id)
        yield [
            label,
            vocab.zh("key_class", key_class) if key_class else "",
            vocab.zh("key_action", action)
            + (f"：{vocab.zh('key_status', settled)}" if action == "settle" and settled else ""),
            name or "",
            vocab.zh("borrower_type", kind) if kind else "",
            f"{vocab.zh('id_document', id_type)} {masked(id_last4)}" if id_type else "",
            purpose_zh(purpose),
            "" if lone else when(out_at, tz),
            when(due, tz),
            when(out_at if lone else back_at, tz),
            "" if lone else people.get(by, ""),
            people.get(by if lone else back_by, "") if (lone or back_by) else "",
            people.get(approver, "") if approver else "",
            "是" if overdue else "",
            "是" if unapproved else "",
            "是" if inconsistent else "",
            estates.get(estate_id, ""),
        ]


def csv_chunks(filters: Filters, user, tz) -> Iterator[bytes]:
    """The loan record as CSV, streamed (``webapp.exports`` makes every cell inert)."""
    return exports.csv_chunks(HEADERS, export_lines(filters, user, tz))


def to_xlsx(filters: Filters, user, tz) -> bytes:
    """The loan record as one XLSX sheet, overdue lines filled pale red."""
    # An empty cell as None: the writer leaves it out (a third of the cells, a third of the time).
    lines = [[v if v != "" else None for v in line] for line in export_lines(filters, user, tz)]
    overdue = HEADERS.index("逾期")
    return exports.to_xlsx(SHEET, HEADERS, lines, [line[overdue] == "是" for line in lines])
