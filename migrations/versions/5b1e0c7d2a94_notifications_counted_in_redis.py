"""notifications are counted in Redis, not stored one row each

Revision ID: 5b1e0c7d2a94
Revises: 792a0c8852e1
Create Date: 2026-11-24 05:00:00

A row per push notification made /google/notify as slow as a database commit, and a burst
of a thousand notifications wrote a thousand rows nobody reads. The webhook now notes them in
Redis (portal/google/notice_log.py); the channel rows keep the last one heard.
"""

import sqlalchemy as sa
from alembic import op

revision = "5b1e0c7d2a94"
down_revision = "792a0c8852e1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_channel_received")
    op.drop_table("notification")


def downgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=255), nullable=True),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("message_number", sa.Integer(), nullable=True),
        sa.Column("resource_state", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["google_connection.id"],
            name=op.f("fk_notification_connection_id_google_connection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_channel_received", ["channel_id", "received_at"], unique=False
        )
