"""an owner key's issue keeps the ID check: the document's type and the last 4 of its number

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 10:00:00

``key_event.id_type`` and ``key_event.id_last4`` (issue 19 item 4): what the desk (or a phone)
checked before handing an owner key over. Never the whole number: ``ck_key_event_id_last4_only``
holds the column to 4 characters on every database. Existing events get neither; their hashes
do not change (sync/chain.py seals the two only when set).
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("key_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("id_last4", sa.String(length=4), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_key_event_id_last4_only"), "length(id_last4) = 4"
        )


def downgrade():
    with op.batch_alter_table("key_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_key_event_id_last4_only"), type_="check")
        batch_op.drop_column("id_last4")
        batch_op.drop_column("id_type")
