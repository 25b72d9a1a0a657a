"""cache generation: the number a write raises to retire every cached page

Revision ID: 0006_cache_generation
Revises: 0005_search
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_cache_generation"
down_revision = "0005_search"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "cache_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])


def downgrade():
    op.drop_table("cache_generation")
