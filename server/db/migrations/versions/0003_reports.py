"""reports: dossier code on a visit, letters (apology / thanks), daily report roll-ups,
report indexes (issue 12)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("dossier_code", sa.String(length=40), nullable=True))
    op.create_index("ix_tickets_dossier", "tickets", ["site", "dossier_code"])
    op.create_index("ix_tickets_recent_done", "tickets", ["site", "service", "state", "ended_at"])
    op.create_table(
        "letters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("dossier_code", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=True),
        sa.Column("desk_id", sa.String(length=32), nullable=True),
        sa.Column("clerk_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("new_date", sa.Date(), nullable=True),
        sa.Column("signer_title", sa.String(length=200), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_letters_site_day", "letters", ["site", "day"])
    op.create_table(
        "report_days",
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("built_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", "day"),
    )


def downgrade() -> None:
    op.drop_table("report_days")
    op.drop_index("ix_letters_site_day", table_name="letters")
    op.drop_table("letters")
    op.drop_index("ix_tickets_recent_done", table_name="tickets")
    op.drop_index("ix_tickets_dossier", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("dossier_code")
