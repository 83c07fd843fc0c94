"""hub: office origin ids, forwarding cursors, offices, account scope (issue 16)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("origin_id", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_ticket_events_origin", ["site", "origin_id"])
    with op.batch_alter_table("desk_events") as batch:
        batch.add_column(sa.Column("origin_id", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_desk_events_origin", ["site", "origin_id"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("origin_version", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("site", sa.String(length=32), nullable=True))
    op.create_table(
        "hub_cursors",
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("acked_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stream"),
    )
    op.create_table(
        "offices",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("group_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("config", sa.JSON(), nullable=True),
        sa.Column("pulse", sa.JSON(), nullable=True),
        sa.Column("pulse_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("link_up", sa.Boolean(), nullable=True),
        sa.Column("link_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("fact_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("offices")
    op.drop_table("hub_cursors")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("site")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("origin_version")
    with op.batch_alter_table("desk_events") as batch:
        batch.drop_constraint("uq_desk_events_origin", type_="unique")
        batch.drop_column("origin_id")
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_constraint("uq_ticket_events_origin", type_="unique")
        batch.drop_column("origin_id")
