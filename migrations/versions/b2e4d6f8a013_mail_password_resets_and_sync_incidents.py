"""email: a row per mail, password reset links, and sync incidents

Revision ID: b2e4d6f8a013
Revises: a1f3c5e7d901
Create Date: 2026-12-02 05:10:00

Every email is a row (recipient, kind, text, status, tries, last error) that a job sends, so a
failure can be seen and nothing is lost while the SMTP server is away. A password reset link
stores only a hash of its random token, its expiry and when it was used. A sync incident is
one break of a coordinator's Google sync, from when it was seen (and mailed) until it was fixed.
"""

import sqlalchemy as sa
from alembic import op

revision = "b2e4d6f8a013"
down_revision = "a1f3c5e7d901"
branch_labels = None
depends_on = None

_OPEN = sa.text("closed_at IS NULL")


def upgrade():
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("business_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.create_index("ix_mail_message_due", ["status", "next_attempt_at"])
        batch_op.create_index(
            "ix_mail_message_business_kind", ["business_id", "kind", "created_at"]
        )
        batch_op.create_index("ix_mail_message_user_id", ["user_id"])
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("password_reset", schema=None) as batch_op:
        batch_op.create_index("ix_password_reset_user_id", ["user_id"])
    op.create_table(
        "sync_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("mailed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["google_connection.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_incident", schema=None) as batch_op:
        batch_op.create_index(
            "uq_sync_incident_open",
            ["connection_id", "kind"],
            unique=True,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        )
        batch_op.create_index(
            "ix_sync_incident_open_kind",
            ["kind", "opened_at"],
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        )
        batch_op.create_index(
            "ix_sync_incident_open_business",
            ["business_id"],
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        )


def downgrade():
    op.drop_table("sync_incident")
    op.drop_table("password_reset")
    op.drop_table("mail_message")
