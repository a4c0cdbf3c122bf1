"""the key register's loans: a key's due back and newest event, a lend's return, approvals by lend

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00

The register lists every loan of the paper 《房屋鑰匙管理記錄表》 (a lend and the return that ended
it: ``key_event.pair_id``), keeps a disputed key overdue (``key.due_back``, the earliest due back
not yet returned), reads each key's newest event by its id and sorts by its time
(``key.last_event_id``, ``key.moved_at``) instead of grouping the whole event log, and names the
approver of a lend (``key_approval`` by ``used_by_event_id``). ``ix_key_event_ledger`` (partial:
the loan record's lines) counts and pages the loan record from the index alone; the plain
``ix_key_event_estate_id`` goes (with both, the planner counted through the plain one, reading
every row). Existing keys get the derived values from their events by the custody walk the merge
uses (sync/custody.py).
"""

from alembic import op

import sqlalchemy as sa

from webapp.models.types import UTCDateTime

# The loan record's lines, as webapp/models/sync.py has it on the day of this migration.
LEDGER_LINE = "action != 'return' OR pair_id IS NULL"


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_back", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_event_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("key_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pair_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            "ix_key_event_ledger",
            ["estate_id", "occurred_at", "id"],
            unique=False,
            sqlite_where=sa.text(LEDGER_LINE),
            postgresql_where=sa.text(LEDGER_LINE),
        )
        batch_op.drop_index("ix_key_event_estate_id")
    with op.batch_alter_table("key_approval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_approval_used_by_event_id"), ["used_by_event_id"], unique=False
        )
    _derive(op.get_bind())


def _derive(conn) -> None:
    """Walk every key's events once: its due back, newest event and loan pairs."""
    from sync import custody

    events = sa.table(
        "key_event",
        sa.column("id"),
        sa.column("key_id"),
        sa.column("action"),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("seq"),
        sa.column("borrower_name"),
        sa.column("borrower_type"),
        sa.column("settled_status"),
        sa.column("due_back", UTCDateTime()),
        sa.column("pair_id"),
    )
    baselines = sa.table(
        "key_baseline",
        sa.column("key_id"),
        sa.column("status"),
        sa.column("holder_name"),
        sa.column("holder_type"),
    )
    keys = sa.table(
        "key",
        sa.column("id"),
        sa.column("due_back", UTCDateTime()),
        sa.column("last_event_id"),
        sa.column("moved_at", UTCDateTime()),
    )
    starts = {
        r.key_id: (r.status, r.holder_name, r.holder_type)
        for r in conn.execute(sa.select(baselines))
    }
    by_key: dict[int, list] = {}
    for r in conn.execute(sa.select(events).order_by(events.c.key_id, events.c.seq)):
        by_key.setdefault(r.key_id, []).append(r)
    for key_id, rows in by_key.items():
        walked = custody.walk(
            starts.get(key_id, ("in", None, None)),
            [
                custody.Event(
                    id=r.id,
                    action=r.action,
                    occurred_at=r.occurred_at,
                    seq=r.seq,
                    borrower_name=r.borrower_name,
                    borrower_type=r.borrower_type,
                    settled_status=r.settled_status,
                    due_back=r.due_back,
                )
                for r in rows
            ],
        )
        for event_id, pair_id in walked.pairs.items():
            conn.execute(events.update().where(events.c.id == event_id).values(pair_id=pair_id))
        conn.execute(
            keys.update()
            .where(keys.c.id == key_id)
            .values(
                due_back=walked.due_back, last_event_id=rows[-1].id, moved_at=rows[-1].occurred_at
            )
        )


def downgrade():
    with op.batch_alter_table("key_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_approval_used_by_event_id"))
    with op.batch_alter_table("key_event", schema=None) as batch_op:
        batch_op.create_index("ix_key_event_estate_id", ["estate_id"], unique=False)
        batch_op.drop_index("ix_key_event_ledger")
        batch_op.drop_column("pair_id")
    with op.batch_alter_table("key", schema=None) as batch_op:
        batch_op.drop_column("moved_at")
        batch_op.drop_column("last_event_id")
        batch_op.drop_column("due_back")
