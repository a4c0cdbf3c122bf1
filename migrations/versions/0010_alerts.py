"""alerts: a delivery per event, person and channel; each person's choices; the event kinds

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00

``alert_delivery``: one alert to one person on one channel (bell, email, push), ``key``
unique (``alert:<event>:<user>:<channel>``, also its job's key), so an event reaches a person
once per channel. ``alert_preference``: kinds × channels, quiet hours, the unsynced threshold.
``alert_event.kind`` takes the kinds of issue #21 (its CHECK constraint is rebuilt).
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD_KINDS = ("key_chain_broken",)
KINDS = (
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


def _kind(values):
    return sa.Enum(*values, name="alert_kind", native_enum=False, create_constraint=True, length=32)


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table("alert_event", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=_kind(OLD_KINDS), type_=_kind(KINDS), existing_nullable=False
        )
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("estate_id", sa.Integer(), nullable=True),
        sa.Column("channel", _enum(("bell", "email", "push"), "alert_channel"), nullable=False),
        sa.Column(
            "state",
            _enum(("waiting", "sent", "skipped", "failed"), "alert_delivery_state"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["estate.id"], name=op.f("fk_alert_delivery_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["alert_event.id"], name=op.f("fk_alert_delivery_event_id_alert_event")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_alert_delivery_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint("key", name=op.f("uq_alert_delivery_key")),
    )
    with op.batch_alter_table("alert_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_delivery_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            "ix_alert_delivery_inbox", ["user_id", "channel", "read_at", "state"], unique=False
        )
        batch_op.create_index(
            "ix_alert_delivery_list", ["user_id", "channel", "created_at"], unique=False
        )
    op.create_table(
        "alert_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("urgent_through_quiet", sa.Boolean(), nullable=False),
        sa.Column("unsynced_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_alert_preference_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_preference")),
    )


def downgrade():
    op.drop_table("alert_preference")
    with op.batch_alter_table("alert_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_delivery_list")
        batch_op.drop_index("ix_alert_delivery_inbox")
        batch_op.drop_index(batch_op.f("ix_alert_delivery_event_id"))
    op.drop_table("alert_delivery")
    op.execute(sa.text("DELETE FROM alert_event WHERE kind <> 'key_chain_broken'"))
    with op.batch_alter_table("alert_event", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=_kind(KINDS), type_=_kind(OLD_KINDS), existing_nullable=False
        )
