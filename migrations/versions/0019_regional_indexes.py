"""the regional dashboard's indexes: findings from phones whose clock was off, by receipt; the
open desk states in due order per estate and status

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 09:00:00

``ix_finding_estate_skewed_received`` (estate, received_at) WHERE clock_skewed: the dashboard
counts each estate's findings from phones whose clock was off, received in the last 30 days, as
it counts checks (``ix_check_record_estate_skewed_received``) — it scanned every finding (31 ms
over 110 k findings). ``ix_finding_state_open`` puts the due date before the department, so
each (estate, open status) range is in due order: the most overdue over many estates read a
few rows of each instead of sorting every overdue finding (50 ms over 40 k).
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index(
            "ix_finding_estate_skewed_received",
            ["estate_id", "received_at"],
            unique=False,
            sqlite_where=sa.text("clock_skewed = 1"),
            postgresql_where=sa.text("clock_skewed"),
        )
    with op.batch_alter_table("finding_state", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_state_open")
        batch_op.create_index(
            "ix_finding_state_open", ["estate_id", "status", "due_at", "department"], unique=False
        )


def downgrade():
    with op.batch_alter_table("finding_state", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_state_open")
        batch_op.create_index(
            "ix_finding_state_open", ["estate_id", "status", "department", "due_at"], unique=False
        )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_finding_estate_skewed_received",
            sqlite_where=sa.text("clock_skewed = 1"),
            postgresql_where=sa.text("clock_skewed"),
        )
