"""alerts: the address the email channel writes to, on the person's alert choices

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:00:00

Users have no email address anywhere else; a person gives one on their alerts page.
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alert_preference", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("alert_preference", schema=None) as batch_op:
        batch_op.drop_column("email")
