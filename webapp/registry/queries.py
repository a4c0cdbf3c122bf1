"""The registry's lists: filters read from the query string, searches, ordering and pages.

Every SELECT starts from ``webapp.scoping.scoped`` so a list can never show another estate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from webapp import vocab
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.labels.codes import normalize
from webapp.models import Building, Key, LabelCode, Sign, Unit
from webapp.registry import naming
from webapp.registry.forms import ListFilters
from webapp.scoping import scoped

PER_PAGE = 50


@dataclass(frozen=True)
class Filters:
    """What a list is narrowed to; read from and written back to the query string."""

    q: str = ""
    building: int | None = None
    floor: int | None = None
    status: str = ""
    category: str = ""
    key_class: str = ""
    inactive: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read filters from the query string (a 400 for what does not fit)."""
        return cls(**strict_args(ListFilters, args))

    def args(self, **changes) -> dict:
        """The non-default filters as query-string arguments (``page`` dropped unless > 1)."""
        current = replace(self, **changes)
        out = {}
        for f in fields(current):
            value = getattr(current, f.name)
            if value in ("", None, False) or (f.name == "page" and value == 1):
                continue
            out[f.name] = "1" if value is True else value
        return out

    @property
    def active(self) -> bool:
        """Whether any filter other than the page is set."""
        return any(v not in ("", None, False) for k, v in asdict(self).items() if k != "page")


@dataclass
class Page:
    """One page of a list, with what the pager needs."""

    items: list
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to show: first, last and a few around the current; None is a gap."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def paginate(query: sa.Select, page: int, per_page: int = PER_PAGE) -> Page:
    """Run a SELECT one page at a time; a page past the end shows the last one."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, total=total, page=page, per_page=per_page)


def _tokens(q: str) -> list[str]:
    return [t for t in q.replace("-", " ").replace("－", " ").split() if t][:8]


def _natural(column):
    """Order '2' before '10': by length, then by text."""
    return (sa.func.length(column), column)


def _code_match(item_type: str, id_column, token: str):
    short = normalize(token)
    if len(short) < 4 or not short.isalnum():
        return None
    return (
        sa.select(LabelCode.id)
        .where(
            LabelCode.item_type == item_type,
            LabelCode.item_id == id_column,
            LabelCode.short_code.startswith(short, autoescape=True),
        )
        .exists()
    )


def unit_token_condition(token: str):
    """What one search word means for a unit: '3棟', '2單元', '15樓', '1502室', or any part."""
    if token.endswith(("單元", "单元")):
        return Unit.entrance == naming.entrance(token)
    if token.endswith("棟"):
        return Building.name == naming.building_name(token)
    if token.endswith(("樓", "楼")) and naming.floor(token) is not None:
        return Unit.floor == naming.floor(token)
    if token.endswith("室"):
        return Unit.room == naming.room(token)
    options = [
        Building.name.icontains(token, autoescape=True),
        Unit.room.startswith(token, autoescape=True),
        Unit.entrance == token,
    ]
    code = _code_match("unit", Unit.id, token)
    if code is not None:
        options.append(code)
    return sa.or_(*options)


def _placed(query: sa.Select, model, f: Filters) -> sa.Select:
    """The filters units and signs share: active only unless asked, building, floor."""
    if not f.inactive:
        query = query.where(model.active)
    if f.building:
        query = query.where(model.building_id == f.building)
    if f.floor is not None:
        query = query.where(model.floor == f.floor)
    return query


def units(estate_id: int, f: Filters) -> sa.Select:
    """The estate's units narrowed by the filters, in building-entrance-floor-room order."""
    query = (
        scoped(Unit)
        .join(Unit.building)
        .where(Unit.estate_id == estate_id)
        .options(joinedload(Unit.building))
    )
    query = _placed(query, Unit, f)
    if f.status in vocab.UNIT_STATUSES:
        query = query.where(Unit.status == f.status)
    for token in _tokens(f.q):
        query = query.where(unit_token_condition(token))
    return query.order_by(
        Building.sort_key,
        *_natural(Building.name),
        *_natural(Unit.entrance),
        Unit.floor,
        *_natural(Unit.room),
        Unit.id,
    )


def _category_matches(token: str) -> list[str]:
    lowered = token.lower()
    return [
        value
        for value, (zh_name, en_name) in vocab.SIGN_CATEGORIES.items()
        if token in zh_name or lowered in en_name.lower()
    ]


def signs(estate_id: int, f: Filters) -> sa.Select:
    """The estate's signs narrowed by the filters, by category then place."""
    query = (
        scoped(Sign)
        .outerjoin(Sign.building)
        .where(Sign.estate_id == estate_id)
        .options(joinedload(Sign.building))
    )
    query = _placed(query, Sign, f)
    if f.category in vocab.SIGN_CATEGORIES:
        query = query.where(Sign.category == f.category)
    for token in _tokens(f.q):
        options = [
            Sign.location.icontains(token, autoescape=True),
            Sign.description.icontains(token, autoescape=True),
            Building.name == naming.building_name(token),
        ]
        categories = _category_matches(token)
        if categories:
            options.append(Sign.category.in_(categories))
        code = _code_match("sign", Sign.id, token)
        if code is not None:
            options.append(code)
        query = query.where(sa.or_(*options))
    order = sa.case(
        {value: i for i, value in enumerate(vocab.SIGN_CATEGORIES)}, value=Sign.category
    )
    return query.order_by(
        order, Building.sort_key.nulls_first(), Sign.floor, Sign.location, Sign.id
    )


def keys(estate_id: int, f: Filters) -> sa.Select:
    """The estate's keys narrowed by the filters: by class, then building, floor and room."""
    unit_building = sa.orm.aliased(Building)
    query = (
        scoped(Key)
        .outerjoin(Key.unit)
        .outerjoin(unit_building, Unit.building_id == unit_building.id)
        .outerjoin(Building, Key.building_id == Building.id)
        .where(Key.estate_id == estate_id)
        .options(
            selectinload(Key.unit).joinedload(Unit.building),
            joinedload(Key.building),
        )
    )
    if not f.inactive:
        query = query.where(Key.active)
    if f.key_class in vocab.KEY_CLASSES:
        query = query.where(Key.key_class == f.key_class)
    if f.status in vocab.KEY_STATUSES:
        query = query.where(Key.status == f.status)
    if f.building:
        query = query.where(sa.or_(Key.building_id == f.building, Unit.building_id == f.building))
    if f.floor is not None:
        query = query.where(sa.or_(Key.floor == f.floor, Unit.floor == f.floor))
    for token in _tokens(f.q):
        unit_ids = sa.select(Unit.id).join(Unit.building).where(unit_token_condition(token))
        options = [
            Key.name.icontains(token, autoescape=True),
            Key.equipment_room.icontains(token, autoescape=True),
            Key.holder_name.icontains(token, autoescape=True),
            Building.name == naming.building_name(token),
            Key.unit_id.in_(unit_ids),
        ]
        kinds = [v for v, (zh_name, _en) in vocab.OWNER_KEY_KINDS.items() if token in zh_name]
        if kinds:
            options.append(Key.kind.in_(kinds))
        code = _code_match("key", Key.id, token)
        if code is not None:
            options.append(code)
        query = query.where(sa.or_(*options))
    order = sa.case({value: i for i, value in enumerate(vocab.KEY_CLASSES)}, value=Key.key_class)
    kind_order = sa.case(
        {value: i for i, value in enumerate(vocab.OWNER_KEY_KINDS)}, value=Key.kind, else_=99
    )
    return query.order_by(
        order,
        sa.func.coalesce(unit_building.sort_key, Building.sort_key),
        sa.func.coalesce(unit_building.name, Building.name),
        *_natural(sa.func.coalesce(Unit.entrance, "")),
        sa.func.coalesce(Unit.floor, Key.floor),
        *_natural(sa.func.coalesce(Unit.room, "")),
        Key.equipment_room,
        kind_order,
        Key.name,
        Key.id,
    )


def buildings(estate_id: int, include_inactive: bool = True) -> list[Building]:
    """The estate's buildings in label order."""
    query = scoped(Building).where(Building.estate_id == estate_id)
    if not include_inactive:
        query = query.where(Building.active)
    return list(db.session.scalars(query.order_by(Building.sort_key, *_natural(Building.name))))


def building_counts(estate_id: int) -> dict[int, dict[str, int]]:
    """Active units per building and status."""
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        sa.select(Unit.building_id, Unit.status, sa.func.count())
        .where(Unit.id.in_(scoped(Unit).with_only_columns(Unit.id)))
        .where(Unit.estate_id == estate_id, Unit.active)
        .group_by(Unit.building_id, Unit.status)
    )
    for building_id, status, n in rows:
        counts.setdefault(building_id, dict.fromkeys(vocab.UNIT_STATUSES, 0))[status] = n
    return counts


def floors(estate_id: int) -> list[int]:
    """The floors the estate's units stand on, for the floor filter."""
    return list(
        db.session.scalars(
            scoped(Unit)
            .with_only_columns(Unit.floor)
            .where(Unit.estate_id == estate_id)
            .distinct()
            .order_by(Unit.floor)
        )
    )


def short_codes(item_type: str, ids: list[int]) -> dict[int, str]:
    """The active short code of each item, for display beside it."""
    if not ids:
        return {}
    rows = db.session.execute(
        scoped(LabelCode)
        .with_only_columns(LabelCode.item_id, LabelCode.short_code)
        .where(LabelCode.item_type == item_type, LabelCode.item_id.in_(ids), LabelCode.active)
    )
    return dict(rows.all())
