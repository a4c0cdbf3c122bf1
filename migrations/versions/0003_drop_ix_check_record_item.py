"""drop ix_check_record_item: a prefix of ix_check_record_item_time

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 01:06:15

Every read of an item's checks is served by ix_check_record_item_time (item_type, item_id,
occurred_at), whose leading columns are this index's: it only cost writes and space.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_record", schema=None) as batch_op:
        batch_op.drop_index("ix_check_record_item")


def downgrade():
    with op.batch_alter_table("check_record", schema=None) as batch_op:
        batch_op.create_index("ix_check_record_item", ["item_type", "item_id"], unique=False)
