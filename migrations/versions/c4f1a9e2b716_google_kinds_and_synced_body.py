"""events know what kind of Google event they are; links remember what Google holds

Revision ID: c4f1a9e2b716
Revises: 98d9e5847319
Create Date: 2026-12-02 01:20:00

Real calendars hold invitations, out-of-office and focus time, working locations, birthdays
and events Gmail adds, each with its own rules in Google. The event records which kind it
is, the coordinator's answer to an invitation, and what the portal shows of Google's copy
(organiser, conference link). The link keeps the fields Google held after the last sync, so
a push sends only what changed and can tell what Google did not take. Existing rows start
as ordinary events with nothing remembered, and learn both at their next sync.
"""

import sqlalchemy as sa
from alembic import op

revision = "c4f1a9e2b716"
down_revision = "98d9e5847319"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("google_kind", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("response_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("google_details", sa.JSON(), nullable=True))
    with op.batch_alter_table("event_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("synced_body", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("event_link", schema=None) as batch_op:
        batch_op.drop_column("synced_body")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("google_details")
        batch_op.drop_column("response_status")
        batch_op.drop_column("google_kind")
