"""user sessions on the server; tokens of deactivated users revoked

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 21:30:00

Each signed-in browser gets a row (its cookie names it by a secret whose SHA-256 is the id),
so logout, "sign out everywhere else" and password, role or active changes end sessions
for good. Tokens of users already deactivated are revoked here: reactivating such a user
must not bring their old phones back.
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)

    user = sa.table("user", sa.column("id", sa.Integer()), sa.column("active", sa.Boolean()))
    device = sa.table(
        "device",
        sa.column("user_id", sa.Integer()),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        device.update()
        .where(
            device.c.revoked_at.is_(None),
            device.c.user_id.in_(sa.select(user.c.id).where(user.c.active.is_(False))),
        )
        .values(revoked_at=sa.func.current_timestamp())
    )


def downgrade():
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))

    op.drop_table("user_session")
