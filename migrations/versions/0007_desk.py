"""the front desk: items held for residents, their history, the shift handover

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 22:30:00

``desk_item``: an item held at the desk for a resident (rule 8: parcels, documents, mail and
newspapers) — received, approved or refused by a supervisor, collected with a signature or
returned; ``desk_item_event`` its append-only history; ``desk_handover`` the shift handover
《前臺交接日志》 with the keys counted, the items left, the open work and both shifts.
"""
from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('desk_handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outgoing_user_id', sa.Integer(), nullable=True),
    sa.Column('outgoing_name', sa.String(length=120), nullable=False),
    sa.Column('incoming_user_id', sa.Integer(), nullable=True),
    sa.Column('incoming_name', sa.String(length=120), nullable=False),
    sa.Column('keys_total', sa.Integer(), nullable=False),
    sa.Column('keys_expected', sa.Integer(), nullable=False),
    sa.Column('scanned', sa.JSON(), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('unexpected', sa.JSON(), nullable=False),
    sa.Column('unknown_codes', sa.JSON(), nullable=False),
    sa.Column('away', sa.JSON(), nullable=False),
    sa.Column('tasks', sa.JSON(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_desk_handover_estate_id_estate')),
    sa.ForeignKeyConstraint(['incoming_user_id'], ['user.id'], name=op.f('fk_desk_handover_incoming_user_id_user')),
    sa.ForeignKeyConstraint(['outgoing_user_id'], ['user.id'], name=op.f('fk_desk_handover_outgoing_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_handover'))
    )
    with op.batch_alter_table('desk_handover', schema=None) as batch_op:
        batch_op.create_index('ix_desk_handover_estate_time', ['estate_id', 'created_at'], unique=False)

    op.create_table('desk_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('resident_name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('parcel', 'document', 'mail', 'newspaper', 'other', name='desk_item_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received_from', sa.String(length=120), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'held', 'refused', 'collected', 'returned', name='desk_item_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('collector_name', sa.String(length=120), nullable=False),
    sa.Column('signature_sha256', sa.String(length=64), nullable=True),
    sa.Column('close_note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_desk_item_closed_by_id_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_desk_item_decided_by_id_user')),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_desk_item_estate_id_estate')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user.id'], name=op.f('fk_desk_item_received_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_desk_item_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_item'))
    )
    with op.batch_alter_table('desk_item', schema=None) as batch_op:
        batch_op.create_index('ix_desk_item_estate_received', ['estate_id', 'received_at'], unique=False)
        batch_op.create_index('ix_desk_item_estate_status', ['estate_id', 'status', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_desk_item_unit_id'), ['unit_id'], unique=False)

    op.create_table('desk_item_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('receive', 'approve', 'refuse', 'hand_over', 'collect', 'return', name='desk_item_action', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status', sa.Enum('requested', 'held', 'refused', 'collected', 'returned', name='desk_item_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('handover_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_desk_item_event_estate_id_estate')),
    sa.ForeignKeyConstraint(['handover_id'], ['desk_handover.id'], name=op.f('fk_desk_item_event_handover_id_desk_handover')),
    sa.ForeignKeyConstraint(['item_id'], ['desk_item.id'], name=op.f('fk_desk_item_event_item_id_desk_item')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_desk_item_event_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_item_event'))
    )
    with op.batch_alter_table('desk_item_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_item_event_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_desk_item_event_handover_id'), ['handover_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_desk_item_event_item_id'), ['item_id'], unique=False)



def downgrade():
    with op.batch_alter_table('desk_item_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_item_event_item_id'))
        batch_op.drop_index(batch_op.f('ix_desk_item_event_handover_id'))
        batch_op.drop_index(batch_op.f('ix_desk_item_event_estate_id'))

    op.drop_table('desk_item_event')
    with op.batch_alter_table('desk_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_item_unit_id'))
        batch_op.drop_index('ix_desk_item_estate_status')
        batch_op.drop_index('ix_desk_item_estate_received')

    op.drop_table('desk_item')
    with op.batch_alter_table('desk_handover', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_handover_estate_time')

    op.drop_table('desk_handover')
