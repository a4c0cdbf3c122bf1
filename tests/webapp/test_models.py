"""The data model: UTC timestamps on both databases, the audit log, codes and constraints."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.labels.codes import mint
from webapp.models import (
    AppendOnlyError,
    AuditEvent,
    Building,
    Estate,
    Key,
    LabelCode,
    Sign,
    Unit,
)
from webapp.models.audit import record


def test_timestamps_round_trip_as_aware_utc(app):
    """Is a time stored with any offset read back aware, in UTC, the same instant?"""
    taipei = timezone(timedelta(hours=8))
    moment = datetime(2026, 11, 27, 9, 30, 15, 123000, tzinfo=taipei)
    with app.app_context():
        estate = Estate(name="時區測試", timezone="Asia/Taipei", created_at=moment)
        db.session.add(estate)
        db.session.commit()
        estate_id = estate.id
    with app.app_context():
        loaded = db.session.get(Estate, estate_id)
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.created_at == moment
        assert loaded.created_at.hour == 1


def test_naive_timestamps_are_refused(app):
    """Is a naive datetime refused rather than silently taken as local time?"""
    with app.app_context():
        db.session.add(Estate(name="naive", created_at=datetime(2026, 1, 1)))
        with pytest.raises(sa.exc.StatementError, match="naive"):
            db.session.flush()
        db.session.rollback()


def test_audit_events_are_append_only(app, seed):
    """Can an audit row be changed or deleted through the ORM? (It must not.)"""
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).limit(1))
        event = record(
            db.session,
            "unit.status",
            unit,
            before={"status": "occupied"},
            after={"status": "vacant"},
        )
        db.session.commit()
        event.action = "tampered"
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(AppendOnlyError):
            db.session.delete(db.session.get(AuditEvent, event.id))
            db.session.flush()
        db.session.rollback()
        assert db.session.get(AuditEvent, event.id).action == "unit.status"


def test_one_active_code_per_item(app, seed):
    """Does the database refuse a second active code for the same item?"""
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).limit(1))
        with pytest.raises(sa.exc.IntegrityError):
            mint(db.session, "unit", unit)
            db.session.flush()
        db.session.rollback()


def test_retired_codes_are_kept_beside_the_active_one(app, seed):
    """After retiring a code, can a new one be minted while the old one stays on record?"""
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).limit(1))
        old = db.session.scalar(
            sa.select(LabelCode).where(LabelCode.item_type == "unit", LabelCode.item_id == unit.id)
        )
        old.active = False
        old.retired_at = datetime.now(UTC)
        old.retired_reason = "label damaged"
        db.session.flush()
        new = mint(db.session, "unit", unit)
        db.session.flush()
        old.replaced_by = new
        db.session.commit()
        codes = db.session.scalars(
            sa.select(LabelCode).where(LabelCode.item_type == "unit", LabelCode.item_id == unit.id)
        ).all()
        assert sorted(c.active for c in codes) == [False, True]


def test_unit_label_reads_like_the_paper_forms(app, seed):
    """Is a unit's display text building-entrance-floor-room, as managers write it?"""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        building = Building(estate=estate, name="3棟", sort_key=3)
        unit = Unit(estate_id=estate.id, building=building, entrance="2", floor=15, room="1502")
        db.session.add(unit)
        db.session.flush()
        assert unit.label == "3棟-2單元-15樓-1502室"
        key = Key(estate_id=estate.id, key_class="owner", kind="security_door", unit_id=unit.id)
        db.session.add(key)
        db.session.flush()
        assert key.label == "3棟-2單元-15樓-1502室 防盜鐵門"
        db.session.rollback()


def test_a_key_must_be_linked_to_what_it_opens(app, seed):
    """Is an owner key without a unit refused by the database?"""
    with app.app_context():
        db.session.add(Key(estate_id=seed.estate_ids[0], key_class="owner", kind="mailbox"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_unknown_sign_category_is_refused(app, seed):
    """Is a sign category outside the 11 + temporary refused by the database?"""
    with app.app_context():
        db.session.add(Sign(estate_id=seed.estate_ids[0], category="graffiti", location="x"))
        with pytest.raises(sa.exc.StatementError):
            db.session.flush()
        db.session.rollback()


def test_migrations_match_the_models(app):
    """Does the migrated schema hold everything the models declare (no forgotten migration)?"""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_the_models_alone_declare_every_table_and_index(app):
    """Does importing webapp.models alone (no area loaded) declare the whole schema the app has,
    so no index hides in a query module or waits for an area to be imported?"""
    script = (
        "import json, webapp.models as m; t = m.keys.db.metadata.tables.values(); "
        "print(json.dumps(sorted([x.name, sorted(i.name for i in x.indexes)] for x in t)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    alone = json.loads(out.stdout)
    whole = sorted([t.name, sorted(i.name for i in t.indexes)] for t in db.metadata.tables.values())
    assert alone == whole
