"""event links remember the series rule both sides last agreed on

Revision ID: 9c3e51a7d2b8
Revises: 5b1e0c7d2a94
Create Date: 2026-11-24 09:50:00

In a conflict on a series the later change wins; but when only Google changed the rule (its
"this and following" ends the series where a new one begins), sending back the portal's older
rule brought back the occurrences Google had moved. Knowing the agreed rule tells which side
changed it. Existing links start with none known, and learn it at their next sync.
"""

import sqlalchemy as sa
from alembic import op

revision = "9c3e51a7d2b8"
down_revision = "5b1e0c7d2a94"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("synced_recurrence", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("event_link", schema=None) as batch_op:
        batch_op.drop_column("synced_recurrence")
