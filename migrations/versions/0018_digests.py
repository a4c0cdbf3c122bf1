"""digests: each person's daily digest and weekly report, and their choices

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 10:00:00

``alert_digest``: one per person, kind and local date, ``key`` unique
(``digest:daily:<user>:<date>``, also its job's and its alert event's key). ``alert_preference``
gains the digest choices (daily on/off and its hour, weekly on/off; off unless asked for).
``alert_event.kind`` takes the two digest kinds (its CHECK constraint is rebuilt).
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "critical_finding",
    "major_violation",
    "window_missed",
    "key_overdue",
    "key_disputed",
    "refused_twice",
    "op_quarantined",
    "device_unsynced",
    "finding_dispatched",
    "finding_overdue",
    "notice_deadline",
    "stop_work",
    "key_chain_broken",
)
KINDS = (*OLD_KINDS, "digest_daily", "digest_weekly")


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table("alert_event", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=_enum(OLD_KINDS, "alert_kind"),
            type_=_enum(KINDS, "alert_kind"),
            existing_nullable=False,
        )
    with op.batch_alter_table("alert_preference", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_daily", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("digest_hour", sa.Integer(), nullable=False, server_default="8")
        )
        batch_op.add_column(
            sa.Column("digest_weekly", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("alert_preference", schema=None) as batch_op:
        batch_op.alter_column("digest_daily", server_default=None)
        batch_op.alter_column("digest_hour", server_default=None)
        batch_op.alter_column("digest_weekly", server_default=None)
    op.create_table(
        "alert_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum(("daily", "weekly"), "digest_kind"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("estate_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["estate.id"], name=op.f("fk_alert_digest_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_alert_digest_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_digest")),
        sa.UniqueConstraint("key", name=op.f("uq_alert_digest_key")),
    )
    with op.batch_alter_table("alert_digest", schema=None) as batch_op:
        batch_op.create_index("ix_alert_digest_user", ["user_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("alert_digest", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_digest_user")
    op.drop_table("alert_digest")
    with op.batch_alter_table("alert_preference", schema=None) as batch_op:
        batch_op.drop_column("digest_weekly")
        batch_op.drop_column("digest_hour")
        batch_op.drop_column("digest_daily")
    op.execute(sa.text("DELETE FROM alert_delivery WHERE event_id IN (SELECT id FROM alert_event WHERE kind LIKE 'digest_%')"))
    op.execute(sa.text("DELETE FROM alert_event WHERE kind LIKE 'digest_%'"))
    with op.batch_alter_table("alert_event", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=_enum(KINDS, "alert_kind"),
            type_=_enum(OLD_KINDS, "alert_kind"),
            existing_nullable=False,
        )
