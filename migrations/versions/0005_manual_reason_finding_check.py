"""a check's manual reason; the check a finding was raised by

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:00:00

``check_record.manual_reason``: why a check was typed or picked rather than scanned (label
missing, damaged, unreadable, camera not working, other); None on a scan and on checks from
apps older than the reason. ``finding.check_id``: the check whose checklist (or result) raised
the finding, read by the check's record page and the finding's page in review.
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manual_reason", sa.String(length=32), nullable=True))
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_id", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_finding_check_id", ["check_id"], unique=False)


def downgrade():
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_check_id")
        batch_op.drop_column("check_id")
    with op.batch_alter_table("check_record", schema=None) as batch_op:
        batch_op.drop_column("manual_reason")
