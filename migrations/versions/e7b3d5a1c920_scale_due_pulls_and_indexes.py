"""safety-net pulls by due time; indexes for the clock's scans and the outbox

Revision ID: e7b3d5a1c920
Revises: c4f1a9e2b716
Create Date: 2026-12-02 02:00:00

The clock no longer loads every connection to find the ones whose safety-net pull is due: each
connection carries `next_pull_at`, set after every pull, and the tick selects the due ones
through an index. Existing connections are due at once; the tick's cap spreads them out, and
the jitter of the next due time keeps them apart afterwards. Watch channels get indexes by
connection, by the expiry of open channels and by stop time, the outbox an index of open rows
by event, and both the outbox and the activity log an index by age for housekeeping.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "e7b3d5a1c920"
down_revision = "c4f1a9e2b716"
branch_labels = None
depends_on = None

_OPEN_CHANNEL = sa.text("stopped_at IS NULL")
_OPEN_ENTRY = sa.text("processed_at IS NULL")


def upgrade():
    with op.batch_alter_table("google_connection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_pull_at", sa.DateTime(), nullable=True))
    # Stored naive UTC, as the models' UTCDateTime stores every instant.
    now = datetime.now(UTC).replace(tzinfo=None)
    connections = sa.table("google_connection", sa.column("next_pull_at", sa.DateTime()))
    op.execute(connections.update().values(next_pull_at=now))
    with op.batch_alter_table("google_connection", schema=None) as batch_op:
        batch_op.alter_column("next_pull_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index("ix_google_connection_due", ["state", "next_pull_at"])
    with op.batch_alter_table("watch_channel", schema=None) as batch_op:
        batch_op.create_index("ix_watch_channel_connection", ["connection_id"])
        batch_op.create_index(
            "ix_watch_channel_open_expiry",
            ["expires_at"],
            postgresql_where=_OPEN_CHANNEL,
            sqlite_where=_OPEN_CHANNEL,
        )
        batch_op.create_index("ix_watch_channel_stopped", ["stopped_at"])
    with op.batch_alter_table("outbox_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_open_event",
            ["event_id"],
            postgresql_where=_OPEN_ENTRY,
            sqlite_where=_OPEN_ENTRY,
        )
        batch_op.create_index("ix_outbox_processed", ["processed_at"])
    with op.batch_alter_table("sync_log", schema=None) as batch_op:
        batch_op.create_index("ix_sync_log_created", ["created_at"])


def downgrade():
    with op.batch_alter_table("sync_log", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_log_created")
    with op.batch_alter_table("outbox_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_processed")
        batch_op.drop_index("ix_outbox_open_event")
    with op.batch_alter_table("watch_channel", schema=None) as batch_op:
        batch_op.drop_index("ix_watch_channel_stopped")
        batch_op.drop_index("ix_watch_channel_open_expiry")
        batch_op.drop_index("ix_watch_channel_connection")
    with op.batch_alter_table("google_connection", schema=None) as batch_op:
        batch_op.drop_index("ix_google_connection_due")
        batch_op.drop_column("next_pull_at")
