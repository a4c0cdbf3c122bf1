"""What phones send and what the server keeps of it: ops, checks, findings, key events,
photos, the quarantine of rejected ops, and the change feed that pull reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class SyncOp(db.Model):
    """One op accepted from a phone (applied or conflict), keyed by its op_id for idempotency."""

    __tablename__ = "sync_op"
    op_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    type: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(sa.ForeignKey("device.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    clock_skewed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16))
    flags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class QuarantinedOp(db.Model):
    """A rejected op, kept as sent so that no observation is lost; supervisors review these."""

    __tablename__ = "sync_quarantine"
    __table_args__ = (sa.UniqueConstraint("op_id", "content_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[str] = mapped_column(sa.String(200))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    type: Mapped[str | None] = mapped_column(sa.String(64))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(sa.ForeignKey("device.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    error: Mapped[str] = mapped_column(sa.String(64))
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    raw: Mapped[Any] = mapped_column(sa.JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class _Observed:
    """Columns every record made from an op shares: who, from which phone, when by which clock."""

    # The op that made it (same savepoint; no foreign key, so the record goes in first).
    op_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(sa.ForeignKey("device.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    clock_skewed: Mapped[bool] = mapped_column(default=False)
    retired_code: Mapped[bool] = mapped_column(default=False)


class Check(_Observed, db.Model):
    """A check of a unit, key or sign recorded on patrol (``check.record``)."""

    __tablename__ = "check_record"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    item_type: Mapped[str] = mapped_column(sa.String(16))
    item_id: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(32))
    method: Mapped[str] = mapped_column(sa.String(16))
    # Why it was not scanned (vocab.MANUAL_REASONS); None on a scan, or from an older app.
    manual_reason: Mapped[str | None] = mapped_column(sa.String(32))
    result: Mapped[str] = mapped_column(sa.String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str | None] = mapped_column(sa.Text)
    round_id: Mapped[str | None] = mapped_column(sa.String(64))
    geo_lat: Mapped[float | None]
    geo_lon: Mapped[float | None]
    geo_accuracy_m: Mapped[float | None]

    __table_args__ = (
        # An item's checks newest first (the review dashboard and timelines).
        sa.Index("ix_check_record_item_time", "item_type", "item_id", "occurred_at"),
        # An estate's checks by time: device time, or receipt time for flagged clocks (rounds
        # coverage).
        sa.Index("ix_check_record_estate_time", "estate_id", "occurred_at"),
        sa.Index(
            "ix_check_record_estate_skewed_received",
            "estate_id",
            "received_at",
            # As SQLAlchemy writes a Boolean test on SQLite ("= 1"), or the planner skips it.
            sqlite_where=sa.text("clock_skewed = 1"),
            postgresql_where=sa.text("clock_skewed"),
        ),
    )


class Finding(_Observed, db.Model):
    """A reported item 報事 seen on patrol (``finding.create``); later issues move it along."""

    __tablename__ = "finding"
    __table_args__ = (
        # The findings list filters by estate and status, newest first; severity rides along
        # so the dashboard counts open findings by severity and age from the index alone.
        sa.Index("ix_finding_estate_status_time", "estate_id", "status", "occurred_at", "severity"),
        sa.Index("ix_finding_item", "item_type", "item_id"),
        # The dashboard's findings from phones whose clock was off, by receipt (as checks').
        sa.Index(
            "ix_finding_estate_skewed_received",
            "estate_id",
            "received_at",
            sqlite_where=sa.text("clock_skewed = 1"),
            postgresql_where=sa.text("clock_skewed"),
        ),
    )
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    item_type: Mapped[str | None] = mapped_column(sa.String(16))
    item_id: Mapped[int | None]
    location: Mapped[str | None] = mapped_column(sa.String(200))
    severity: Mapped[str] = mapped_column(sa.String(16))
    category: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    # The check that raised it (the phone's checklist, or the server from the check itself:
    # sync/derived.py); None for a finding reported on its own. No foreign key: either op
    # may arrive first.
    check_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)


# A line of the key register's loan record: every event but a return that ended a loan (that
# return is on its loan's line). Queries write it literally too (webapp/keys/ledger.py), so that
# both databases see it implies the partial index's predicate.
LEDGER_LINE = "action != 'return' OR pair_id IS NULL"


class KeyEvent(_Observed, db.Model):
    """A lend or return of a key; custody is judged on these in device-time order."""

    __tablename__ = "key_event"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    # Read by estate through ix_key_event_ledger (a plain estate index only misled the planner).
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"))
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(8))  # lend | return | issue | settle
    borrower_name: Mapped[str | None] = mapped_column(sa.String(120))
    borrower_type: Mapped[str | None] = mapped_column(sa.String(20))
    purpose: Mapped[str | None] = mapped_column(sa.String(200))
    due_back: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Answered conflict when it arrived (kept as answered, whatever came later).
    conflict: Mapped[bool] = mapped_column(default=False)
    # Inconsistent in the history as it stands now (recomputed on every new event).
    inconsistent: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # arrival order, breaks ties
    # An equipment-room key lent without engineering's approval before it (stored, flagged).
    unapproved: Mapped[bool] = mapped_column(default=False)
    id_checked: Mapped[bool | None] = mapped_column()  # key.lend: the borrower's ID was seen
    settled_status: Mapped[str | None] = mapped_column(sa.String(16))  # settle: decided state
    # key.issue: the owner's identity document as checked — its type (vocab.ID_DOCUMENT_TYPES)
    # and the last 4 characters of its number, never the whole number (the check holds it to 4).
    id_type: Mapped[str | None] = mapped_column(sa.String(32))
    id_last4: Mapped[str | None] = mapped_column(sa.String(4))
    # Tamper evidence (sync/chain.py): the hash of this key's event before, and this one's.
    prev_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    hash: Mapped[str] = mapped_column(sa.String(64), default="")
    # One loan of the paper register: a lend (issue, resolution) and the return that ended it
    # name each other. Recomputed as events arrive, like ``inconsistent`` (not sealed).
    pair_id: Mapped[str | None] = mapped_column(sa.String(36))

    __table_args__ = (
        sa.CheckConstraint("length(id_last4) = 4", name="id_last4_only"),
        # The register's loan record: an estate's lines by device time, newest first, counted
        # and paged from the index alone (its predicate is LEDGER_LINE, word for word).
        sa.Index(
            "ix_key_event_ledger",
            "estate_id",
            "occurred_at",
            "id",
            sqlite_where=sa.text(LEDGER_LINE),
            postgresql_where=sa.text(LEDGER_LINE),
        ),
    )


class KeyBaseline(db.Model):
    """A key's custody before its first synced event, the start of every custody walk."""

    __tablename__ = "key_baseline"
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    holder_name: Mapped[str | None] = mapped_column(sa.String(120))
    holder_type: Mapped[str | None] = mapped_column(sa.String(20))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The head of the key's event chain: the newest event's hash and seq.
    head_hash: Mapped[str | None] = mapped_column(sa.String(64))
    head_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class PhotoBlob(db.Model):
    """A photo as stored: re-encoded without EXIF; found by the sha256 of what the phone sent."""

    __tablename__ = "photo_blob"
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    stored_sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(32))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    # Where the camera said it was: proof for supervisors only, never in the stored file.
    gps_lat: Mapped[float | None]
    gps_lon: Mapped[float | None]
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PhotoUploader(db.Model):
    """Who uploaded a photo (each may read it back, whatever records it belongs to)."""

    __tablename__ = "photo_uploader"
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), primary_key=True)


class PhotoLink(db.Model):
    """A photo named by a record; made when the op arrives, whether or not the photo has.

    A link shows the photo to the record's estate only once it is ``vouched``: its author
    uploaded the photo, or could already see it, when the op arrived, or uploads it later.
    Naming another estate's photo by its hash therefore gains nothing (sync/photos.py).
    """

    __tablename__ = "photo_link"
    __table_args__ = (sa.UniqueConstraint("sha256", "record_type", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    record_type: Mapped[str] = mapped_column(sa.String(16))
    record_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    # Who named the photo (None: links made before authors were kept, or by a bench).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    vouched: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class SyncCounter(db.Model):
    """The one row writers of the change feed lock to take the next sequence number."""

    __tablename__ = "sync_counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # Cursors below this were issued before tombstones were purged: answer 410.
    horizon: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class SyncChange(db.Model):
    """The change feed: the latest change of each synced object, ordered by ``seq``."""

    __tablename__ = "sync_change"
    type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    obj_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    estate_id: Mapped[int] = mapped_column(index=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.Index("ix_sync_change_estate_seq", "estate_id", "seq", "type", "obj_id"),)
