"""a failed acceptance's notice keeps no sentence in its note: it says why from its acceptance

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 12:00:00

A failed completion acceptance issued its notice with the note 「竣工驗收不合格 Failed completion
acceptance: <each failed item in Chinese and English>」: a sentence of the server's, in both
languages whoever read it (and sent so to the phones). The notice names its acceptance
(``acceptance_id``), whose failed items say the same in the reader's language, so the
sentence goes: such a note becomes empty, as the sync merge now leaves it. A downgrade writes
the sentence back from the acceptance's answers.
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

PREFIX = "竣工驗收不合格 Failed completion acceptance: "

notice = sa.table(
    "rectification_notice",
    sa.column("id", sa.String),
    sa.column("note", sa.Text),
    sa.column("acceptance_id", sa.String),
)
acceptance = sa.table(
    "acceptance",
    sa.column("id", sa.String),
    sa.column("checklist_version", sa.Integer),
    sa.column("answers", sa.JSON),
)


def upgrade():
    op.execute(
        notice.update()
        .where(notice.c.acceptance_id.is_not(None), notice.c.note.startswith(PREFIX))
        .values(note="")
    )


def downgrade():
    from webapp import vocab  # the checklists' words, as the merge wrote them (versioned)

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(notice.c.id, acceptance.c.checklist_version, acceptance.c.answers)
        .join(acceptance, acceptance.c.id == notice.c.acceptance_id)
        .where(notice.c.note == "")
    ).all()
    for notice_id, version, answers in rows:
        items = vocab.ACCEPTANCE_CHECKLISTS.get(version, [])
        words = "；".join(f"{i['zh']} {i['en']}" for i in items if answers.get(i["key"]) == "no")
        bind.execute(
            notice.update().where(notice.c.id == notice_id).values(note=(PREFIX + words)[:2000])
        )
