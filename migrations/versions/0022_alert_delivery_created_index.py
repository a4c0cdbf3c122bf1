"""the retention purge's index: alert deliveries by when they were made

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09 09:00:00

``ix_alert_delivery_created`` (created_at, id): the daily retention purge (webapp/retention)
deletes the deliveries older than ALERT_RETENTION_DAYS a batch at a time, walking them in
(created_at, id) order from where the last batch ended. Without it each batch read the whole
table and sorted what matched; the bell's own indexes all begin with the person.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alert_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_alert_delivery_created", ["created_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("alert_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_delivery_created")
