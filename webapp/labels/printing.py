"""Choosing what to print and turning items and their codes into label data.

The command and the web page both go through here: choose items by estate, kind,
building and floor; reuse their active codes (minting in bulk only for those without);
reprint one label by retiring its code.
"""

from __future__ import annotations

import io
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app
from PIL import Image
from sqlalchemy.orm import Session, selectinload

from webapp import vocab
from webapp.extensions import db
from webapp.labels import codes, sheets
from webapp.models import Building, Estate, Key, LabelCode, Sign, Unit
from webapp.text import fold
from webapp.values import object_id

KINDS = ("unit", "key", "sign")


@dataclass
class Selection:
    """What to print: an estate's items of one kind, optionally one building and floor."""

    estate: Estate
    kind: str
    building: Building | None = None
    floor: int | None = None


# QR's alphanumeric mode: 45 characters at 5.5 bits each (bytes take 8).
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def code_url(base_url: str, code: str) -> str:
    """The URL a label's QR carries: ``PUBLIC_BASE_URL/Q/<CODE>`` in upper case where it can.

    Scheme and host are case-insensitive and ``/Q/<CODE>`` is answered as ``/q/<code>``, so
    ``https://rounds.example.com`` prints ``HTTPS://ROUNDS.EXAMPLE.COM/Q/<CODE>``: QR's
    alphanumeric mode, a third fewer bits than bytes. A base URL whose path (case-sensitive)
    is not already upper case, or that holds characters the mode lacks (``_``, an IPv6
    literal, a user name), keeps ``<base>/q/<code>`` in byte mode. Every label goes through
    here: sheets, single labels and reprints, key tags and signs.
    """
    base = base_url.rstrip("/")
    parts = urlsplit(base)
    upper = urlunsplit((parts.scheme.upper(), parts.netloc.upper(), parts.path, "", ""))
    url = f"{upper}/Q/{code.upper()}"
    if parts.query or parts.fragment or "@" in parts.netloc or not set(url) <= QR_ALPHANUMERIC:
        return f"{base}/q/{code}"
    return url


def check_kind(kind: str) -> str:
    """The kind, or LabelError naming the known ones."""
    if kind not in KINDS:
        raise sheets.LabelError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    return kind


def find_building(session: Session, estate: Estate, ref: str) -> Building:
    """A building of the estate by id or name as names are kept (``webapp.text.fold``; ``3``
    also finds ``3棟``), or LabelError."""
    ref = fold(ref)
    query = sa.select(Building).where(Building.estate_id == estate.id)
    found = None
    with suppress(ValueError):  # no id: ፩ (isdigit, but no int), 5,000 digits, past 32 bits
        found = session.scalar(query.where(Building.id == object_id(ref)))
    for name in (ref, f"{ref}棟"):
        found = found or session.scalar(query.where(Building.name == name))
    if found is None:
        names = ", ".join(
            b.name for b in session.scalars(query.order_by(Building.sort_key, Building.id))
        )
        raise sheets.LabelError(
            f"no building {ref!r} in {estate.name}; buildings: {names or 'none'}"
        )
    return found


def select_items(session: Session, selection: Selection) -> list:
    """The selection's active items, in the order they are walked and labelled."""
    kind = check_kind(selection.kind)
    estate_id = selection.estate.id
    building, floor = selection.building, selection.floor
    if kind == "unit":
        query = (
            sa.select(Unit)
            .join(Building, Unit.building_id == Building.id)
            .where(Unit.estate_id == estate_id, Unit.active)
            .options(selectinload(Unit.building))
            .order_by(Building.sort_key, Building.id, Unit.entrance, Unit.floor, Unit.room)
        )
        if building is not None:
            query = query.where(Unit.building_id == building.id)
        if floor is not None:
            query = query.where(Unit.floor == floor)
    elif kind == "sign":
        query = (
            sa.select(Sign)
            .outerjoin(Building, Sign.building_id == Building.id)
            .where(Sign.estate_id == estate_id, Sign.active)
            .options(selectinload(Sign.building))
            .order_by(Building.sort_key.nulls_last(), Sign.floor.nulls_first(), Sign.id)
        )
        if building is not None:
            query = query.where(Sign.building_id == building.id)
        if floor is not None:
            query = query.where(Sign.floor == floor)
    else:
        owner_unit = sa.orm.aliased(Unit)
        query = (
            sa.select(Key)
            .outerjoin(owner_unit, Key.unit_id == owner_unit.id)
            .where(Key.estate_id == estate_id, Key.active)
            .options(
                selectinload(Key.unit).selectinload(Unit.building),
                selectinload(Key.building),
            )
            .order_by(Key.key_class, owner_unit.building_id, owner_unit.floor, Key.id)
        )
        if building is not None:
            query = query.where(
                sa.or_(Key.building_id == building.id, owner_unit.building_id == building.id)
            )
        if floor is not None:
            query = query.where(sa.or_(Key.floor == floor, owner_unit.floor == floor))
    return list(session.scalars(query))


def caption(kind: str, item) -> str:
    """The small line naming what kind of thing the label is on, in Chinese."""
    if kind == "key":
        return vocab.zh("key_class", item.key_class)
    return vocab.zh("item_kind", kind)


def label_data(
    kind: str, items: list, codes_by_item: dict[int, LabelCode], estate: Estate, base_url: str
) -> list[sheets.LabelData]:
    """Plain label data for items and their codes, in the items' order."""
    return [
        sheets.LabelData(
            url=code_url(base_url, codes_by_item[item.id].code),
            short_code=codes_by_item[item.id].short_code,
            text=item.label,
            estate=estate.name,
            caption=caption(kind, item),
        )
        for item in items
    ]


@dataclass
class Sheet:
    """A selection's labels, and how many of their codes were minted for it."""

    labels: list[sheets.LabelData]
    minted: int

    @property
    def reused(self) -> int:
        return len(self.labels) - self.minted


def prepare_sheet(session: Session, selection: Selection, base_url: str) -> Sheet:
    """The labels for a selection, minting codes only for items that have none (not committed)."""
    items = select_items(session, selection)
    if not items:
        where = selection.estate.name
        if selection.building is not None:
            where += f" {selection.building.name}"
        if selection.floor is not None:
            where += f" {vocab.floor_name(selection.floor)}"
        raise sheets.LabelError(f"nothing to print: no {selection.kind}s in {where}")
    by_item = codes.active_codes(session, selection.kind, [item.id for item in items])
    missing = [item for item in items if item.id not in by_item]
    for code in codes.mint_many(session, selection.kind, missing):
        by_item[code.item_id] = code
    session.flush()
    return Sheet(
        label_data(selection.kind, items, by_item, selection.estate, base_url), len(missing)
    )


def one_label(session: Session, code: LabelCode, base_url: str) -> sheets.LabelData:
    """The label data for one code's item."""
    item = code.item(session)
    estate = session.get(Estate, code.estate_id)
    return label_data(code.item_type, [item], {item.id: code}, estate, base_url)[0]


def default_template(kind: str) -> str:
    """The template a kind is printed on unless another is asked for."""
    return sheets.DEFAULT_TEMPLATE[check_kind(kind)]


def render_label_png(
    code: LabelCode,
    template: str | None = None,
    *,
    session: Session | None = None,
    base_url: str | None = None,
    margin_px: int = 40,
) -> bytes:
    """One label as a PNG at 300 dpi, with a white margin (e.g. for a fake camera feed).

    Needs an app context unless ``session`` and ``base_url`` are given.
    """
    if session is None or base_url is None:
        session = session or db.session
        base_url = base_url or current_app.config["PUBLIC_BASE_URL"]
    data = one_label(session, code, base_url)
    image = sheets.render_label(data, template or default_template(code.item_type))
    framed = Image.new(
        "1", (image.width + 2 * margin_px, image.height + 2 * margin_px), sheets.WHITE
    )
    framed.paste(image, (margin_px, margin_px))
    out = io.BytesIO()
    framed.save(out, "PNG", dpi=(sheets.DPI, sheets.DPI))
    return out.getvalue()
