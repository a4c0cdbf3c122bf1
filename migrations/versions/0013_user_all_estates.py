"""users who see every estate: the organisation admin and head-office supervisors

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00

``user.all_estates``: the user sees every estate, present and future — resolved when asked,
never a frozen list of ``user_estate`` rows. Only an admin or a supervisor may have it (a
CHECK). Nobody has it after the upgrade: `flask create-user NAME --role admin --all-estates`
makes the organisation admin.
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


CHECK = "NOT all_estates OR role IN ('admin', 'supervisor')"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # A batch rebuild would drop "user", which every user's rows refer to (foreign keys
        # on): SQLite adds the column with its CHECK in place instead.
        op.execute(
            'ALTER TABLE "user" ADD COLUMN all_estates BOOLEAN DEFAULT 0 NOT NULL '
            f"CONSTRAINT ck_user_all_estates_role CHECK ({CHECK})"
        )
        return
    op.add_column(
        "user", sa.Column("all_estates", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_check_constraint(op.f("ck_user_all_estates_role"), "user", CHECK)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_user_all_estates_role"), "user", type_="check")
    op.drop_column("user", "all_estates")
