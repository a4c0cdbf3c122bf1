"""The estate registry: estates, buildings, units, signs and keys, and their QR codes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import vocab
from webapp.extensions import db
from webapp.models.display import key_label, sign_label, unit_label
from webapp.models.types import UTCDateTime, utcnow


def _enum(values, name: str) -> sa.Enum:
    # Stored as VARCHAR + CHECK on both databases: adding a value is a plain migration.
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


class Estate(db.Model):
    """A residential estate 小區, the unit of access control."""

    __tablename__ = "estate"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Taipei")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buildings: Mapped[list[Building]] = relationship(
        back_populates="estate", order_by="Building.sort_key"
    )

    def __repr__(self) -> str:
        return f"<Estate {self.id} {self.name}>"


class Building(db.Model):
    """A building 棟 of an estate."""

    __tablename__ = "building"
    __table_args__ = (sa.UniqueConstraint("estate_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))  # as written on labels: "3棟"
    sort_key: Mapped[int] = mapped_column(default=0)
    floors: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    estate: Mapped[Estate] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building")


class Unit(db.Model):
    """A unit 室: building, entrance 單元, floor and room; occupied, vacant or renovating."""

    __tablename__ = "unit"
    __table_args__ = (
        sa.UniqueConstraint("building_id", "entrance", "room"),
        # Counts by status per estate (home summaries, dashboard cards) from the index alone.
        sa.Index("ix_unit_estate_status", "estate_id", "status", "active"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id"), index=True)
    entrance: Mapped[str] = mapped_column(sa.String(20))
    floor: Mapped[int]
    room: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(
        _enum(vocab.UNIT_STATUSES, "unit_status"), default="occupied"
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    building: Mapped[Building] = relationship(back_populates="units")
    keys: Mapped[list[Key]] = relationship(back_populates="unit")

    @property
    def label(self) -> str:
        """Display text as managers write it: 3棟-2單元-15樓-1502室."""
        return unit_label(self.building.name, self.entrance, self.floor, self.room)


class Sign(db.Model):
    """A sign 標識 in one of the 11 categories, or a temporary one."""

    __tablename__ = "sign"
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    category: Mapped[str] = mapped_column(_enum(vocab.SIGN_CATEGORIES, "sign_category"))
    location: Mapped[str] = mapped_column(sa.String(200))
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id"), index=True)
    floor: Mapped[int | None]
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    building: Mapped[Building | None] = relationship()

    @property
    def label(self) -> str:
        """Display text: the category's Chinese name and where the sign stands."""
        return sign_label(self.category, self.location)


class Key(db.Model):
    """A key 鑰匙: an owner key of a unit, a public-area key of a floor, or an equipment-room
    key."""

    __tablename__ = "key"
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    key_class: Mapped[str] = mapped_column(_enum(vocab.KEY_CLASSES, "key_class"))
    kind: Mapped[str | None] = mapped_column(_enum(vocab.OWNER_KEY_KINDS, "owner_key_kind"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id"), index=True)
    floor: Mapped[int | None]
    equipment_room: Mapped[str | None] = mapped_column(sa.String(120))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    copies: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(_enum(vocab.KEY_STATUSES, "key_status"), default="in")
    holder_name: Mapped[str | None] = mapped_column(sa.String(120))
    holder_type: Mapped[str | None] = mapped_column(sa.String(20))
    # Kept by the sync merge with status and holder (sync/keys.py): when a held key is due
    # back (a disputed one too), and the key's newest event (the register reads it by its id
    # and sorts by its time, without grouping the event log).
    due_back: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_event_id: Mapped[str | None] = mapped_column(sa.String(36))
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # that event's device time
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship(back_populates="keys")
    building: Mapped[Building | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(key_class = 'owner' AND kind IS NOT NULL AND unit_id IS NOT NULL)"
            " OR (key_class = 'public_area' AND building_id IS NOT NULL)"
            " OR (key_class = 'equipment_room' AND equipment_room IS NOT NULL)",
            name="linked",
        ),
        # Counts by status per estate (home summaries, the register) from the index alone.
        sa.Index("ix_key_estate_status", "estate_id", "status", "active"),
    )

    @property
    def label(self) -> str:
        """Display text: what the key opens, in Chinese."""
        return key_label(
            self.key_class,
            unit=self.unit.label if self.key_class == "owner" else None,
            kind=self.kind,
            building=self.building.name if self.key_class == "public_area" else None,
            floor=self.floor,
            name=self.name,
            equipment_room=self.equipment_room,
        )

    @property
    def holder(self) -> dict | None:
        """Who holds the key now, as the sync protocol shows it."""
        if self.holder_name is None:
            return None
        return {"name": self.holder_name, "type": self.holder_type}


ITEM_MODELS: dict[str, type] = {"unit": Unit, "key": Key, "sign": Sign}


class LabelCode(db.Model):
    """A QR code printed on a label; one active per item, retired ones kept with when and why."""

    __tablename__ = "label_code"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "short_code"),
        sa.Index(
            "uq_label_code_active_item",
            "item_type",
            "item_id",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
        # The pull's retired codes of a page of items (few rows; "= 0" as SQLite's planner
        # sees SQLAlchemy's NOT on a Boolean).
        sa.Index(
            "ix_label_code_retired_item",
            "item_type",
            "item_id",
            sqlite_where=sa.text("active = 0"),
            postgresql_where=sa.text("NOT active"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    item_type: Mapped[str] = mapped_column(_enum(ITEM_MODELS, "item_type"))
    item_id: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    short_code: Mapped[str] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_reason: Mapped[str | None] = mapped_column(sa.String(200))
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("label_code.id"))

    replaced_by: Mapped[LabelCode | None] = relationship(remote_side=[id])

    def item(self, session):
        """Load the unit, key or sign this code names."""
        return session.get(ITEM_MODELS[self.item_type], self.item_id)
