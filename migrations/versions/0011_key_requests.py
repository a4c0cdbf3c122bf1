"""engineering's approvals: the desk's requests to lend an equipment-room key or copy a key

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 01:11:01

``key_request``: what the front desk asks engineering (rule 5.3(2)) — an equipment-room key's
loan (borrower, purpose, hours) or copies of a key (why, how many) — pending until engineering
approves or refuses (with a reason); a loan's approval is the ``key_approval`` it made.
``key_copy``: each key registered as a copy, with its source key and the approved request.
"""
from alembic import op

import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('loan', 'copy', name='key_request_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'refused', 'withdrawn', name='key_request_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('borrower_name', sa.String(length=120), nullable=True),
    sa.Column('borrower_type', sa.String(length=20), nullable=True),
    sa.Column('hours', sa.Integer(), nullable=True),
    sa.Column('copies', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('approval_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_key_request_decided_by_id_user')),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_key_request_estate_id_estate')),
    sa.ForeignKeyConstraint(['key_id'], ['key.id'], name=op.f('fk_key_request_key_id_key')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_key_request_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_request'))
    )
    with op.batch_alter_table('key_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_request_approval_id'), ['approval_id'], unique=False)
        batch_op.create_index('ix_key_request_estate_status', ['estate_id', 'status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_request_key_id'), ['key_id'], unique=False)

    op.create_table('key_copy',
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('source_key_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_key_copy_estate_id_estate')),
    sa.ForeignKeyConstraint(['key_id'], ['key.id'], name=op.f('fk_key_copy_key_id_key')),
    sa.ForeignKeyConstraint(['request_id'], ['key_request.id'], name=op.f('fk_key_copy_request_id_key_request')),
    sa.ForeignKeyConstraint(['source_key_id'], ['key.id'], name=op.f('fk_key_copy_source_key_id_key')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_key_copy_user_id_user')),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_key_copy'))
    )
    with op.batch_alter_table('key_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_copy_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_copy_source_key_id'), ['source_key_id'], unique=False)



def downgrade():
    with op.batch_alter_table('key_copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_copy_source_key_id'))
        batch_op.drop_index(batch_op.f('ix_key_copy_request_id'))

    op.drop_table('key_copy')
    with op.batch_alter_table('key_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_request_key_id'))
        batch_op.drop_index('ix_key_request_estate_status')
        batch_op.drop_index(batch_op.f('ix_key_request_approval_id'))

    op.drop_table('key_request')
