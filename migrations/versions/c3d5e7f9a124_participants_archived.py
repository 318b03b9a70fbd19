"""participants are archived, never deleted

Revision ID: c3d5e7f9a124
Revises: b2e4d6f8a013
Create Date: 2026-12-02 06:00:00

Participant records are kept for years: archiving stamps archived_at, which hides the
participant from the list and the event form while every event keeps its participant.
"""

import sqlalchemy as sa
from alembic import op

revision = "c3d5e7f9a124"
down_revision = "b2e4d6f8a013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
