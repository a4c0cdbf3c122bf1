"""an index on retired label codes by item

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 01:20:00

The pull sends each unit, key and sign with its retired codes (the phone, offline, says a
replaced label was replaced and opens its item); a page of items looks them up by
(item_type, item_id) among the few retired rows.
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_label_code_retired_item",
        "label_code",
        ["item_type", "item_id"],
        unique=False,
        sqlite_where=sa.text("active = 0"),
        postgresql_where=sa.text("NOT active"),
    )


def downgrade():
    op.drop_index("ix_label_code_retired_item", table_name="label_code")
