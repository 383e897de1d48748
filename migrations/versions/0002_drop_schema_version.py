"""Drop ``schema_version``: ``alembic_version`` records the revision from now on.

The previous release kept one row there (the number 1, whatever the schema). Downgrading
recreates the table with that row, so the previous release accepts the database again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 07:27:41
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Drop the previous release's version table."""
    op.drop_table("schema_version")


def downgrade() -> None:
    """Recreate it with the version the previous release wrote."""
    table = op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.bulk_insert(table, [{"version": 1}])
