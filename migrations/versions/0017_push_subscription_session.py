"""A push subscription belongs to the signed-in session that posted it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 13:00:00

``push_subscription.session_id``: a browser signed out (logout, "sign out everywhere else", a
password or role change, its session's end) is sent nothing more, so a lost phone stops
showing the estate's alerts once its sessions are ended. Rows posted before this change name
no session and are dropped: the alerts page posts its browser's subscription again on the
next visit.
"""

from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM push_subscription")
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_push_subscription_session_id'), ['session_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_push_subscription_session_id_user_session'), 'user_session', ['session_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_push_subscription_session_id_user_session'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_push_subscription_session_id'))
        batch_op.drop_column('session_id')
