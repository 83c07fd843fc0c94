"""accounts: disabled_at, last_login_at; the audit log (issue 15)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("disabled_at", server.db.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("last_login_at", server.db.types.UtcDateTime(timezone=True), nullable=True)
        )
    # an account made inactive before this version was disabled at an unknown time
    op.execute(
        sa.text("UPDATE users SET disabled_at = created_at WHERE active = :no").bindparams(no=False)
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("disabled_at")
