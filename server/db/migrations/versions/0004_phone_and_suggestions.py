"""phone: a rating's comment, the suggestion box (issue 14)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("comment", sa.String(length=500), nullable=True))
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("handled_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
        sa.Column("handled_note", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_suggestions_site_day", "suggestions", ["site", "day"])
    op.create_index("ix_suggestions_open", "suggestions", ["site", "handled_at", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_suggestions_open", table_name="suggestions")
    op.drop_index("ix_suggestions_site_day", table_name="suggestions")
    op.drop_table("suggestions")
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("comment")
