"""a team: member invites, and members an admin can deactivate

Revision ID: a1f3c5e7d901
Revises: e7b3d5a1c920
Create Date: 2026-12-02 05:00:00

An admin invites a colleague by email: the invite stores only a hash of its random link
token, who sent it, when it expires, and when it was accepted or withdrawn. A member an
admin deactivates keeps every record but can no longer sign in; existing members are active.
"""

import sqlalchemy as sa
from alembic import op

revision = "a1f3c5e7d901"
down_revision = "e7b3d5a1c920"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(), nullable=True))
    op.create_table(
        "member_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("accepted_user_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["invited_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["accepted_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("member_invite", schema=None) as batch_op:
        batch_op.create_index("ix_member_invite_business_id", ["business_id"])


def downgrade():
    with op.batch_alter_table("member_invite", schema=None) as batch_op:
        batch_op.drop_index("ix_member_invite_business_id")
    op.drop_table("member_invite")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
        batch_op.drop_column("is_active")
