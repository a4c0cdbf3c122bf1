"""the key handover joins the desk's shift handover: key_handover rows move to desk_handover

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00

One home per concept: the shift handover 《前臺交接日志》 is the desk's (``desk_handover``), which
counts the keys as the key handover did. Each ``key_handover`` row becomes a ``desk_handover``
row with the same time, shifts and key lists; the line the old page appended to its note in
the writer's language ("Unknown codes: A, B" / 「無法識別的代碼：A, B」) becomes the
``unknown_codes`` list, so no reader sees a sentence stored in another language. The outgoing
shift then signed by being logged in and the incoming shift's id was not kept:
``incoming_user_id`` stays empty on these rows (their pages say so). Then key_handover goes.
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UNKNOWN_PREFIXES = ("Unknown codes: ", "無法識別的代碼：")

old = sa.table(
    "key_handover",
    sa.column("id", sa.Integer),
    sa.column("estate_id", sa.Integer),
    sa.column("outgoing_user_id", sa.Integer),
    sa.column("outgoing_name", sa.String),
    sa.column("incoming_name", sa.String),
    sa.column("scanned", sa.JSON),
    sa.column("missing", sa.JSON),
    sa.column("unexpected", sa.JSON),
    sa.column("note", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
new = sa.table(
    "desk_handover",
    sa.column("id", sa.Integer),
    sa.column("estate_id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("outgoing_user_id", sa.Integer),
    sa.column("outgoing_name", sa.String),
    sa.column("incoming_user_id", sa.Integer),
    sa.column("incoming_name", sa.String),
    sa.column("keys_total", sa.Integer),
    sa.column("keys_expected", sa.Integer),
    sa.column("scanned", sa.JSON),
    sa.column("missing", sa.JSON),
    sa.column("unexpected", sa.JSON),
    sa.column("unknown_codes", sa.JSON),
    sa.column("away", sa.JSON),
    sa.column("tasks", sa.JSON),
    sa.column("findings", sa.JSON),
    sa.column("note", sa.Text),
)


def split_note(note):
    """The writer's note and the scanned codes the old page listed in a sentence after it."""
    kept, codes = [], []
    for line in (note or "").split("\n"):
        prefix = next((p for p in UNKNOWN_PREFIXES if line.startswith(p)), None)
        if prefix is None:
            kept.append(line)
        else:
            codes += [c.strip() for c in line[len(prefix):].split(", ") if c.strip()]
    return "\n".join(kept).strip(), codes


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(old).order_by(old.c.created_at, old.c.id)).mappings().all()
    for row in rows:
        note, codes = split_note(row["note"])
        bind.execute(
            new.insert().values(
                estate_id=row["estate_id"],
                created_at=row["created_at"],
                outgoing_user_id=row["outgoing_user_id"],
                outgoing_name=row["outgoing_name"],
                incoming_user_id=None,
                incoming_name=row["incoming_name"],
                keys_total=0,
                keys_expected=0,
                scanned=row["scanned"] or [],
                missing=row["missing"] or [],
                unexpected=row["unexpected"] or [],
                unknown_codes=codes,
                away=[],
                tasks=[],
                findings=[],
                note=note,
            )
        )
    with op.batch_alter_table("key_handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_handover_estate_id"))
    op.drop_table("key_handover")


def downgrade():
    op.create_table(
        "key_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("estate_id", sa.Integer(), nullable=False),
        sa.Column("outgoing_user_id", sa.Integer(), nullable=False),
        sa.Column("outgoing_name", sa.String(length=120), nullable=False),
        sa.Column("incoming_name", sa.String(length=120), nullable=False),
        sa.Column("scanned", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("unexpected", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["estate.id"], name=op.f("fk_key_handover_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(
            ["outgoing_user_id"], ["user.id"], name=op.f("fk_key_handover_outgoing_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_handover")),
    )
    with op.batch_alter_table("key_handover", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_handover_estate_id"), ["estate_id"], unique=False)
    # The desk's handovers (keys counted, both shifts) go back as key handovers; what the key
    # handover had no column for (items, tasks, findings) stays in desk_handover alone.
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(new)
        .where(new.c.outgoing_user_id.is_not(None))
        .order_by(new.c.created_at, new.c.id)
    ).mappings()
    for row in rows.all():
        note = row["note"] or ""
        if row["unknown_codes"]:
            note += "\nUnknown codes: " + ", ".join(row["unknown_codes"])
        bind.execute(
            old.insert().values(
                estate_id=row["estate_id"],
                outgoing_user_id=row["outgoing_user_id"],
                outgoing_name=row["outgoing_name"],
                incoming_name=row["incoming_name"],
                scanned=row["scanned"],
                missing=row["missing"],
                unexpected=row["unexpected"],
                note=note,
                created_at=row["created_at"],
            )
        )
